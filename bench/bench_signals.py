"""Benchmark: the signals on five years of a busy shop (DESIGN.md, Targets).

About 9 million ledger rows over 2,000 products on SQLite, generated with raw `executemany`
in a scratch database (levels equal the sum of movements; the daily history is derived in
SQL from the ledger, as migration 0003 does for an existing shop). Then, through the real
server (`gerai serve`, waitress): the stock list and page (target <= 100 ms), the slow-mover
report (<= 500 ms), restock suggestions (<= 500 ms) and the server's memory (<= 150 MB RSS);
and the time to import one year of history with `import-sales`. Every figure is printed
beside a floor measured in the same run: raw sqlite3 reading the same rows, an HTTP round
trip to a tiny endpoint, raw sqlite3 writing the same rows.

    python bench/bench_signals.py            # reuses the generated shop in /tmp if present (~4 min to make)
    python bench/bench_signals.py --fresh    # generate it again
    python bench/bench_signals.py --quick    # 200 products, one year, few repetitions: a smoke run
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import BENCH_PASSWORD, Row, Stats, echo, environment, pair, print_table  # noqa: E402
from bench.serving import Client, Server, api_token, free_port  # noqa: E402
from gerai import migrate  # noqa: E402
from gerai.auth import hash_password  # noqa: E402

GENERATOR_VERSION = 4
OFFSET_HOURS = 7  # Asia/Jakarta
TZ_NAME = "Asia/Jakarta"
SUPPLIERS = [("BULOG", 3, None), ("IDFOOD", 4, 12000), ("AGEN-LPG", 2, None), ("PUPUK", 7, 10000), ("GROSIR", 2, 24000)]
MINUTES = [f"{m // 60:02d}:{m % 60:02d}:00.000000" for m in range(24 * 60)]


# --- generating the shop --------------------------------------------------------------------------

def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _products(rng: random.Random, n: int, lines_per_day: float) -> list[dict]:
    weights = [1 / (r ** 0.7) for r in range(1, n + 1)]
    scale = lines_per_day / sum(weights)
    out = []
    for i in range(n):
        kg = i % 10 == 3
        price = rng.choice((2500, 4000, 6500, 12000, 15700, 18000, 27000, 62500, 95000))
        supplier, lead, _pack = SUPPLIERS[i % len(SUPPLIERS)]
        out.append({"id": i + 1, "sku": f"P{i + 1:05d}", "name": f"Barang uji {i + 1}", "unit": "kg" if kg else "pcs",
                    "price": price, "cost": price * 85 // 100, "supplier": supplier, "lead": lead,
                    "rate": weights[i] * scale, "kg": kg, "stops": None})
    for p in rng.sample(out, n // 25):  # some stop selling: the slow and the dead
        p["stops"] = rng.randint(15, 240)
    return out


def _generate(db_path: Path, n_products: int, days: int, lines_per_day: float, today: date) -> dict:
    rng = random.Random(20251122)
    products = _products(rng, n_products, lines_per_day)
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("DROP INDEX ix_stock_movements_product_id_id")
    con.execute("DROP INDEX ix_stock_movements_at")
    con.execute("BEGIN")
    con.executemany("INSERT INTO suppliers (code, name, lead_time_days, pack_size, created_at, updated_at) VALUES "
                    "(?, ?, ?, ?, '2020-01-01 00:00:00.000000', '2020-01-01 00:00:00.000000')",
                    [(c, f"Pemasok {c}", lead, pack) for c, lead, pack in SUPPLIERS])
    con.executemany("INSERT INTO products (id, sku, name, category, unit, price, subsidised, taxable, supplier_code, active, "
                    "created_at, updated_at) VALUES (?, ?, ?, 'sembako', ?, ?, 0, 0, ?, 1, ?, ?)",
                    [(p["id"], p["sku"], p["name"], p["unit"], p["price"], p["supplier"], "2020-01-01 00:00:00.000000",
                      "2020-01-01 00:00:00.000000") for p in products])
    balance = {p["id"]: 0 for p in products}
    arriving: dict[int, tuple[int, int]] = {}  # product -> (day index, milli)
    out_since: dict[int, str] = {}
    spells, total, last_sold = [], 0, {}
    first = today - timedelta(days=days)
    for d in range(days):
        day = first + timedelta(days=d)
        ds = day.isoformat()
        rows = []
        weekday_boost = 1.2 if day.weekday() >= 5 else 1.0
        season = 1.0 + 0.25 * math.sin(2 * math.pi * d / 365)
        for p in products:
            pid = p["id"]
            due = arriving.get(pid)
            if due and due[0] <= d:
                del arriving[pid]
                balance[pid] += due[1]
                rows.append((pid, f"{ds} 00:30:00.000000", "receipt", due[1], balance[pid], p["cost"]))
                if pid in out_since:
                    spells.append((pid, out_since.pop(pid), f"{ds} 00:30:00.000000"))
            stopped = p["stops"] is not None and days - d <= p["stops"]
            n = 0 if stopped else _poisson(rng, p["rate"] * weekday_boost * season)
            for i in range(n):
                if balance[pid] <= 0:
                    break
                qty = rng.choice((500, 1000, 1500, 2000, 5000)) if p["kg"] else (1000 if rng.random() < 0.8 else 2000)
                qty = min(qty, balance[pid])
                balance[pid] -= qty
                at = f"{ds} {MINUTES[10 + (i * 820) // n]}"
                rows.append((pid, at, "sale", -qty, balance[pid], None))
                last_sold[pid] = at
                if balance[pid] == 0:
                    out_since[pid] = at
            if not stopped and pid not in arriving:
                daily = p["rate"] * (2500 if p["kg"] else 1200)
                if balance[pid] <= daily * (p["lead"] + 1):
                    late = 6 if rng.random() < 0.03 else 0
                    qty = max(int(daily * 14) // 1000 * 1000, 1000)
                    arriving[pid] = (d + p["lead"] + late, qty)
        con.executemany("INSERT INTO stock_movements (product_id, at, kind, qty, balance_after, unit_cost, source_type, "
                        "source_id, reference) VALUES (?, ?, ?, ?, ?, ?, 'bench', 'bench', '')", rows)
        total += len(rows)
        if d % 100 == 0:
            print(f"  day {d}/{days}: {total:,} movements", flush=True)
    con.executemany("INSERT INTO stock_outs (product_id, started_at, ended_at) VALUES (?, ?, ?)",
                    spells + [(pid, at, None) for pid, at in out_since.items()])
    con.execute("INSERT INTO stock_levels (product_id, on_hand, avg_cost, last_movement_id, last_sold_at, updated_at, "
                "movement_count) SELECT p.id, COALESCE(m.total, 0), p.price * 85 / 100, m.last_id, NULL, "
                "'2020-01-01 00:00:00.000000', COALESCE(m.n, 0) FROM products p LEFT JOIN (SELECT product_id, "
                "SUM(qty) AS total, MAX(id) AS last_id, COUNT(*) AS n FROM stock_movements GROUP BY product_id) m "
                "ON m.product_id = p.id")
    con.executemany("UPDATE stock_levels SET last_sold_at = ? WHERE product_id = ?", [(at, pid) for pid, at in last_sold.items()])
    con.execute("COMMIT")
    t = time.perf_counter()
    con.execute("CREATE INDEX ix_stock_movements_product_id_id ON stock_movements (product_id, id)")
    con.execute("CREATE INDEX ix_stock_movements_at ON stock_movements (at)")
    con.execute(f"""INSERT INTO daily_sales (product_id, day, qty, lines, amount)
        SELECT t.product_id, t.day, t.qty, t.lines, (t.qty * p.price + 500) / 1000 FROM (
            SELECT product_id, CAST(julianday(at, '+{OFFSET_HOURS} hours') - 2440587.5 AS INTEGER) AS day,
                   -SUM(qty) AS qty, SUM(kind = 'sale') AS lines
            FROM stock_movements WHERE kind IN ('sale', 'refund') GROUP BY 1, 2) t JOIN products p ON p.id = t.product_id""")
    derive = time.perf_counter() - t
    con.execute("INSERT INTO users (username, full_name, password_hash, role, active, created_at) VALUES "
                "('bench', 'Bench manager', ?, 'manager', 1, '2020-01-01 00:00:00.000000')", (hash_password(BENCH_PASSWORD),))
    bad = con.execute("SELECT COUNT(*) FROM stock_levels l JOIN (SELECT product_id, SUM(qty) s FROM stock_movements "
                      "GROUP BY product_id) m ON m.product_id = l.product_id WHERE l.on_hand <> m.s").fetchone()[0]
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    return {"movements": total, "spells": len(spells), "derive_s": derive, "level_mismatches": bad}


def shop_db(args) -> Path:
    n, days, lines = (200, 365, 470.0) if args.quick else (2000, 5 * 365, 4700.0)
    today = datetime.now(timezone.utc).date()
    folder = Path(tempfile.gettempdir()) / "gerai-bench-signals"
    folder.mkdir(exist_ok=True)
    schema = "-".join(sorted(migrate.head_revisions("sqlite://")))  # a new migration makes a new shop
    path = folder / f"shop-v{GENERATOR_VERSION}-{n}-{days}-{today.isoformat()}-r{schema}.db"
    if path.exists() and not args.fresh:
        print(f"reusing {path}")
        return path
    for old in folder.glob(f"shop-v*-{n}-{days}-*.db"):  # older copies of this size only
        old.unlink()
    tmp = path.with_suffix(".tmp")
    if tmp.exists():
        tmp.unlink()
    migrate.upgrade(f"sqlite:///{tmp}")
    print(f"generating {n} products x {days} days into {path} ...")
    t = time.perf_counter()
    facts = _generate(tmp, n, days, lines, today)
    took = time.perf_counter() - t
    tmp.rename(path)
    print(f"generated {facts['movements']:,} movements, {facts['spells']:,} out-of-stock spells in {took:.0f} s "
          f"(daily history derived in SQL in {facts['derive_s']:.1f} s); levels differing from the ledger: "
          f"{facts['level_mismatches']}")
    return path


# --- measuring --------------------------------------------------------------------------------------

LEVELS_SQL = ("SELECT p.id, p.sku, p.name, p.category, p.unit, p.supplier_code, p.shelf_life_days, p.reorder_min, "
              "p.reorder_max, l.on_hand, l.avg_cost, l.last_sold_at, s.lead_time_days FROM products p "
              "JOIN stock_levels l ON l.product_id = p.id LEFT JOIN suppliers s ON s.code = p.supplier_code "
              "WHERE p.active ORDER BY p.category, p.name")
HISTORY_SQL = ("WITH b AS MATERIALIZED (SELECT p.id AS pid, (SELECT x.day FROM daily_sales x WHERE x.product_id = p.id "
               "AND x.day <= ? AND x.lines > 0 ORDER BY x.day DESC LIMIT 1) AS ue FROM products p) "
               "SELECT d.product_id, d.day, d.qty, d.lines FROM b JOIN daily_sales d ON d.product_id = b.pid "
               "AND d.day > b.ue - 56 AND d.day <= ?")


def local_today() -> int:
    return (datetime.now(timezone.utc) + timedelta(hours=OFFSET_HOURS)).date().toordinal() - date(1970, 1, 1).toordinal()


def raw_floors(db: Path):
    """Raw sqlite3 reading what a request reads: the level rows (every request) and the history windows
    with the out-of-stock spells (the day's first request, before its estimates are kept)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
    ref = local_today() - 1
    since = (date(1970, 1, 1) + timedelta(days=ref - 180)).isoformat()

    def levels(_i):
        return con.execute(LEVELS_SQL).fetchall()

    def history(_i):
        con.execute(LEVELS_SQL).fetchall()
        con.execute(HISTORY_SQL, (ref, ref)).fetchall()
        return con.execute("SELECT product_id, started_at, ended_at FROM stock_outs WHERE ended_at IS NULL "
                           "OR ended_at >= ?", (since,)).fetchall()
    return levels, history


def bench_service(db: Path, runs: int) -> list[Row]:
    from gerai.db import Database
    from inventory import signals

    levels, history = raw_floors(db)
    database = Database(f"sqlite:///{db}", timezone=TZ_NAME)
    session = database.read_session()

    def cold(_i):  # the day's first request: no estimates kept yet
        database.session_info["cache"].clear()
        return signals.compute(session)

    rows = [pair("first signals pass of the day, service", cold, "raw sqlite3: levels + history + spells", history,
                 max(runs // 5, 3), 500, warmup=1),
            pair(f"signals of {len(signals.compute(session)):,} products, service", lambda _i: signals.compute(session, reasons=False),
                 "raw sqlite3: the level rows", levels, runs, 100, warmup=3)]
    session.close()
    database.dispose()
    return rows


def gerai_serve(db: Path, instance: Path) -> Server:
    script = Path(sys.executable).with_name("gerai")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from gerai.cli import main; main()"]
    port = free_port()
    env = {**os.environ, "GERAI_DATABASE_URL": f"sqlite:///{db}", "GERAI_INSTANCE": str(instance),
           "GERAI_TIMEZONE": TZ_NAME, "GERAI_SECRET_KEY": "bench-secret", "GERAI_PRINTER": "none"}
    return Server("gerai serve", [*cmd, "serve", "--port", str(port), "--threads", "8"], port,
                  instance / "gerai-serve.log", env)


def bench_http(db: Path, runs: int) -> tuple[list[Row], str]:
    levels, _history = raw_floors(db)
    instance = Path(tempfile.mkdtemp(prefix="gerai-bench-signals-"))
    try:
        with gerai_serve(db, instance) as server:
            client = Client(server, {"Authorization": f"Bearer {api_token(server, 'bench')}"})
            t = time.perf_counter()
            client.get("/api/v1/stock")
            first = (time.perf_counter() - t) * 1000
            rows = []
            for figure, path, target in (("GET /api/v1/stock, HTTP", "/api/v1/stock", 100),
                                         ("GET /stock (HTML page), HTTP", "/stock", 100),
                                         ("GET /api/v1/stock/slow-movers, HTTP", "/api/v1/stock/slow-movers", 500),
                                         ("GET /api/v1/restock/suggestions, HTTP", "/api/v1/restock/suggestions", 500),
                                         ("GET /signals (dashboard), HTTP", "/signals", None)):
                cpu0 = server.cpu_seconds()
                row = pair(figure, lambda _i, p=path: client.get(p), "raw sqlite3: the level rows", levels, runs,
                           target, warmup=2)
                rows.append(Row(row.figure, row.stats, row.floor, row.floor_stats, row.target_ms,
                                cpu_ms=(server.cpu_seconds() - cpu0) * 1000 / (runs + 2), floor_cpu_ms=row.floor_cpu_ms))
            counts = [len(json.loads(client.get(p))) for p in
                      ("/api/v1/stock", "/api/v1/stock/slow-movers", "/api/v1/restock/suggestions")]
            rss, peak = server.memory_mb()
            client.close()
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    note = (f"first GET /api/v1/stock after start (fills the day's estimates): {first:.0f} ms; "
            f"{counts[0]} stock rows, {counts[1]} not selling, {counts[2]} suggestions\n"
            f"gerai serve RSS after the runs: {rss:.1f} MB (peak {peak:.1f} MB); target <= 150 MB: "
            f"{'pass' if peak <= 150 else 'FAIL'}")
    return rows, note


def bench_import(db: Path, days: int = 365) -> Row:
    """One year of daily sales as a CSV, imported into a fresh shop with the same catalog, against raw
    sqlite3 writing the same number of sale movements with the same durability."""
    from gerai.db import Database
    from inventory.import_sales import import_sales_csv

    work = Path(tempfile.mkdtemp(prefix="gerai-bench-import-"))
    try:
        fresh = work / "fresh.db"
        migrate.upgrade(f"sqlite:///{fresh}")
        con = sqlite3.connect(fresh, isolation_level=None)
        con.execute("ATTACH ? AS big", (str(db),))
        con.execute("INSERT INTO suppliers SELECT * FROM big.suppliers")
        con.execute("INSERT INTO products SELECT * FROM big.products")
        con.execute("INSERT INTO stock_levels (product_id, on_hand, updated_at) SELECT id, 0, '2020-01-01 00:00:00' "
                    "FROM products")
        last = con.execute("SELECT MAX(day) FROM big.daily_sales").fetchone()[0]
        rows = con.execute("SELECT d.day, p.sku, d.qty, p.price FROM big.daily_sales d JOIN big.products p "
                           "ON p.id = d.product_id WHERE d.day > ? AND d.qty > 0 ORDER BY d.day, p.sku",
                           (last - days,)).fetchall()
        con.execute("DETACH big")
        con.close()
        shutil.copy(fresh, work / "floor.db")
        epoch = date(1970, 1, 1)
        csv_path = work / "penjualan.csv"
        with open(csv_path, "w", encoding="utf-8") as fh:
            fh.write("date,sku,qty,unit_price\n")
            for day, sku, milli, price in rows:
                fh.write(f"{(epoch + timedelta(days=day)).isoformat()},{sku},{milli / 1000:g},{price}\n")
        database = Database(f"sqlite:///{fresh}", timezone=TZ_NAME)
        session = database.session()
        t = time.perf_counter_ns()
        result = import_sales_csv(session, csv_path)
        took = time.perf_counter_ns() - t
        session.close()
        database.dispose()
        assert not result.errors, result.errors[:3]
        floor = sqlite3.connect(work / "floor.db", isolation_level=None)
        floor.execute("PRAGMA journal_mode=WAL")
        floor.execute("PRAGMA synchronous=FULL")
        t = time.perf_counter_ns()
        floor.execute("BEGIN IMMEDIATE")
        floor.executemany("INSERT INTO stock_movements (product_id, at, kind, qty, balance_after, source_type, "
                          "source_id, reference) SELECT id, ?, 'sale', ?, 0, 'import', 'x', '' FROM products WHERE sku = ?",
                          [(f"{(epoch + timedelta(days=day)).isoformat()} 05:00:00.000000", -milli, sku)
                           for day, sku, milli, _ in rows])
        floor.execute("COMMIT")
        raw = time.perf_counter_ns() - t
        floor.close()
        return Row(f"import-sales, one year ({result.rows:,} rows)", Stats((took,)),
                   "raw sqlite3 writing the same movements", Stats((raw,)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fresh", action="store_true", help="generate the shop again")
    ap.add_argument("--quick", action="store_true", help="200 products and one year, few repetitions (smoke run)")
    ap.add_argument("--runs", type=int, default=None, help="timed calls per figure")
    ap.add_argument("--skip-import", action="store_true")
    args = ap.parse_args()
    runs = args.runs or (5 if args.quick else 30)
    echo(environment())
    db = shop_db(args)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    counts = [con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("stock_movements", "products", "daily_sales")]
    con.close()
    echo(f"shop: {counts[0]:,} ledger rows, {counts[1]:,} products, {counts[2]:,} daily history rows; "
         f"{db.stat().st_size / 2**20:,.0f} MB")
    rows = bench_service(db, runs)
    http_rows, note = bench_http(db, runs)
    rows += http_rows
    if not args.skip_import:
        rows.append(bench_import(db))
    print_table("signals on five years of a busy shop (DESIGN.md Targets)", rows)
    echo(note)
    echo(environment())


if __name__ == "__main__":
    main()
