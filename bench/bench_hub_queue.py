"""The coordinators' queue on a national hub: 1,000 shops, 1,000,000 restock requests (~2.5 million lines)
in PostgreSQL; the queue's first page for one supplier with and without filters, and the demand per
product per kabupaten, each beside the bare indexed SQL of the same page through psycopg (the floor).
Target (DESIGN.md): <= 200 ms.

The data is made in the database itself (INSERT ... SELECT over generate_series), in a database this
script creates and drops (`--keep` leaves it). Requests spread evenly over two years; older than 14
days they are closed (received 90%, cancelled 10%), younger ones mostly open (submitted, dispatched,
partially received): about 2% of all requests are open, as at a hub where deliveries follow within
days. Suppliers: BULOG 40%, IDFOOD 30%, AGEN-LPG 20%, PUPUK 10%; 1-4 lines each from 12 products per
supplier; shops in 50 kabupaten of 10 provinsi, 4 per kecamatan. Rows are written in time order, as a hub
receives them (the open requests and their lines sit together at the end of the tables).

    python bench/bench_hub_queue.py            # 1,000,000 requests (~2-5 min to make)
    python bench/bench_hub_queue.py --quick    # 20,000 requests, few runs (smoke)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.common import echo, environment, pair, print_table  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SUPPLIER = "BULOG"
OPEN = ("submitted", "dispatched", "partially_received")
TARGET_MS = 200.0


def plain(url: str) -> str:
    """psycopg's URL for a SQLAlchemy one."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(server: str) -> str:
    name = f"gerai_bench_hub_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return sa.make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str, url: str) -> None:
    with psycopg.connect(plain(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')


FILL = [
    ("outlets", """
INSERT INTO hub_outlets (code, name, cooperative, desa, kecamatan, kabupaten, provinsi, zone, token_hash,
                         accepted_through, pull_cursor_seen, registered_at, last_push_at, active)
SELECT 'KDMP-' || lpad(i::text, 5, '0'), 'Gerai KMP ' || i, 'Koperasi Desa ' || i, 'Desa ' || i,
       'Kecamatan ' || ((i - 1) / 4), 'Kabupaten ' || ((i - 1) / %(per_kab)s), 'Provinsi ' || ((i - 1) / %(per_prov)s),
       NULL, md5(i::text) || md5((-i)::text), 0, 0, now() - interval '800 days', now() - (i %% 5) * interval '1 day', true
FROM generate_series(1, %(outlets)s) i"""),
    ("requests", """
INSERT INTO hub_requests (id, outlet_id, supplier, status, auto, note, created_at, updated_at)
SELECT gen_random_uuid()::text, 1 + (i::bigint * 7919) %% %(outlets)s,
       (ARRAY['BULOG','BULOG','BULOG','BULOG','IDFOOD','IDFOOD','IDFOOD','AGEN-LPG','AGEN-LPG','PUPUK'])[1 + i %% 10],
       CASE WHEN at < now() - interval '14 days'
            THEN CASE WHEN u < 0.9 THEN 'received' ELSE 'cancelled' END
            ELSE CASE WHEN u < 0.5 THEN 'submitted' WHEN u < 0.75 THEN 'dispatched'
                      WHEN u < 0.9 THEN 'partially_received' ELSE 'received' END END,
       u < 0.3, '', at, at
FROM (SELECT i, now() - random() * interval '730 days' AS at, random() AS u
      FROM generate_series(1, %(requests)s) i) s
ORDER BY at"""),  # in the order a hub receives them: the open (recent) ones sit together
    ("lines", """
INSERT INTO hub_request_lines (request_id, sku, name, unit, qty, dispatched_qty, received_qty)
SELECT r.id, r.supplier || '-' || lpad(((k + h) %% 12)::text, 2, '0'), 'Barang ' || ((k + h) %% 12), 'pcs', q,
       CASE r.status WHEN 'submitted' THEN 0 WHEN 'cancelled' THEN 0 WHEN 'dispatched' THEN q / 2 ELSE q END,
       CASE r.status WHEN 'received' THEN q WHEN 'partially_received' THEN q / 2 ELSE 0 END
FROM hub_requests r
CROSS JOIN LATERAL (SELECT abs(hashtext(r.id)) AS h) x
CROSS JOIN LATERAL generate_series(1, 1 + x.h %% 4) k
CROSS JOIN LATERAL (SELECT (1 + (x.h + k) %% 50) * 1000::bigint AS q) y"""),
]


def fill(url: str, outlets: int, requests: int) -> None:
    params = {"outlets": outlets, "requests": requests, "per_kab": max(outlets // 50, 1), "per_prov": max(outlets // 10, 1)}
    with psycopg.connect(plain(url), autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        for name, sql in FILL:
            t0 = time.perf_counter()
            conn.execute(sql, params)
            echo(f"  {name}: {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        conn.execute("VACUUM ANALYZE hub_outlets, hub_requests, hub_request_lines")
        echo(f"  vacuum analyze: {time.perf_counter() - t0:.1f} s")
        counts = conn.execute("SELECT (SELECT count(*) FROM hub_requests), (SELECT count(*) FROM hub_request_lines),"
                              " (SELECT count(*) FROM hub_requests WHERE supplier = %s),"
                              " (SELECT count(*) FROM hub_requests WHERE supplier = %s AND status = ANY(%s))",
                              (SUPPLIER, SUPPLIER, list(OPEN))).fetchone()
        echo(f"  {counts[0]:,} requests, {counts[1]:,} lines; {SUPPLIER}: {counts[2]:,} requests, {counts[3]:,} open")


# --- the floor: the same pages as bare SQL ------------------------------------------------------

PAGE_SQL = """SELECT r.id, r.supplier, r.status, r.auto, r.note, r.created_at, r.updated_at, o.code, o.name,
       o.kecamatan, o.kabupaten, o.provinsi
FROM hub_requests r JOIN hub_outlets o ON o.id = r.outlet_id
WHERE r.supplier = %(supplier)s {where}
ORDER BY r.created_at DESC, r.id DESC LIMIT 51"""
LINES_SQL = "SELECT * FROM hub_request_lines WHERE request_id = ANY(%s) ORDER BY request_id, sku"
DEMAND_SQL = """SELECT o.provinsi, o.kabupaten, l.sku, max(l.name), max(l.unit), count(DISTINCT r.id),
       count(DISTINCT o.id), sum(l.qty), sum(l.dispatched_qty),
       sum(CASE WHEN l.qty > l.dispatched_qty THEN l.qty - l.dispatched_qty ELSE 0 END) AS outstanding
FROM hub_requests r JOIN hub_outlets o ON o.id = r.outlet_id JOIN hub_request_lines l ON l.request_id = r.id
WHERE r.status IN ('submitted', 'dispatched', 'partially_received') AND r.supplier = %(supplier)s {where}
GROUP BY o.provinsi, o.kabupaten, l.sku ORDER BY o.provinsi, o.kabupaten, outstanding DESC, l.sku"""
WHERES = {
    "status": "AND r.status = %(status)s",
    "open": "AND r.status IN ('submitted', 'dispatched', 'partially_received')",
    "kabupaten": "AND o.kabupaten = %(kabupaten)s",
    "sku": "AND EXISTS (SELECT 1 FROM hub_request_lines l WHERE l.request_id = r.id AND l.sku = %(sku)s)",
    "outlet": "AND o.code = %(outlet)s",
}


def floor_page(conn, args: dict):
    where = " ".join(WHERES["open" if k == "status" and v == "open" else k] for k, v in args.items())
    rows = conn.execute(PAGE_SQL.format(where=where), {"supplier": SUPPLIER, **args}, prepare=True).fetchall()
    return rows, conn.execute(LINES_SQL, ([r[0] for r in rows],), prepare=True).fetchall()


def floor_demand(conn, args: dict):
    where = " ".join(WHERES[k] for k in args)
    return conn.execute(DEMAND_SQL.format(where=where), {"supplier": SUPPLIER, **args}, prepare=True).fetchall()


def plan(conn, sql: str, params: dict) -> str:
    lines = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql, params)]
    return " / ".join(line.strip() for line in lines if "Index" in line or "Scan" in line or "Execution" in line)[:400]


# --- the figures ---------------------------------------------------------------------------------

def app_for(url: str, instance: Path):
    """A hub app on the bench database with a signed-in BULOG coordinator (a Flask test client)."""
    from gerai import auth
    from gerai.app import create_app
    from gerai.config import load_config
    from gerai.models import User

    app = create_app(load_config({}, instance=str(instance), database_url=url, role="hub",
                                 secret_key="bench-" + uuid.uuid4().hex))
    with app.extensions["gerai_db"].session() as s:
        user = s.scalar(sa.select(User).where(User.username == "koord-bulog"))
        if user is None:
            user = User(username="koord-bulog", role="coordinator", supplier_code=SUPPLIER,
                        password_hash=auth.hash_password("bench-rahasia-123"))
            s.add(user)
            s.commit()
        uid, fp = user.id, auth.password_fingerprint(user)
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["uid"], sess["fp"], sess["csrf_token"] = uid, fp, "bench"
    return app, client


def run(url: str, runs: int, instance: Path) -> None:
    from suppliers.hub import queue

    app, client = app_for(url, instance)
    db = app.extensions["gerai_db"]
    conn = psycopg.connect(plain(url), autocommit=True)
    with conn.cursor() as cur:
        kab, sku, outlet = cur.execute(
            "SELECT o.kabupaten, l.sku, o.code FROM hub_requests r JOIN hub_outlets o ON o.id = r.outlet_id"
            " JOIN hub_request_lines l ON l.request_id = r.id WHERE r.supplier = %s AND r.status = 'submitted'"
            " ORDER BY r.created_at DESC LIMIT 1", (SUPPLIER,)).fetchone()

    def service_page(args):
        def call(_i):
            with db.session() as s:
                page = queue.queue_page(s, queue.clean_filter(SUPPLIER, args))
                s.rollback()
                return page
        return call

    def service_demand(args):
        def call(_i):
            with db.session() as s:
                rows = queue.demand(s, queue.clean_filter(SUPPLIER, args))
                s.rollback()
                return rows
        return call

    cases = [("no filter", {}), ("status=submitted", {"status": "submitted"}), ("status=open", {"status": "open"}),
             (f"kabupaten={kab}", {"kabupaten": kab}), (f"sku={sku}", {"sku": sku}),
             ("open + kabupaten + sku", {"status": "open", "kabupaten": kab, "sku": sku}),
             (f"shop={outlet}", {"outlet": outlet})]
    rows = []
    for label, args in cases:
        count = len(service_page(args)(0).rows)
        rows.append(pair(f"queue page 1, {label} ({count} rows), service", service_page(args),
                         "bare SQL page + its lines, psycopg", lambda _i, a=args: floor_page(conn, a), runs, TARGET_MS))
    for label, args in (("all areas", {}), (f"kabupaten={kab}", {"kabupaten": kab})):
        count = len(service_demand(args)(0))
        rows.append(pair(f"demand per product per kabupaten, {label} ({count} rows), service", service_demand(args),
                         "bare SQL aggregate, psycopg", lambda _i, a=args: floor_demand(conn, a), runs, TARGET_MS))

    def http(path):
        def call(_i):
            res = client.get(path)
            assert res.status_code == 200, res.status_code
            return res.get_data()
        return call

    rows.append(pair("GET /hub/queue (HTML, Flask client)", http("/hub/queue"), "bare SQL page + its lines, psycopg",
                     lambda _i: floor_page(conn, {}), max(runs // 2, 10), TARGET_MS))
    rows.append(pair(f"GET /hub/queue?status=open&kabupaten=..&sku=.. (HTML)",
                     http(f"/hub/queue?status=open&kabupaten={kab.replace(' ', '+')}&sku={sku}"),
                     "bare SQL page + its lines, psycopg",
                     lambda _i: floor_page(conn, {"status": "open", "kabupaten": kab, "sku": sku}), max(runs // 2, 10),
                     TARGET_MS))
    rows.append(pair("GET /hub/demand (HTML, Flask client)", http("/hub/demand"), "bare SQL aggregate, psycopg",
                     lambda _i: floor_demand(conn, {}), max(runs // 2, 10), TARGET_MS))
    print_table(f"coordinator queue, supplier {SUPPLIER}", rows)
    echo("\nplans (EXPLAIN ANALYZE of the floor's statements):")
    for label, args in cases:
        where = " ".join(WHERES["open" if k == "status" and v == "open" else k] for k, v in args.items())
        echo(f"  {label}: {plan(conn, PAGE_SQL.format(where=where), {'supplier': SUPPLIER, **args})}")
    echo(f"  demand: {plan(conn, DEMAND_SQL.format(where=''), {'supplier': SUPPLIER})}")
    conn.close()
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--outlets", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="20,000 requests, 100 shops, 20 runs")
    parser.add_argument("--keep", action="store_true", help="leave the database (its URL is printed)")
    parser.add_argument("--reuse", metavar="URL", help="time on a database a --keep run left (no making, no drop)")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.outlets, args.runs = 20_000, 100, 20
    server = os.environ.get("GERAI_TEST_POSTGRES_URL", PG_DEFAULT)
    echo(environment())
    if args.reuse:
        with tempfile.TemporaryDirectory() as tmp:
            run(args.reuse, args.runs, Path(tmp))
        return
    url = create_database(server)
    echo(f"database {sa.make_url(url).database}: {args.outlets:,} shops, {args.requests:,} requests")
    try:
        from gerai import migrate

        migrate.upgrade(url)
        fill(url, args.outlets, args.requests)
        with tempfile.TemporaryDirectory() as tmp:
            run(url, args.runs, Path(tmp))
    finally:
        if args.keep:
            echo(f"kept: {url}")
        else:
            drop_database(server, url)


if __name__ == "__main__":
    main()
