#!/usr/bin/env python3
"""Checkout benchmark (DESIGN.md, Targets): `POST /sales` of a 10-line sale through the real server.

Starts `gerai serve` (waitress, SQLite in WAL with synchronous=FULL) on a fresh shop, sells
sequentially over one keep-alive connection and prints the median and p99 latency beside the
floor measured in the same run:

  floor = a no-op Flask endpoint served by waitress the same way, answering the same body
        + raw `sqlite3` writing the same rows (header, 10 lines, 10 ledger rows, 10 levels, the
          payment, the shift and the receipt counter) in one transaction with the same durability.

Goal: median <= 1.5 x floor, p99 <= 15 ms.

    python bench/bench_checkout.py            # 2,000 sales
    python bench/bench_checkout.py --quick    # 300 sales

The three are measured interleaved (one request each per round) so that a busy machine weighs
on all alike; the servers' CPU per request (from /proc) is printed too, as it does not depend
on what else the machine is doing.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

LINES = 10
PASSWORD = "bench-pass-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, proc: subprocess.Popen, path: str = "/") -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


class Client:
    def __init__(self, port: int, token: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        self.conn.request(method, path, body=body, headers=self.headers)
        res = self.conn.getresponse()
        return res.status, res.read()

    def json(self, method: str, path: str, data=None, expect=(200, 201)):
        status, raw = self.call(method, "/api/v1" + path, json.dumps(data).encode() if data is not None else None)
        if status not in expect:
            raise SystemExit(f"{method} {path}: {status} {raw[:300]!r}")
        return json.loads(raw) if raw else None


def gerai(env: dict, *args: str) -> None:
    subprocess.run([shutil.which("gerai") or "gerai", *args], env=env, check=True, capture_output=True)


def sale_body(skus: list[str]) -> bytes:
    lines = [{"sku": sku, "qty": 1} for sku in skus]
    return json.dumps({"id": str(uuid.uuid4()), "lines": lines,
                       "payments": [{"method": "cash", "amount": 1_000_000}]}).encode()


def timed(send, body, expect: int) -> float:
    start = time.perf_counter()
    status = send(body)
    elapsed = (time.perf_counter() - start) * 1000
    if status != expect:
        raise SystemExit(f"unexpected status {status}")
    return elapsed


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its threads so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def setup_shop(port: int) -> tuple[Client, list[str]]:
    anon = Client(port)
    mgr = Client(port, anon.json("POST", "/auth/token", {"username": "bench-mgr", "password": PASSWORD})["token"])
    ksr = Client(port, anon.json("POST", "/auth/token", {"username": "bench-ksr", "password": PASSWORD})["token"])
    mgr.json("POST", "/suppliers", {"code": "BENCH", "name": "Bench supplier"})
    skus = [f"BENCH-{i:02d}" for i in range(LINES)]
    for i, sku in enumerate(skus):
        mgr.json("POST", "/products", {"sku": sku, "name": f"Barang uji {i}", "category": "sembako", "unit": "pcs",
                                       "price": 5000 + 100 * i, "supplier": "BENCH"})
    mgr.json("POST", "/stock/receipts", {"supplier": "BENCH", "reference": "SJ-BENCH",
                                         "lines": [{"sku": s, "qty": 1_000_000, "unit_cost": 4000} for s in skus]})
    ksr.json("POST", "/shifts", {"opening_cash": 0})
    return ksr, skus


def start_checkout(tmp: Path):
    env = dict(os.environ, GERAI_INSTANCE=str(tmp / "shop"), GERAI_SECRET_KEY="bench-" + uuid.uuid4().hex,
               GERAI_PRINTER="none")
    env.pop("GERAI_DATABASE_URL", None)
    gerai(env, "init")
    gerai(env, "create-user", "bench-mgr", "--role", "manager", "--password", PASSWORD)
    gerai(env, "create-user", "bench-ksr", "--role", "cashier", "--password", PASSWORD)
    port = free_port()
    proc = subprocess.Popen([shutil.which("gerai") or "gerai", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for(port, proc, "/api/v1/openapi.json")
    ksr, skus = setup_shop(port)
    return (lambda body: ksr.call("POST", "/api/v1/sales", body)[0]), 201, proc, skus


NOOP_APP = """
import sys
from flask import Flask, request
from waitress import serve
app = Flask("noop")
@app.post("/api/v1/sales")
def sale():
    request.get_data()
    return {"ok": True}, 201
serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8, ident="noop", clear_untrusted_proxy_headers=True)
"""


def start_noop():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", NOOP_APP, str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for(port, proc)
    client = Client(port, token="x" * 120)
    return (lambda body: client.call("POST", "/api/v1/sales", body)[0]), 201, proc


def start_raw_sqlite(tmp: Path):
    """The same rows as a sale writes, with the shop's schema and durability, by hand."""
    env = dict(os.environ, GERAI_INSTANCE=str(tmp / "raw"), GERAI_SECRET_KEY="raw-" + uuid.uuid4().hex)
    env.pop("GERAI_DATABASE_URL", None)
    gerai(env, "init")
    db = sqlite3.connect(tmp / "raw" / "gerai.db", isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    now = "2026-01-01 08:00:00.000000"
    db.execute("INSERT INTO users (username, full_name, password_hash, role, active, created_at) "
               "VALUES ('raw', '', 'x', 'cashier', 1, ?)", (now,))
    db.execute("INSERT INTO shifts (cashier_id, opened_at, opening_cash, sales_count, sales_total, cash_in, "
               "refunds_count, refunds_total, cash_out) VALUES (1, ?, 0, 0, 0, 0, 0, 0, 0)", (now,))
    for i in range(LINES):
        db.execute("INSERT INTO products (sku, name, category, unit, price, subsidised, taxable, active, created_at, "
                   "updated_at) VALUES (?, ?, 'sembako', 'pcs', 5000, 0, 0, 1, ?, ?)", (f"RAW-{i}", f"Raw {i}", now, now))
        db.execute("INSERT INTO stock_levels (product_id, on_hand, updated_at) VALUES (?, 1000000000000, ?)", (i + 1, now))

    def one_sale(_body) -> int:
        sid = str(uuid.uuid4())
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE shifts SET sales_count = sales_count + 1, sales_total = sales_total + 50000, "
                   "cash_in = cash_in + 50000 WHERE cashier_id = 1 AND closed_at IS NULL RETURNING id").fetchall()
        number = db.execute("INSERT INTO pos_counters (name, value) VALUES ('sale', 1) ON CONFLICT (name) DO UPDATE "
                            "SET value = value + 1 RETURNING value").fetchone()[0]
        db.execute("INSERT INTO sales (id, number, at, cashier_id, shift_id, total, paid, change, fingerprint) "
                   "VALUES (?, ?, ?, 1, 1, 50000, 1000000, 950000, ?)", (sid, number, now, "f" * 64))
        db.executemany("INSERT INTO stock_movements (product_id, at, kind, qty, balance_after, source_type, "
                       "source_id, reference, user_id) VALUES (?, ?, 'sale', -1000, 0, 'sale', ?, '', 1)",
                       [(i + 1, now, sid) for i in range(LINES)])
        db.executemany("UPDATE stock_levels SET on_hand = on_hand - 1000, last_sold_at = ?, updated_at = ? "
                       "WHERE product_id = ?", [(now, now, i + 1) for i in range(LINES)])
        db.executemany("INSERT INTO sale_lines (sale_id, line_no, product_id, qty, unit_price, catalog_price, amount) "
                       "VALUES (?, ?, ?, 1000, 5000, 5000, 5000)", [(sid, i + 1, i + 1) for i in range(LINES)])
        db.execute("INSERT INTO sale_payments (sale_id, line_no, method, amount, reference) "
                   "VALUES (?, 1, 'cash', 1000000, '')", (sid,))
        db.execute("COMMIT")
        return 0

    return one_sale, 0, db


def p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[98]


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def run(tmp: Path, n: int, warmup: int) -> dict[str, tuple[list[float], float | None]]:
    """Interleaved: each round sends one request to each, so a busy machine weighs on all three alike."""
    noop_send, noop_ok, noop_proc = start_noop()
    raw_send, raw_ok, raw_db = start_raw_sqlite(tmp)
    sale_send, sale_ok, sale_proc, skus = start_checkout(tmp)
    raw_cpu = [0.0]

    def raw_timed(body):
        start = time.process_time()
        try:
            return raw_send(body)
        finally:
            raw_cpu[0] += time.process_time() - start

    subjects = {"noop": (noop_send, noop_ok, noop_proc.pid), "raw": (raw_timed, raw_ok, os.getpid()),
                "sale": (sale_send, sale_ok, sale_proc.pid)}
    try:
        for _ in range(warmup):
            for send, ok, _pid in subjects.values():
                timed(send, sale_body(skus), ok)
        times: dict[str, list[float]] = {name: [] for name in subjects}
        raw_cpu_warm = raw_cpu[0]
        cpu: dict[str, float] = {}
        for name, (send, ok, pid) in subjects.items():
            cpu[name] = -cpu_seconds(pid)
        bodies = [sale_body(skus) for _ in range(n)]
        for i, body in enumerate(bodies):
            order = list(subjects.items())
            for name, (send, ok, _pid) in order[i % 3:] + order[:i % 3]:
                times[name].append(timed(send, body, ok))
        for name, (_send, _ok, pid) in subjects.items():
            cpu[name] += cpu_seconds(pid)
        cpu["raw"] = raw_cpu[0] - raw_cpu_warm
        return {name: (times[name], cpu[name] / n * 1000) for name in subjects}
    finally:
        stop(noop_proc)
        stop(sale_proc)
        raw_db.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="300 sales instead of 2,000")
    ap.add_argument("-n", type=int, default=None)
    args = ap.parse_args()
    n = args.n or (300 if args.quick else 2000)
    tmp = Path(tempfile.mkdtemp(prefix="gerai-bench-"))
    try:
        results = run(tmp, n, 50 if args.quick else 200)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    (noop, noop_cpu), (raw, raw_cpu), (sales, sale_cpu) = results["noop"], results["raw"], results["sale"]
    floor = statistics.median(noop) + statistics.median(raw)
    median = statistics.median(sales)
    print(f"checkout: POST /sales, {LINES} lines, {n} sales through waitress on SQLite (WAL, synchronous=FULL); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  no-op Flask endpoint   median {statistics.median(noop):6.2f} ms   p99 {p99(noop):6.2f} ms"
          f"   server CPU {noop_cpu:.2f} ms/request")
    print(f"  raw sqlite3 same rows  median {statistics.median(raw):6.2f} ms   p99 {p99(raw):6.2f} ms"
          f"   CPU {raw_cpu:.2f} ms/sale")
    print(f"  floor (sum of medians) median {floor:6.2f} ms")
    print(f"  POST /sales            median {median:6.2f} ms   p99 {p99(sales):6.2f} ms"
          f"   server CPU {sale_cpu:.2f} ms/request")
    print(f"  median / floor = {median / floor:.2f}x (goal <= 1.5x); p99 {p99(sales):.2f} ms (goal <= 15 ms)")


if __name__ == "__main__":
    main()
