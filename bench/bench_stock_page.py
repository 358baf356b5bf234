"""Stock page benchmark: 2,000 products and 1 million ledger movements over 5 years (DESIGN.md, Targets).

Figures: `inventory.queries.stock_rows` in-process, `GET /api/v1/stock` (bearer token) and the
manager's HTML page `/stock` (signed in through the /login form) through `gerai serve`, and
page 1 of the busiest product's movement history (service and
`GET /api/v1/stock/<sku>/movements`). Floors from the same run: raw `sqlite3` joining products
and levels (or reading the ledger page), and for HTTP a minimal Flask app served by waitress
(`bench/floor_app.py`) returning the same rows. The server's RSS is read after the runs.

    python bench/bench_stock_page.py [--quick] [--products N] [--movements N] [--runs N]
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import raw  # noqa: E402
from bench.common import (BENCH_PASSWORD, Row, ScratchShop, add_user, build_shop, echo, environment, pair,  # noqa: E402
                          print_table, query_plan, statements)
from bench.serving import (Client, Server, api_token, floor_server, gerai_server, sign_in_cookie,  # noqa: E402
                           with_server_cpu)

STOCK_PAGE_MS = 100.0
RSS_MB = 150.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run: 2,000 products, 50,000 movements")
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--movements", type=int)
    parser.add_argument("--runs", type=int, help="timed runs per figure")
    parser.add_argument("--seed", type=int, default=20250817)
    args = parser.parse_args(argv)
    args.movements = args.movements or (50_000 if args.quick else 1_000_000)
    args.runs = args.runs or (3 if args.quick else 200)
    args.warmup = 1 if args.quick else 10
    return args


def service_rows(shop: ScratchShop, runs: int, warmup: int) -> list[Row]:
    from gerai.db import Database
    from inventory.queries import movement_history, stock_rows

    db, conn = Database(shop.url), raw.connect(shop.path)
    sku = shop.busiest.sku

    def rows(_i):
        with db.read_session() as s:
            return stock_rows(s)

    def history(_i):
        with db.read_session() as s:
            return movement_history(s, sku)

    with db.read_session() as s:
        assert len(stock_rows(s)) == len(raw.stock_rows(conn)) == len(shop.products)
    result = [pair("stock rows, service", rows, "raw sqlite3 products JOIN levels", lambda _i: raw.stock_rows(conn),
                   runs, STOCK_PAGE_MS, warmup=warmup),
              pair(f"movements page 1 ({shop.busiest.movements:,} moves), service", history,
                   "raw sqlite3 count + page", lambda _i: raw.movements(conn, sku), runs, None, warmup=warmup)]
    db.dispose()
    return result


def http_rows(shop: ScratchShop, servers: tuple[Server, Server], api: Client, page: Client, floor: Client, runs: int,
              warmup: int) -> list[Row]:
    sku = shop.busiest.sku
    listed: set[bytes] = set()
    for number in range(1, len(shop.products) // 100 + 2):  # 100 rows a page
        listed |= set(re.findall(rb"BN-\d{5}", page.get(f"/stock?page={number}")))
    if len(listed) != len(shop.products):
        raise RuntimeError(f"the /stock page lists {len(listed)} of {len(shop.products)} products")

    def row(figure, client, path, floor_name, floor_path, target):
        return with_server_cpu(*servers, lambda: pair(figure, lambda _i: client.get(path), floor_name,
                                                      lambda _i: floor.get(floor_path), runs, target,
                                                      warmup=warmup), runs + warmup)

    return [row("GET /api/v1/stock, HTTP", api, "/api/v1/stock", "Flask+waitress, raw rows as JSON", "/stock",
                STOCK_PAGE_MS),
            row("GET /stock (HTML page), HTTP", page, "/stock", "Flask+waitress, raw rows + Jinja", "/stock.html",
                STOCK_PAGE_MS),
            row("GET movements page 1, HTTP", api, f"/api/v1/stock/{sku}/movements", "Flask+waitress, raw page as JSON",
                f"/movements/{sku}", None)]


def diagnostics(shop: ScratchShop) -> list[str]:
    """SQL statements per request and SQLite's plan for each (in-process, same database)."""
    from gerai.app import create_app
    from gerai.config import load_config

    app = create_app(load_config({}, instance=str(shop.instance), secret_key="bench-diagnostics"))
    client, engine = app.test_client(), app.extensions["gerai_db"].engine

    token = client.post("/api/v1/auth/token", json={"username": shop.users["manager"],
                                                    "password": BENCH_PASSWORD}).get_json()["token"]
    conn, notes = raw.connect(shop.path), ["", "== diagnostics (in-process Flask test client, same database)"]
    for path in ("/api/v1/stock", f"/api/v1/stock/{shop.busiest.sku}/movements"):
        sent = statements(engine, lambda path=path: client.get(path, headers={"Authorization": f"Bearer {token}"}))
        notes.append(f"GET {path}: {len(sent)} SQL statements")
        for sql, params in sent:
            if "stock_levels" in sql or "stock_movements" in sql:
                notes.append(f"    {sql.split('FROM')[0][:40].strip()}... plan: {query_plan(conn, sql, params)}")
    app.extensions["gerai_db"].dispose()
    return notes


def run(shop: ScratchShop, args) -> tuple[list[Row], list[str]]:
    manager = add_user(shop, "manager")
    rows = service_rows(shop, args.runs, args.warmup)
    with gerai_server(shop) as server, floor_server(shop) as floor_srv:
        api = Client(server, {"Authorization": f"Bearer {api_token(server, manager)}"})
        page = Client(server, {"Cookie": sign_in_cookie(server, manager)})
        floor = Client(floor_srv)
        rows += http_rows(shop, (server, floor_srv), api, page, floor, args.runs, args.warmup)
        rss, peak = server.memory_mb()
        floor_rss, _ = floor_srv.memory_mb()
        for client in (api, page, floor):
            client.close()
    verdict = "pass" if rss <= RSS_MB else "FAIL"
    notes = [f"gerai serve RSS after the runs: {rss:.1f} MB (peak {peak:.1f} MB) | floor app {floor_rss:.1f} MB"
             f" | target <= {RSS_MB:g} MB | {verdict}"]
    return rows, notes + diagnostics(shop)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    echo(f"start: {environment()}")
    echo(f"Building a scratch shop: {args.products:,} products, {args.movements:,} movements over 5 years ...")
    shop = build_shop(args.products, args.movements, seed=args.seed)
    try:
        echo(f"  built and ledger-checked in {shop.build_seconds:.1f} s: {shop.movements:,} movements,"
             f" {shop.path.stat().st_size / 1e6:.0f} MB ({shop.path})")
        rows, notes = run(shop, args)
    finally:
        shop.remove()
    print_table(f"stock page: {args.products:,} products, {args.movements:,} movements", rows)
    for line in notes:
        echo(line)
    echo(f"end: {environment()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
