#!/usr/bin/env python3
"""Checkout (DESIGN.md, Targets): `POST /sales` of a 10-line sale through the real server on SQLite.

`gerai serve` (waitress, 8 threads; SQLite in WAL with synchronous=FULL) sells over one kept-alive
connection. Beside it, measured in the same run and interleaved call by call, the floor:

  * a no-op Flask endpoint on waitress (same threads) answering the same body, plus
  * raw `sqlite3` writing the same rows with the same durability, in one transaction per sale:
    the shift's totals, the receipt counter, the header, 10 ledger rows, 10 levels, 10 lines,
    the payment and the 10 products' daily sales, on a database migrated like the shop's.

Goal: median within 1.5x of the floor, p99 <= 15 ms. A second row times `pos.sales.record_sale`
in-process against the raw writes alone: what the service adds without HTTP.

    python bench/bench_checkout.py            # 2,000 sales
    python bench/bench_checkout.py --quick    # 200 sales
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BENCH_PASSWORD, Row, Stats, echo, environment, ms, pair, print_table  # noqa: E402
from bench.serving import Server, free_port  # noqa: E402

LINES = 10
P99_MS = 15.0
RATIO_GOAL = 1.5
NOOP_APP = """
import sys
from flask import Flask, request
from waitress import serve
app = Flask("noop")
@app.get("/")
def ready():
    return "ok"
@app.post("/api/v1/sales")
def sale():
    request.get_data()
    return {"ok": True}, 201
serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8, ident="noop", clear_untrusted_proxy_headers=True)
"""


def sale_body(skus: list[str]) -> bytes:
    return json.dumps({"id": str(uuid.uuid4()), "lines": [{"sku": sku, "qty": 1} for sku in skus],
                       "payments": [{"method": "cash", "amount": 1_000_000}]}).encode()


class Poster:
    """POST over one kept-alive connection; any other status than `expect` stops the benchmark."""

    def __init__(self, port: int, token: str | None = None, expect: int = 201):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        self.expect = expect

    def __call__(self, path: str, body: bytes) -> bytes:
        self.conn.request("POST", path, body=body, headers=self.headers)
        res = self.conn.getresponse()
        data = res.read()
        if res.status != self.expect:
            raise RuntimeError(f"POST {path} answered {res.status}: {data[:300]!r}")
        return data

    def close(self) -> None:
        self.conn.close()


def new_shop(root: Path) -> Path:
    """A migrated shop with a manager and a cashier (the real services); returns its instance."""
    from gerai import auth, migrate
    from gerai.db import Database

    instance = root / "instance"
    instance.mkdir(parents=True)
    url = f"sqlite:///{instance / 'gerai.db'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.session() as s:
        auth.create_user(s, "bench-manager", "manager", BENCH_PASSWORD)
    with db.session() as s:
        auth.create_user(s, "bench-cashier", "cashier", BENCH_PASSWORD)
    db.dispose()
    return instance


def stock_the_shop(instance: Path) -> list[str]:
    """Ten products with a million of each in stock, and the cashier's open shift (the real services)."""
    import sqlalchemy as sa

    from gerai.db import Database
    from gerai.models import User
    from inventory import catalog, stock
    from pos import shifts

    db = Database(f"sqlite:///{instance / 'gerai.db'}")
    skus = [f"BENCH-{i:02d}" for i in range(LINES)]
    with db.session() as s:
        catalog.create_supplier(s, {"code": "BENCH", "name": "Bench supplier", "lead_time_days": 2, "pack_size": None,
                                    "contact": None})
        for i, sku in enumerate(skus):
            catalog.create_product(s, {"sku": sku, "name": f"Barang uji {i}", "category": "sembako", "unit": "pcs",
                                       "price": 5000 + 100 * i, "supplier": "BENCH", "barcodes": []})
        stock.receive_goods(s, "BENCH", "SJ-BENCH", [{"sku": sku, "qty": Decimal(1_000_000), "unit_cost": 4000}
                                                     for sku in skus])
        shifts.open_shift(s, s.scalar(sa.select(User.id).where(User.username == "bench-cashier")), 0)
    db.dispose()
    return skus


def raw_writer(instance: Path):
    """The floor's database work: the same rows a sale writes, by hand, synchronous=FULL in WAL."""
    stock_the_shop(instance)
    db = sqlite3.connect(instance / "gerai.db", isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    now = "2026-01-01 08:00:00.000000"
    shift = db.execute("SELECT id, cashier_id FROM shifts").fetchone()
    products = [pid for (pid,) in db.execute("SELECT id FROM products ORDER BY id")]

    def write(_i: int) -> None:
        sid = str(uuid.uuid4())
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE shifts SET sales_count = sales_count + 1, sales_total = sales_total + 59500, "
                   "cash_in = cash_in + 59500 WHERE cashier_id = ? AND closed_at IS NULL RETURNING id",
                   (shift[1],)).fetchall()
        number = db.execute("INSERT INTO pos_counters (name, value) VALUES ('raw', 1) ON CONFLICT (name) DO UPDATE "
                            "SET value = value + 1 RETURNING value").fetchone()[0]
        db.execute("INSERT INTO sales (id, number, at, cashier_id, shift_id, total, paid, change, fingerprint) "
                   "VALUES (?, ?, ?, ?, ?, 59500, 1000000, 940500, ?)", (sid, number + 10**9, now, shift[1],
                                                                         shift[0], "f" * 64))
        db.executemany("INSERT INTO stock_movements (product_id, at, kind, qty, balance_after, source_type, source_id,"
                       " reference, user_id) VALUES (?, ?, 'sale', -1000, 0, 'sale', ?, '', ?)",
                       [(pid, now, sid, shift[1]) for pid in products])
        db.executemany("UPDATE stock_levels SET on_hand = on_hand - 1000, last_sold_at = ?, updated_at = ?, "
                       "movement_count = movement_count + 1 "
                       "WHERE product_id = ?", [(now, now, pid) for pid in products])
        db.executemany("INSERT INTO sale_lines (sale_id, line_no, product_id, qty, unit_price, catalog_price, amount) "
                       "VALUES (?, ?, ?, 1000, 5000, 5000, 5000)", [(sid, n + 1, pid) for n, pid in enumerate(products)])
        db.execute("INSERT INTO sale_payments (sale_id, line_no, method, amount, reference) "
                   "VALUES (?, 1, 'cash', 1000000, '')", (sid,))
        db.executemany("INSERT INTO daily_sales (product_id, day, qty, lines, amount) VALUES (?, 20454, 1000, 1, 5000) "
                       "ON CONFLICT (product_id, day) DO UPDATE SET qty = daily_sales.qty + excluded.qty, "
                       "lines = daily_sales.lines + 1, amount = daily_sales.amount + excluded.amount",
                       [(pid,) for pid in products])
        db.execute("COMMIT")

    return write, db


def http_row(root: Path, args) -> tuple[Row, Row, float, float]:
    """POST /sales against no-op + raw, interleaved; (row, floor-parts row, RSS, peak RSS)."""
    instance = new_shop(root / "shop")
    skus = stock_the_shop(instance)
    script = Path(sys.executable).with_name("gerai")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from gerai.cli import main; main()"]
    env = {**os.environ, "GERAI_INSTANCE": str(instance), "GERAI_SECRET_KEY": "bench-" + uuid.uuid4().hex,
           "GERAI_PRINTER": "none"}
    env.pop("GERAI_DATABASE_URL", None)
    port, noop_port = free_port(), free_port()
    app = Server("gerai serve", [*cmd, "serve", "--port", str(port), "--threads", "8"], port, root / "serve.log", env,
                 ready_path="/api/v1/openapi.json")
    noop = Server("no-op", [sys.executable, "-c", NOOP_APP, str(noop_port)], noop_port, root / "noop.log")
    raw_write, raw_db = raw_writer(new_shop(root / "raw"))
    with app, noop:
        token = json.loads(Poster(port, expect=200)("/api/v1/auth/token", json.dumps(
            {"username": "bench-cashier", "password": BENCH_PASSWORD}).encode()))["token"]
        sell, bare = Poster(port, token), Poster(noop_port, "x" * len(token))
        bodies = iter([sale_body(skus) for _ in range(args.sales + args.warmup)])  # a new sale each call
        same_size = sale_body(skus)
        noop_times: list[int] = []

        def floor(i: int) -> None:  # the no-op request with a sale's body, then the raw writes: one floor call
            t0 = time.perf_counter_ns()
            bare("/api/v1/sales", same_size)
            noop_times.append(time.perf_counter_ns() - t0)
            raw_write(i)

        app_cpu, noop_cpu, raw_cpu = app.cpu_seconds(), noop.cpu_seconds(), time.process_time()
        row = pair("POST /sales (10 lines), HTTP", lambda i: sell("/api/v1/sales", next(bodies)),
                   "no-op POST + raw sqlite3", floor, args.sales, P99_MS, warmup=args.warmup)
        calls = args.sales + args.warmup
        row = Row(row.figure, row.stats, row.floor, row.floor_stats, row.target_ms,
                  cpu_ms=(app.cpu_seconds() - app_cpu) * 1000 / calls,
                  floor_cpu_ms=((noop.cpu_seconds() - noop_cpu) + (time.process_time() - raw_cpu)) * 1000 / calls)
        noop_stats = Stats(tuple(noop_times[args.warmup:]))
        parts = Row("  of which the no-op POST, HTTP", noop_stats, "-", noop_stats)
        rss, peak = app.memory_mb()
        sell.close()
        bare.close()
    raw_db.close()
    return row, parts, rss, peak


def service_row(root: Path, args) -> Row:
    """`record_sale` in-process on its own shop against the raw writes on another, interleaved."""
    import sqlalchemy as sa

    from gerai.db import Database
    from pos import sales
    from pos.regulated import nik_key

    instance = new_shop(root / "service")
    skus = stock_the_shop(instance)
    db = Database(f"sqlite:///{instance / 'gerai.db'}")
    with db.session() as s:
        cashier = s.execute(sa.text("SELECT id FROM users WHERE username = 'bench-cashier'")).scalar()
    key, tz = nik_key("bench"), ZoneInfo("Asia/Jakarta")
    seller = sales.Seller(cashier, "bench-cashier")
    raw_write, raw_db = raw_writer(new_shop(root / "service-raw"))

    def record(_i: int) -> None:
        sale = sales.SaleIn(str(uuid.uuid4()), tuple(sales.LineIn(sku, Decimal(1)) for sku in skus),
                            (sales.PaymentIn("cash", 1_000_000),))
        with db.session() as s:
            sales.record_sale(s, sale, seller, fingerprint=sales.fingerprint(sale, key), nik_key=key, tz=tz)

    try:
        return pair("record_sale (10 lines), service", record, "raw sqlite3, same rows", raw_write, args.sales, None,
                    warmup=args.warmup)
    finally:
        raw_db.close()
        db.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 sales")
    parser.add_argument("--sales", type=int, help="timed sales per figure")
    args = parser.parse_args(argv)
    args.sales = args.sales or (200 if args.quick else 2000)
    args.warmup = 20 if args.quick else 200
    echo(environment())
    root = Path(tempfile.mkdtemp(prefix="gerai-bench-checkout-"))
    try:
        row, parts, rss, peak = http_row(root, args)
        service = service_row(root, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print_table("Checkout: POST /sales of a 10-line sale (SQLite, WAL, synchronous=FULL)", [row, parts, service])
    verdict = "pass" if row.ratio <= RATIO_GOAL else "FAIL"
    echo(f"\nmedian {ms(row.stats.p50)} ms vs floor {ms(row.floor_stats.p50)} ms: {row.ratio:.2f}x "
         f"(goal <= {RATIO_GOAL}x): {verdict}; p99 {ms(row.stats.p99)} ms (goal <= {P99_MS:g} ms): {row.verdict}")
    echo(f"server CPU per sale {ms(row.cpu_ms)} ms vs floor {ms(row.floor_cpu_ms)} ms (no-op server + raw writer)")
    echo(f"gerai serve RSS after the runs: {rss:.1f} MB (peak {peak:.1f} MB)")
    echo(environment())


if __name__ == "__main__":
    main()
