"""Benchmark: the signals on five years of a busy shop (DESIGN.md, Targets).

About 9 million ledger rows over 2,000 products on SQLite, generated with raw `executemany`
in a scratch database (levels equal the sum of movements; the daily history is derived in
SQL from the ledger, as migration 0003 does for an existing shop). Then, through the real
server (`gerai serve`, waitress): the stock list and page (target <= 100 ms), the slow-mover
report (<= 500 ms), restock suggestions (<= 500 ms) and the server's memory (<= 150 MB RSS);
and the time to import one year of history with `import-sales`. Every figure is printed
beside a floor measured in the same run: raw sqlite3 reading the same rows, an HTTP round
trip to a tiny endpoint, raw sqlite3 writing the same rows.

    python bench/bench_signals.py            # reuses the generated shop in /tmp if present
    python bench/bench_signals.py --fresh    # generate it again
    python bench/bench_signals.py --small    # 200 products, one year: a quick check
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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
    con.execute("INSERT INTO stock_levels (product_id, on_hand, avg_cost, last_movement_id, last_sold_at, updated_at) "
                "SELECT p.id, COALESCE(m.total, 0), p.price * 85 / 100, m.last_id, NULL, '2020-01-01 00:00:00.000000' "
                "FROM products p LEFT JOIN (SELECT product_id, SUM(qty) AS total, MAX(id) AS last_id FROM stock_movements "
                "GROUP BY product_id) m ON m.product_id = p.id")
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
                "('bench', 'Bench manager', ?, 'manager', 1, '2020-01-01 00:00:00.000000')", (hash_password("bench-123"),))
    bad = con.execute("SELECT COUNT(*) FROM stock_levels l JOIN (SELECT product_id, SUM(qty) s FROM stock_movements "
                      "GROUP BY product_id) m ON m.product_id = l.product_id WHERE l.on_hand <> m.s").fetchone()[0]
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    return {"movements": total, "spells": len(spells), "derive_s": derive, "level_mismatches": bad}


def shop_db(args) -> Path:
    n, days, lines = (200, 365, 470.0) if args.small else (2000, 5 * 365, 4700.0)
    today = datetime.now(timezone.utc).date()
    folder = Path(tempfile.gettempdir()) / "gerai-bench-signals"
    folder.mkdir(exist_ok=True)
    path = folder / f"shop-v{GENERATOR_VERSION}-{n}-{days}-{today.isoformat()}.db"
    if path.exists() and not args.fresh:
        print(f"reusing {path}")
        return path
    for old in folder.glob("shop-*.db*"):
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

def timed(fn, repeat: int) -> tuple[float, float]:
    """(median, p95) in milliseconds after one warm-up call."""
    fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def raw_floor(db: Path, today_day: int) -> dict[str, float]:
    """Raw sqlite3 reading the same rows the reports read (levels, the history windows, the spells)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    ref = today_day - 1

    def levels():
        con.execute("SELECT p.id, p.sku, p.name, p.unit, l.on_hand, l.avg_cost, l.last_sold_at, s.lead_time_days, "
                    "(SELECT d.day FROM daily_sales d WHERE d.product_id = p.id AND d.day <= ? AND d.lines > 0 "
                    "ORDER BY d.day DESC LIMIT 1), (SELECT d.day FROM daily_sales d WHERE d.product_id = p.id ORDER BY d.day "
                    "LIMIT 1), (SELECT m.at FROM stock_movements m WHERE m.product_id = p.id ORDER BY m.id LIMIT 1) "
                    "FROM products p JOIN stock_levels l ON l.product_id = p.id LEFT JOIN suppliers s "
                    "ON s.code = p.supplier_code WHERE p.active", (today_day,)).fetchall()

    def history():
        con.execute("WITH b AS MATERIALIZED (SELECT p.id AS pid, (SELECT x.day FROM daily_sales x WHERE x.product_id = p.id "
                    "AND x.day <= ? AND x.lines > 0 ORDER BY x.day DESC LIMIT 1) AS ue FROM products p) "
                    "SELECT d.product_id, d.day, d.qty, d.lines FROM b JOIN daily_sales d ON d.product_id = b.pid "
                    "AND d.day > b.ue - 56 AND d.day <= ?", (ref, ref)).fetchall()
        con.execute("SELECT product_id, started_at, ended_at FROM stock_outs WHERE ended_at IS NULL OR ended_at >= ?",
                    ((date(1970, 1, 1) + timedelta(days=ref - 180)).isoformat(),)).fetchall()

    out = {"levels": timed(levels, 20)[0], "history": timed(history, 20)[0]}
    out["both"] = out["levels"] + out["history"]
    con.close()
    return out


def start_server(db: Path, instance: Path) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, GERAI_DATABASE_URL=f"sqlite:///{db}", GERAI_INSTANCE=str(instance), GERAI_TIMEZONE=TZ_NAME,
               GERAI_SECRET_KEY="bench-secret")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gerai = shutil.which("gerai") or str(Path(sys.executable).parent / "gerai")
    proc = subprocess.Popen([gerai, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=2).read()
            return proc, base
        except Exception:  # noqa: BLE001 (not up yet)
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def http(base: str, path: str, token: str | None = None, body: dict | None = None) -> bytes:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    req = urllib.request.Request(base + path, data=data, headers=headers)
    with urllib.request.urlopen(req, timeout=60) as res:
        return res.read()


def rss_mb(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def report(what: str, figure: tuple[float, float], target: float | None, floor: str) -> None:
    median, p95 = figure
    verdict = "" if target is None else ("  OK" if median <= target else "  OVER TARGET")
    goal = f"target <= {target:.0f} ms" if target else ""
    print(f"{what:<44} median {median:7.1f} ms  p95 {p95:7.1f} ms  {goal:<17}{verdict}\n{'':<44} floor: {floor}")


def bench_server(db: Path, repeat: int) -> None:
    instance = Path(tempfile.mkdtemp(prefix="gerai-bench-instance-"))
    proc, base = start_server(db, instance)
    try:
        token = json.loads(http(base, "/api/v1/auth/token", body={"username": "bench", "password": "bench-123"}))["token"]
        rows = len(json.loads(http(base, "/api/v1/stock", token)))
        today_day = (datetime.now(timezone.utc) + timedelta(hours=OFFSET_HOURS)).date().toordinal() - date(1970, 1, 1).toordinal()
        floor = raw_floor(db, today_day)
        tiny = timed(lambda: http(base, "/api/v1/suppliers", token), repeat)[0]
        floors = (f"raw sqlite3 same rows {floor['both']:.1f} ms (levels {floor['levels']:.1f} + history "
                  f"{floor['history']:.1f}); HTTP round trip of GET /suppliers {tiny:.1f} ms")
        print(f"\nthrough the server ({rows:,} stock rows), {repeat} calls each after a warm-up:")
        report("stock list  GET /api/v1/stock", timed(lambda: http(base, "/api/v1/stock", token), repeat), 100, floors)
        report("stock page  GET /stock (HTML)", timed(lambda: http(base, "/stock", token), repeat), 100, floors)
        report("slow movers GET /api/v1/stock/slow-movers",
               timed(lambda: http(base, "/api/v1/stock/slow-movers", token), repeat), 500, floors)
        report("suggestions GET /api/v1/restock/suggestions",
               timed(lambda: http(base, "/api/v1/restock/suggestions", token), repeat), 500, floors)
        report("dashboard   GET /signals (HTML)", timed(lambda: http(base, "/signals", token), max(repeat // 2, 3)), None,
               floors)
        slow = json.loads(http(base, "/api/v1/stock/slow-movers", token))
        sugg = json.loads(http(base, "/api/v1/restock/suggestions", token))
        print(f"{'':<44} ({len(slow)} not selling, {len(sugg)} suggestions)")
        now, peak = rss_mb(proc.pid)
        print(f"{'shop server memory':<44} RSS {now:.0f} MB, peak {peak:.0f} MB  target <= 150 MB  "
              f"{'OK' if peak <= 150 else 'OVER TARGET'}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(instance, ignore_errors=True)


def bench_import(db: Path, days: int = 365) -> None:
    """One year of daily sales as a CSV, imported into a fresh shop with the same catalog."""
    work = Path(tempfile.mkdtemp(prefix="gerai-bench-import-"))
    try:
        fresh = work / "fresh.db"
        migrate.upgrade(f"sqlite:///{fresh}")
        con = sqlite3.connect(fresh, isolation_level=None)
        con.execute(f"ATTACH '{db}' AS big")
        con.execute("INSERT INTO suppliers SELECT * FROM big.suppliers")
        con.execute("INSERT INTO products SELECT * FROM big.products")
        con.execute("INSERT INTO stock_levels (product_id, on_hand, updated_at) SELECT id, 0, '2020-01-01 00:00:00' FROM products")
        last = con.execute("SELECT MAX(day) FROM big.daily_sales").fetchone()[0]
        rows = con.execute("SELECT d.day, p.sku, d.qty, p.price FROM big.daily_sales d JOIN big.products p "
                           "ON p.id = d.product_id WHERE d.day > ? AND d.qty > 0 ORDER BY d.day, p.sku", (last - days,)).fetchall()
        con.execute("DETACH big")
        con.close()
        shutil.copy(fresh, work / "floor.db")
        csv_path = work / "penjualan.csv"
        epoch = date(1970, 1, 1)
        with open(csv_path, "w", encoding="utf-8") as fh:
            fh.write("date,sku,qty,unit_price\n")
            for day, sku, milli, price in rows:
                fh.write(f"{(epoch + timedelta(days=day)).isoformat()},{sku},{milli / 1000:g},{price}\n")
        from gerai.db import Database
        from inventory.import_sales import import_sales_csv

        database = Database(f"sqlite:///{fresh}", timezone=TZ_NAME)
        session = database.session()
        t = time.perf_counter()
        result = import_sales_csv(session, csv_path)
        took = time.perf_counter() - t
        session.close()
        database.dispose()
        assert not result.errors, result.errors[:3]
        floor = sqlite3.connect(work / "floor.db", isolation_level=None)
        floor.execute("PRAGMA journal_mode=WAL")
        floor.execute("PRAGMA synchronous=FULL")
        t = time.perf_counter()
        floor.execute("BEGIN IMMEDIATE")
        floor.executemany("INSERT INTO stock_movements (product_id, at, kind, qty, balance_after, source_type, source_id, "
                          "reference) SELECT id, ?, 'sale', ?, 0, 'import', 'x', '' FROM products WHERE sku = ?",
                          [(f"{(epoch + timedelta(days=day)).isoformat()} 05:00:00.000000", -milli, sku)
                           for day, sku, milli, _ in rows])
        floor.execute("COMMIT")
        raw = time.perf_counter() - t
        floor.close()
        print(f"\n{'import-sales, one year':<44} {result.rows:,} rows over {result.days} days in {took:.1f} s "
              f"({result.rows / took:,.0f} rows/s)\n{'':<44} floor: raw sqlite3 writing the same movements {raw:.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fresh", action="store_true", help="generate the shop again")
    ap.add_argument("--small", action="store_true", help="200 products and one year (a quick check)")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--skip-import", action="store_true")
    args = ap.parse_args()
    db = shop_db(args)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    counts = [con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("stock_movements", "products", "daily_sales")]
    con.close()
    print(f"shop: {counts[0]:,} ledger rows, {counts[1]:,} products, {counts[2]:,} daily history rows; "
          f"{db.stat().st_size / 2**20:,.0f} MB")
    bench_server(db, args.repeat)
    if not args.skip_import:
        bench_import(db)


if __name__ == "__main__":
    main()
