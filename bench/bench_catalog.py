"""Catalog benchmark: barcode lookup and name search over 20,000 products (DESIGN.md, Targets).

Figures: `inventory.queries.scanned_product` / `search_products` in-process (what the API calls), and
`GET /api/v1/products?q=...` through `gerai serve` (waitress, a subprocess). Floors from the
same run: raw `sqlite3` on the same file, and for HTTP a minimal Flask app served by waitress
(`bench/floor_app.py`) answering the same question with the same raw queries.

    python bench/bench_catalog.py [--quick] [--products N] [--lookups N] [--searches N]
"""
from __future__ import annotations

import argparse
import random
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import names, raw  # noqa: E402
from bench.common import (BENCH_PASSWORD, Row, ScratchShop, add_user, build_shop, echo, ean13,  # noqa: E402
                          environment, measure, ms, pair, print_table, query_plan, statements)
from bench.serving import Client, Server, api_token, floor_server, gerai_server, with_server_cpu  # noqa: E402

BARCODE_P99_MS = 2.0
SEARCH_MS = 20.0
FRAGMENTS = ("beras", "gula", "minyak goreng", names.RARE_WORD, "ku")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run: 2,000 products, few repetitions")
    parser.add_argument("--products", type=int)
    parser.add_argument("--lookups", type=int, help="timed barcode lookups per figure")
    parser.add_argument("--searches", type=int, help="timed searches per fragment and figure")
    parser.add_argument("--seed", type=int, default=20250817)
    args = parser.parse_args(argv)
    args.products = args.products or (2_000 if args.quick else 20_000)
    args.lookups = args.lookups or (50 if args.quick else 3_000)
    args.searches = args.searches or (5 if args.quick else 200)
    args.warmup = 2 if args.quick else 20
    return args


def unknown_codes(shop: ScratchShop, n: int) -> list[str]:
    """Valid EAN-13s that belong to no product (a scanner reading goods the shop never listed)."""
    known = set(shop.barcodes())
    return [code for code in (ean13(10**9 - 1 - k) for k in range(n + len(known))) if code not in known][:n]


def service_rows(shop: ScratchShop, codes: list[str], missing: list[str], args) -> list[Row]:
    from gerai.db import Database
    from inventory.queries import scanned_product, search_products

    db, conn = Database(shop.url), raw.connect(shop.path)

    def lookup(i):
        with db.read_session() as s:
            assert scanned_product(s, codes[i % len(codes)]) is not None

    def search(pool):
        def run(i):  # as GET /products?q= does: a barcode first, then the search
            with db.read_session() as s:
                return search_products(s, pool[i % len(pool)])
        return run

    def raw_unknown(i):
        code = missing[i % len(missing)]
        return raw.product_by_barcode(conn, code) or raw.search(conn, code)

    rows = [pair("barcode lookup, service", lookup, "raw sqlite3 by barcode PK",
                 lambda i: raw.product_by_barcode(conn, codes[i % len(codes)]), args.lookups, BARCODE_P99_MS,
                 warmup=args.warmup),
            pair("unknown barcode, service", search(missing), "raw sqlite3 PK miss + LIKE", raw_unknown,
                 args.searches, BARCODE_P99_MS, warmup=args.warmup)]
    for q in FRAGMENTS:
        with db.read_session() as s:
            app_total, raw_total = search_products(s, q)[1], raw.search(conn, q)[1]
        if app_total != raw_total:
            echo(f"warning: {q!r}: service found {app_total}, raw LIKE {raw_total}")
        rows.append(pair(f"search {q!r} ({app_total} hits), service", search([q]), "raw sqlite3 LIKE, same pattern",
                         lambda _i, q=q: raw.search(conn, q), args.searches, SEARCH_MS, warmup=args.warmup))
    db.dispose()
    return rows


def http_rows(servers: tuple[Server, Server], app: Client, floor: Client, codes: list[str], missing: list[str],
              args) -> list[Row]:
    def products(client, prefix, pool):
        return lambda i: client.get(f"{prefix}?q={urllib.parse.quote(pool[i % len(pool)])}")

    def row(figure, pool, floor_name, runs, target):
        return with_server_cpu(*servers, lambda: pair(
            figure, products(app, "/api/v1/products", pool), floor_name, products(floor, "/products", pool), runs,
            target, warmup=args.warmup), runs + args.warmup)

    return [row("barcode lookup, HTTP", codes, "Flask+waitress, raw sqlite3", args.lookups, BARCODE_P99_MS),
            row("unknown barcode, HTTP", missing, "Flask+waitress, raw sqlite3", args.searches, BARCODE_P99_MS),
            *(row(f"search {q!r}, HTTP", [q], "Flask+waitress, raw LIKE", args.searches, SEARCH_MS)
              for q in FRAGMENTS)]


def diagnostics(shop: ScratchShop, codes: list[str], missing: list[str]) -> list[str]:
    """SQL statements per call (an N+1 shows as a count that grows with the page) and SQLite's plans."""
    from gerai.config import load_config
    from gerai.app import create_app

    app = create_app(load_config({}, instance=str(shop.instance), secret_key="bench-diagnostics"))
    client, engine = app.test_client(), app.extensions["gerai_db"].engine
    token = client.post("/api/v1/auth/token", json={"username": shop.users["cashier"],
                                                    "password": BENCH_PASSWORD}).get_json()["token"]
    conn, notes = raw.connect(shop.path), ["", "== diagnostics (in-process Flask test client, same database)"]
    for label, q in (("barcode", codes[0]), ("unknown barcode", missing[0]), ("'beras'", "beras"),
                     (repr(names.RARE_WORD), names.RARE_WORD)):
        sent = statements(engine, lambda q=q: client.get(f"/api/v1/products?q={urllib.parse.quote(q)}",
                                                           headers={"Authorization": f"Bearer {token}"}))
        notes.append(f"GET /api/v1/products?q=<{label}>: {len(sent)} SQL statements")
        for sql, params in sent:
            if "FROM products" in sql and "LIKE" in sql:
                notes.append(f"    plan: {query_plan(conn, sql, params)}")
    app.extensions["gerai_db"].dispose()
    return notes


def run(shop: ScratchShop, args) -> tuple[list[Row], list[str]]:
    rng = random.Random(args.seed)
    codes = shop.barcodes()
    rng.shuffle(codes)
    missing = unknown_codes(shop, 50)
    add_user(shop, "cashier")
    rows = service_rows(shop, codes, missing, args)
    with gerai_server(shop) as server, floor_server(shop) as floor_srv:
        app = Client(server, {"Authorization": f"Bearer {api_token(server, shop.users['cashier'])}"})
        floor = Client(floor_srv)
        noop = measure(lambda _i: floor.get("/noop"), args.lookups, args.warmup)
        rows += http_rows((server, floor_srv), app, floor, codes, missing, args)
        rss, peak = server.memory_mb()
        floor_rss, _ = floor_srv.memory_mb()
        app.close(), floor.close()
    notes = [f"HTTP no-op round trip (Flask+waitress /noop, keep-alive): p50 {ms(noop.p50)} ms, p99 {ms(noop.p99)} ms",
             f"gerai serve RSS after the runs: {rss:.1f} MB (peak {peak:.1f} MB); floor app {floor_rss:.1f} MB"]
    return rows, notes + diagnostics(shop, codes, missing)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    echo(f"start: {environment()}")
    echo(f"Building a scratch shop: {args.products:,} products, 1-2 EAN-13 each ...")
    shop = build_shop(args.products, 0, seed=args.seed)
    try:
        echo(f"  built and ledger-checked in {shop.build_seconds:.1f} s: {len(shop.barcodes()):,} barcodes,"
             f" {shop.movements:,} movements ({shop.path})")
        rows, notes = run(shop, args)
    finally:
        shop.remove()
    print_table(f"catalog: {args.products:,} products", rows)
    for line in notes:
        echo(line)
    echo(f"end: {environment()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
