"""The HTTP floor: the smallest Flask app that answers the benchmarks' questions from the same file.

Served by waitress like `gerai serve`, with the same thread count. No ORM, no schemas, no
auth, no sessions: a thread-local `sqlite3` connection, the queries of `bench/raw.py`, and
`jsonify` (or a bare Jinja template for the HTML stock page). `/noop` answers without any
database work, the cost of Flask + waitress + the client alone.

    python bench/floor_app.py --db PATH --port PORT [--threads 8]
"""
from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from flask import Flask, jsonify, render_template_string, request

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import raw  # noqa: E402

STOCK_PAGE = 100  # rows on one page of the manager's stock list (inventory.views.STOCK_PAGE_SIZE)
STOCK_HTML = """<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Stok</title></head><body>
<h1>Stok</h1><table><thead><tr><th>SKU</th><th>Barang</th><th>Kategori</th><th>Stok</th><th>Satuan</th>
<th>Pesan ulang</th><th>Status</th><th>Terakhir terjual</th><th></th></tr></thead>
<tbody>{% for r in rows %}<tr class="row-{{ r.status }}"><td><code>{{ r.sku }}</code></td><td>{{ r.name }}</td>
<td>{{ r.category }}</td><td>{{ r.on_hand }}</td><td>{{ r.unit }}</td><td>{{ r.reorder_point or '' }}</td>
<td><span class="badge status-{{ r.status }}">{{ r.status }}</span></td><td>{{ (r.last_sold_at or '')[:10] }}</td>
<td><a href="/stock/{{ r.sku }}/movements">Riwayat</a></td></tr>
{% endfor %}</tbody></table></body></html>"""


def create_app(db_path: str) -> Flask:
    app = Flask(__name__)
    local = threading.local()

    def conn():
        if not hasattr(local, "conn"):
            local.conn = raw.connect(db_path)
        return local.conn

    @app.get("/noop")
    def noop():
        return jsonify(ok=True)

    @app.get("/products")
    def products():
        q = request.args.get("q", "")
        found = raw.product_by_barcode(conn(), q)
        if found is not None:
            return jsonify([found])
        items, total = raw.search(conn(), q)
        return jsonify(items), 200, {"X-Total": str(total)}

    @app.get("/stock")
    def stock():
        return jsonify(raw.stock_dicts(conn()))

    @app.get("/stock.html")
    def stock_html():  # every row read (the app counts them by status), the first page of 100 shown, as /stock does
        return render_template_string(STOCK_HTML, rows=raw.stock_dicts(conn())[:STOCK_PAGE])

    @app.get("/movements/<sku>")
    def movements(sku):
        rows, total = raw.movements(conn(), sku)
        return jsonify(rows), 200, {"X-Total": str(total)}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    from waitress import serve

    serve(create_app(args.db), host="127.0.0.1", port=args.port, threads=args.threads, ident="floor")


if __name__ == "__main__":
    main()
