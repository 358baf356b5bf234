"""Benchmark plumbing: a scratch shop database built fast, timing statistics, the result table.

The shop is a SQLite file migrated with the real migrations (`gerai.migrate.upgrade`), then
filled with raw `executemany` (the services would take minutes for a million movements).
The rows are what the services would write: quantities in thousandths, UTC times in
SQLAlchemy's SQLite text format, a running `balance_after` per product, and
`stock_levels.on_hand` equal to the sum of the product's movements, which `build_shop`
proves with `inventory.ledger.ledger_differences` before any timing starts.
"""
from __future__ import annotations

import math
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from bench import names

ROOT = Path(__file__).resolve().parent.parent

BENCH_PASSWORD = "bench-rahasia-123"
SUPPLIERS = (("BULOG", "Perum Bulog", 3), ("IDFOOD", "ID FOOD", 5), ("AGEN-LPG", "Agen LPG 3 kg", 2),
             ("PUPUK-INDONESIA", "Distributor Pupuk Indonesia", 7))
SUPPLIER_OF = {"sembako": ("BULOG", "IDFOOD"), "lainnya": ("IDFOOD",), "lpg": ("AGEN-LPG",),
               "pupuk": ("PUPUK-INDONESIA",)}
APP_CODE = ("gerai", "inventory", "pos", "suppliers", "migrations")
MOVEMENT_COLUMNS = ("id", "product_id", "at", "kind", "qty", "balance_after", "unit_cost", "source_type",
                    "source_id", "reference", "user_id")


def echo(message: str) -> None:
    print(message, flush=True)


# --- the scratch shop ---------------------------------------------------------------------

@dataclass
class ProductInfo:
    id: int
    sku: str
    name: str
    unit: str
    barcodes: list[str]
    movements: int = 0


@dataclass
class ScratchShop:
    root: Path
    products: list[ProductInfo]
    movements: int
    build_seconds: float = 0.0
    users: dict[str, str] = field(default_factory=dict)  # role -> username

    @property
    def instance(self) -> Path:
        return self.root / "instance"

    @property
    def path(self) -> Path:
        return self.instance / "gerai.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    @property
    def busiest(self) -> ProductInfo:
        return max(self.products, key=lambda p: p.movements)

    def barcodes(self) -> list[str]:
        return [code for p in self.products for code in p.barcodes]

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def ean13(number: int) -> str:
    from inventory.barcodes import gtin_check_digit

    body = f"899{number % 10**9:09d}"
    return body + str(gtin_check_digit(body))


# Unix seconds -> the text SQLAlchemy's SQLite DateTime stores (UTC, 6 decimals), formatted by SQLite in C.
SQL_TIME = "strftime('%Y-%m-%d %H:%M:%S', ?, 'unixepoch') || '.000000'"


def _sql_time(at: datetime) -> str:
    """SQLAlchemy's SQLite DateTime text for a UTC instant (what `UTCDateTime` stores)."""
    return at.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


def _product_rows(n: int, rng: random.Random, now: str) -> tuple[list[tuple], list[tuple], list[ProductInfo]]:
    products, barcodes, infos = [], [], []
    codes = rng.sample(range(10**6, 10**9), int(n * 1.4) + 10)
    for i, item in enumerate(names.catalog(n, rng), start=1):
        supplier = rng.choice(SUPPLIER_OF[item.category])
        price = rng.randrange(20, 3000) * 50
        het = price + rng.randrange(0, 20) * 100 if rng.random() < 0.1 else None
        reorder = rng.randrange(2, 20) * 1000 if rng.random() < 0.6 else None
        products.append((i, f"BN-{i:05d}", item.name, item.category, item.unit, price, het, 0, None, None,
                         int(rng.random() < 0.3), supplier, reorder, reorder * 3 if reorder else None,
                         rng.choice((None, 180, 365, 730)), 1, now, now))
        own = [ean13(codes.pop()) for _ in range(1 if rng.random() < 0.7 else 2)]
        barcodes.extend((code, i, pos) for pos, code in enumerate(own))
        infos.append(ProductInfo(i, f"BN-{i:05d}", item.name, item.unit, own))
    return products, barcodes, infos


@dataclass
class _Ledger:
    """Running state while generating movements, per product index: balance, cost, last movement, last sale."""

    balance: list[int]
    cost: list[int]
    last_id: list[int]
    last_sold: list[int | None]  # times are whole Unix seconds until SQLite formats them (SQL_TIME)
    last_at: list[int]


def _movement_rows(infos: list[ProductInfo], state: _Ledger, total: int, years: float, rng: random.Random):
    """Yield movement tuples in id (= time) order: one opening each, then skewed sales and restocks."""
    n = len(infos)
    start = int(time.time() - 365.25 * 86400 * years)
    weights = [1 / (rank + 1) ** 0.9 for rank in range(n)]  # a few products sell far more than most
    rng.shuffle(weights)
    cum, acc = [], 0.0
    for w in weights:
        acc += w
        cum.append(acc)
    rest = max(0, total - n)
    picks = rng.choices(range(n), cum_weights=cum, k=rest)
    step = (365.25 * years * 86400 - n) / max(rest, 1)
    for i in range(n):
        yield _opening(state, infos[i], i, i + 1, start + i, rng)
    for k, i in enumerate(picks):
        yield _next_move(state, infos[i], i, n + k + 1, start + n + int(k * step), rng)


def _opening(state: _Ledger, info: ProductInfo, i: int, mid: int, at: int, rng: random.Random) -> tuple:
    qty = rng.randrange(20, 200) * 1000
    state.balance[i], state.cost[i], state.last_id[i], state.last_at[i] = qty, rng.randrange(10, 2500) * 50, mid, at
    info.movements += 1
    return (mid, info.id, at, "opening", qty, qty, state.cost[i], "import", f"OPEN-{info.id}", "saldo awal", None)


def _next_move(state: _Ledger, info: ProductInfo, i: int, mid: int, at: int, rng: random.Random) -> tuple:
    rand = rng.random
    qty = -(int(rand() * 9 + 1) * 500 if info.unit in ("kg", "liter") else int(rand() * 3 + 1) * 1000)
    kind, source, cost, ref = "sale", "sale", None, ""
    roll = rand()
    if state.balance[i] + qty < 0 or roll < 0.02:
        kind, source, qty, ref = "receipt", "stock_document", int(rand() * 100 + 20) * 1000, f"SJ-{mid}"
        cost = state.cost[i] = max(50, state.cost[i] + int(rand() * 5 - 2) * 50)
    elif roll < 0.025:
        kind, source, ref = "write_off", "stock_document", "rusak"
    elif roll < 0.03:
        kind, source, ref = "adjustment", "stock_document", "opname"
    state.balance[i] += qty
    state.last_id[i], state.last_at[i] = mid, at
    if kind == "sale":
        state.last_sold[i] = at
    info.movements += 1
    return (mid, info.id, at, kind, qty, state.balance[i], cost, source, str(mid), ref, None)


def _insert_movements(conn: sqlite3.Connection, rows) -> None:
    """Bulk insert with the ledger's secondary indexes dropped and rebuilt (one sort beats a million probes)."""
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'stock_movements'"
                           " AND sql IS NOT NULL").fetchall()
    for name, _sql in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    values = ", ".join(SQL_TIME if col == "at" else "?" for col in MOVEMENT_COLUMNS)
    conn.executemany(f"INSERT INTO stock_movements ({', '.join(MOVEMENT_COLUMNS)}) VALUES ({values})", rows)
    for _name, sql in indexes:
        conn.execute(sql)


def _fill(conn: sqlite3.Connection, n_products: int, n_movements: int, years: float,
          rng: random.Random) -> list[ProductInfo]:
    now = _sql_time(datetime.now(timezone.utc))
    conn.executemany("INSERT INTO suppliers (code, name, lead_time_days, pack_size, contact, created_at, updated_at)"
                     " VALUES (?, ?, ?, NULL, NULL, ?, ?)", [(c, nm, lt, now, now) for c, nm, lt in SUPPLIERS])
    products, barcodes, infos = _product_rows(n_products, rng, now)
    conn.executemany(f"INSERT INTO products VALUES ({', '.join('?' * 18)})", products)
    conn.executemany("INSERT INTO product_barcodes (barcode, product_id, position) VALUES (?, ?, ?)", barcodes)
    n = len(infos)
    state = _Ledger([0] * n, [0] * n, [0] * n, [None] * n, [0] * n)
    _insert_movements(conn, _movement_rows(infos, state, max(n_movements, n), years, rng))
    conn.executemany("INSERT INTO stock_levels (product_id, on_hand, avg_cost, last_movement_id, last_sold_at,"
                     f" updated_at, movement_count) VALUES (?, ?, ?, ?, {SQL_TIME}, {SQL_TIME}, ?)",
                     [(info.id, state.balance[i], state.cost[i], state.last_id[i], state.last_sold[i], state.last_at[i],
                       info.movements) for i, info in enumerate(infos)])
    return infos


def build_shop(n_products: int, n_movements: int, *, years: float = 5.0, seed: int = 20250817) -> ScratchShop:
    """A migrated scratch shop in a temp dir with products, 1-2 EAN-13 each, levels and a ledger."""
    from gerai import migrate

    started = time.perf_counter()
    shop = ScratchShop(Path(tempfile.mkdtemp(prefix="gerai-bench-")), [], 0)
    shop.instance.mkdir()
    migrate.upgrade(shop.url)
    conn = sqlite3.connect(shop.path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")  # loading only; the app reopens it with synchronous=FULL
    conn.execute("PRAGMA cache_size=-200000")
    conn.execute("BEGIN")
    shop.products = _fill(conn, n_products, n_movements, years, random.Random(seed))
    conn.execute("COMMIT")
    shop.movements = conn.execute("SELECT count(*) FROM stock_movements").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    _check_ledger(shop)
    shop.build_seconds = time.perf_counter() - started
    return shop


def _check_ledger(shop: ScratchShop) -> None:
    from gerai.db import Database
    from inventory.ledger import ledger_differences

    db = Database(shop.url)
    try:
        with db.read_session() as session:
            diffs = ledger_differences(session)
    finally:
        db.dispose()
    if diffs:
        raise SystemExit(f"scratch shop is inconsistent: {len(diffs)} level(s) differ from the ledger,"
                         f" e.g. {diffs[:3]}")


def add_user(shop: ScratchShop, role: str) -> str:
    """A user of this role (password BENCH_PASSWORD), made by the real service."""
    from gerai import auth
    from gerai.db import Database

    name = f"bench-{role}"
    db = Database(shop.url)
    try:
        with db.session() as session:
            auth.create_user(session, name, role, BENCH_PASSWORD)
    finally:
        db.dispose()
    shop.users[role] = name
    return name


# --- timing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stats:
    samples_ns: tuple[int, ...]

    def pct(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        ordered = sorted(self.samples_ns)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] / 1e6

    @property
    def p50(self) -> float:
        return self.pct(50)

    @property
    def p95(self) -> float:
        return self.pct(95)

    @property
    def p99(self) -> float:
        return self.pct(99)

    @property
    def max(self) -> float:
        return max(self.samples_ns) / 1e6

    @property
    def n(self) -> int:
        return len(self.samples_ns)


def measure(fn: Callable[[int], object], runs: int, warmup: int = 20) -> Stats:
    """Call fn(i) `warmup` times untimed, then `runs` times, timing each call with perf_counter_ns."""
    for i in range(warmup):
        fn(i)
    samples = []
    clock = time.perf_counter_ns
    for i in range(runs):
        t0 = clock()
        fn(i)
        samples.append(clock() - t0)
    return Stats(tuple(samples))


def pair(figure: str, fn: Callable[[int], object], floor: str, floor_fn: Callable[[int], object], runs: int,
         target_ms: float | None, warmup: int = 20) -> "Row":
    """Time figure and floor call by call, interleaved, over the same inputs (call i of each sees i).

    Interleaving puts both under the same load at the same moment: on a shared machine the
    absolute times move with the neighbours, the ratio much less. The thread's CPU time per
    call is kept too: it moves far less with load, and on an idle machine a call that reads
    from the page cache takes about its CPU time.
    """
    for i in range(warmup):
        floor_fn(i)
        fn(i)
    clock, cpu = time.perf_counter_ns, time.thread_time_ns
    figure_ns, floor_ns, figure_cpu, floor_cpu = [], [], [], []
    for i in range(runs):
        c0 = cpu()
        t0 = clock()
        floor_fn(i)
        t1 = clock()
        c1 = cpu()
        fn(i)
        t2 = clock()
        c2 = cpu()
        floor_ns.append(t1 - t0)
        figure_ns.append(t2 - t1)
        floor_cpu.append(c1 - c0)
        figure_cpu.append(c2 - c1)
    return Row(figure, Stats(tuple(figure_ns)), floor, Stats(tuple(floor_ns)), target_ms,
               cpu_ms=Stats(tuple(figure_cpu)).p50, floor_cpu_ms=Stats(tuple(floor_cpu)).p50)


def app_revision() -> str:
    """The commit measured, `+changes` when the app's code differs from it (others edit the same tree)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *APP_CODE], cwd=ROOT, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head or 'unknown'}{' +uncommitted changes' if dirty else ''}"


def environment() -> str:
    """One line on where the figures come from; a loaded machine inflates every absolute time."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"app {app_revision()}; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
            f" {os.cpu_count()} CPU(s), load average {load}")


def statements(engine, fn: Callable[[], object]) -> list[tuple[str, object]]:
    """The SQL statements `fn` runs on `engine`'s connections, as SQLite traces them (so the prepared
    statements of gerai.fastsql, which go straight to the driver, count too; values written in),
    transaction control left out: N+1 shows here."""
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []
    traced: list = []

    def trace(statement: str) -> None:
        text = statement.lstrip()
        # "--": run inside another statement (a trigger, FTS5 reading its shadow tables); "'main'.": FTS5's own
        if not (text.upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "--")) or "'main'." in text):
            seen.append((statement, ()))

    def checkout(dbapi_conn, _record, _proxy):
        dbapi_conn.set_trace_callback(trace)
        traced.append(dbapi_conn)

    event.listen(engine, "checkout", checkout)
    try:
        fn()
    finally:
        event.remove(engine, "checkout", checkout)
        for dbapi_conn in traced:
            dbapi_conn.set_trace_callback(None)
    return seen


def query_plan(conn: sqlite3.Connection, statement: str, parameters) -> str:
    """SQLite's EXPLAIN QUERY PLAN in one line, e.g. `SCAN p USING INDEX ix_products_name`."""
    rows = conn.execute("EXPLAIN QUERY PLAN " + statement, parameters or ()).fetchall()
    return "; ".join(row[-1] for row in rows)


# --- the table -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    figure: str
    stats: Stats
    floor: str
    floor_stats: Stats
    target_ms: float | None = None  # compared with the figure's p99
    cpu_ms: float | None = None  # CPU time per call (see `pair`; HTTP rows: the server's, see serving.cpu_seconds)
    floor_cpu_ms: float | None = None

    @property
    def ratio(self) -> float:
        return self.stats.p50 / self.floor_stats.p50 if self.floor_stats.p50 else float("inf")

    @property
    def verdict(self) -> str:
        if self.target_ms is None:
            return "info"
        return "pass" if self.stats.p99 <= self.target_ms else "FAIL"


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 10 else f"{value:.1f}"


def print_table(title: str, rows: list[Row]) -> None:
    """figure | floor | ratio | target | pass/fail, all from this run (milliseconds)."""
    fw = max(len(r.figure) for r in rows)
    lw = max(len(r.floor) for r in rows)
    head = (f"{'figure':<{fw}}  {'p50':>7} {'p99':>7} {'max':>7} {'cpu':>7} {'n':>5} | {'floor':<{lw}}  {'p50':>7}"
            f" {'p99':>7} {'cpu':>7} | {'ratio':>6} | {'target':<13} | pass/fail")
    echo(f"\n== {title}")
    echo("   times in ms; ratio = figure p50 / floor p50; pass/fail = figure p99 against the target;"
         " cpu = CPU time per call (in-process: p50 of the thread's; HTTP: the server process's mean per request),"
         " about what an idle machine would take")
    echo(head)
    echo("-" * len(head))
    for r in rows:
        target = f"p99 <= {r.target_ms:g} ms" if r.target_ms is not None else "-"
        s, f = r.stats, r.floor_stats
        echo(f"{r.figure:<{fw}}  {ms(s.p50):>7} {ms(s.p99):>7} {ms(s.max):>7} {ms(r.cpu_ms):>7} {s.n:>5} | "
             f"{r.floor:<{lw}}  {ms(f.p50):>7} {ms(f.p99):>7} {ms(r.floor_cpu_ms):>7} | {r.ratio:>5.1f}x | "
             f"{target:<13} | {r.verdict}")
