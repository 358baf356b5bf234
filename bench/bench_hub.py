"""The hub on PostgreSQL: ingest of shops' events through the real app (DESIGN.md goal >= 10,000 events/s).

Simulated shops (`--outlets`, default 200) each push `--batches` batches of `--batch` events (a sale
event and its two ledger movements, in seq order, gzip-compressed as the sync client sends them)
to `gerai serve` running as a hub (waitress, 8 threads) on a scratch PostgreSQL database, from
`--clients` client threads (each outlet's batches in order by one thread). Bodies are built
before the clock starts. Figure: events applied per second of wall time, and each push's latency.

Floor, same run, same database: a plain psycopg `COPY` of the same rows (hub_events, hub_movements,
hub_sales) into the same tables, one transaction per batch (synchronous_commit off, as ingest),
from as many connections as there are client threads; then the tables are emptied before the
figure runs. The floor does none of the checking, the upserts of hub_stock / hub_sales_daily or
HTTP; the figure must. Exits 0 whatever the result.

    python bench/bench_hub.py            # 200 outlets x 4 batches x 500 events = 400,000 events
    python bench/bench_hub.py --quick    # 20 outlets x 2 batches x 300 events
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.common import Row, Stats, echo, environment, print_table  # noqa: E402
from bench.serving import Server, free_port  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_EVENTS_PER_S = 10_000
SKUS = [f"SKU-{i:03d}" for i in range(60)]


def scratch_database(server_url: str) -> str:
    name = f"gerai_bench_hub_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')
    engine.dispose()


def make_events(outlet: int, n: int, rng: random.Random, start: datetime) -> list[dict]:
    """A shop's stream: each sale is two movements then the sale, in seq order."""
    events, seq, balance, at = [], 0, {}, start
    while len(events) < n:
        at += timedelta(seconds=rng.randint(20, 400))
        skus = rng.sample(SKUS, 2)
        lines = []
        for sku in skus:
            qty = rng.randint(1, 3)
            balance[sku] = balance.get(sku, 1000) - qty
            seq += 1
            events.append({"id": str(uuid.uuid4()), "seq": seq, "type": "movement", "at": at.isoformat(), "data": {
                "movement_id": seq, "sku": sku, "name": f"Produk {sku}", "unit": "pcs", "kind": "sale",
                "qty": f"-{qty}.000", "balance_after": f"{balance[sku]}.000", "at": at.isoformat(),
                "source_type": "sale", "source_id": str(uuid.uuid4())}})
            lines.append({"sku": sku, "qty": f"{qty}.000", "unit_price": 5000, "amount": 5000 * qty})
        seq += 1
        total = sum(ln["amount"] for ln in lines)
        events.append({"id": str(uuid.uuid4()), "seq": seq, "type": "sale", "at": at.isoformat(), "data": {
            "sale_id": str(uuid.uuid4()), "number": seq, "at": at.isoformat(), "total": total, "paid": total,
            "cashier": "kasir", "lines": lines, "payments": [{"method": "cash", "amount": total}]}})
    return events[:n]


def copy_rows(batch: list[dict], outlet_id: int, now: datetime):
    events, moves, sales = [], [], []
    for ev in batch:
        at = datetime.fromisoformat(ev["at"])
        events.append((outlet_id, ev["seq"], ev["id"], ev["type"], at, now))
        d = ev["data"]
        if ev["type"] == "movement":
            moves.append((outlet_id, ev["id"], at, d["sku"], d["kind"], int(d["qty"].replace(".", "")),
                          int(d["balance_after"].replace(".", "")), d["source_type"], d["source_id"]))
        elif ev["type"] == "sale":
            sales.append((outlet_id, d["sale_id"], at, d["number"], d["total"], d["paid"], d["cashier"],
                          json.dumps(d["lines"])))
    return events, moves, sales


def floor_copy(url: str, work: list[tuple[int, list[dict]]], outlet_ids: dict[int, int], clients: int
               ) -> tuple[float, list[int]]:
    """COPY the same rows, one transaction per batch (synchronous_commit off, as ingest runs), from as many
    connections as the figure has clients; returns (seconds, per-batch ns). The tables are emptied after."""
    now = datetime.now(timezone.utc)
    queues: list[list] = [[] for _ in range(clients)]
    for o, batch in work:
        queues[o % clients].append(copy_rows(batch, outlet_ids[o], now))
    per: list[int] = []
    lock = threading.Lock()
    dsn = url.replace("postgresql+psycopg", "postgresql")

    def worker(queue):
        mine = []
        with psycopg.connect(dsn) as conn:
            for events, moves, sales in queue:
                b0 = time.perf_counter_ns()
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute("SET LOCAL synchronous_commit = off")
                    for table, cols, rows in (
                            ("hub_events", "outlet_id, seq, event_id, type, at, received_at", events),
                            ("hub_movements", "outlet_id, event_id, at, sku, kind, qty, balance_after, source_type, "
                                              "source_id", moves),
                            ("hub_sales", "outlet_id, sale_id, at, number, total, paid, cashier, lines", sales)):
                        with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row(row)
                mine.append(time.perf_counter_ns() - b0)
        with lock:
            per.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(q,)) for q in queues]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    with psycopg.connect(dsn) as conn:
        conn.execute("TRUNCATE hub_events, hub_movements, hub_sales")
    return seconds, per


def run(args) -> None:
    server_url = os.environ.get("GERAI_TEST_POSTGRES_URL", PG_DEFAULT)
    url = scratch_database(server_url)
    tmp = Path(tempfile.mkdtemp(prefix="gerai-bench-hub-"))
    try:
        _run(args, url, tmp)
    finally:
        drop_database(server_url, url)


def _run(args, url: str, tmp: Path) -> None:
    from gerai import migrate
    from gerai.db import Database
    from suppliers.hub.outlets import add_outlet
    from suppliers.hub.partitions import ensure_partitions

    echo(environment())
    migrate.upgrade(url)
    db = Database(url)
    rng = random.Random(args.seed)
    start = datetime.now(timezone.utc).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    tokens, outlet_ids = {}, {}
    with db.engine.begin() as conn:
        ensure_partitions(conn)
    with db.session() as s:
        for o in range(args.outlets):
            outlet, token = add_outlet(s, f"KDMP-{o:05d}", f"Gerai {o}", kabupaten=f"Kab {o % 20}", provinsi="Prov")
            tokens[o], outlet_ids[o] = token, outlet.id
    db.dispose()
    echo(f"building {args.outlets} outlets x {args.batches} batches x {args.batch} events...")
    streams = {o: make_events(o, args.batches * args.batch, rng, start) for o in range(args.outlets)}
    work = [(o, streams[o][b * args.batch:(b + 1) * args.batch]) for b in range(args.batches)
            for o in range(args.outlets)]
    total_events = sum(len(batch) for _o, batch in work)
    floor_s, floor_ns = floor_copy(url, work, outlet_ids, args.clients)
    echo(f"floor: COPY of {total_events:,} events' rows in {floor_s:.2f} s")

    bodies = [(o, b, gzip.compress(json.dumps({"outlet": f"KDMP-{o:05d}", "events": batch}).encode(), 5))
              for b in range(args.batches) for o, batch in ((o, streams[o][b * args.batch:(b + 1) * args.batch])
                                                            for o in range(args.outlets))]
    port = free_port()
    script = Path(sys.executable).with_name("gerai")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from gerai.cli import main; main()"]
    env = {**os.environ, "GERAI_INSTANCE": str(tmp / "instance"), "GERAI_SECRET_KEY": "bench", "GERAI_ROLE": "hub",
           "GERAI_DATABASE_URL": url}
    with Server("gerai serve (hub)", [*cmd, "serve", "--port", str(port), "--threads", "8"], port,
                tmp / "serve.log", env, ready_path="/login") as server:
        queues = [[] for _ in range(args.clients)]
        for o, b, body in bodies:  # an outlet's batches in order, by one client
            queues[o % args.clients].append((o, b, body))
        latencies: list[int] = []
        errors: list[str] = []
        lock = threading.Lock()

        def client(queue):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            mine = []
            for o, b, body in queue:
                t0 = time.perf_counter_ns()
                conn.request("POST", "/api/v1/sync/push", body=body, headers={
                    "Authorization": f"Bearer {tokens[o]}", "Content-Type": "application/json",
                    "Content-Encoding": "gzip"})
                res = conn.getresponse()
                answer = res.read()
                mine.append(time.perf_counter_ns() - t0)
                expected = (b + 1) * args.batch
                if res.status != 200 or json.loads(answer)["accepted_through"] != expected:
                    with lock:
                        errors.append(f"outlet {o} batch {b}: {res.status} {answer[:200]!r}")
            conn.close()
            with lock:
                latencies.extend(mine)

        cpu0 = server.cpu_seconds()
        t0 = time.perf_counter()
        threads = [threading.Thread(target=client, args=(q,)) for q in queues]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - t0
        cpu = server.cpu_seconds() - cpu0
        rss, peak = server.memory_mb()
    if errors:
        echo(f"{len(errors)} pushes went wrong, e.g.: {errors[:3]}")
    check = Database(url)
    with check.engine.connect() as conn:
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("hub_events", "hub_movements", "hub_sales")}
    check.dispose()
    rate, floor_rate = total_events / seconds, total_events / floor_s
    n_batches = len(bodies)
    row = Row(f"POST /sync/push ({args.batch} events, gzip), HTTP", Stats(tuple(latencies)),
              f"COPY of the same rows, 1 tx/batch, {args.clients} conns", Stats(tuple(floor_ns)),
              cpu_ms=cpu * 1000 / n_batches)
    print_table(f"hub ingest: {args.outlets} outlets, {n_batches} batches, {total_events:,} events, "
                f"{args.clients} client threads", [row])
    verdict = "pass" if rate >= TARGET_EVENTS_PER_S else "FAIL"
    echo(f"\ningest: {rate:,.0f} events/s (wall {seconds:.2f} s; server CPU {cpu:.1f} s)   |   floor COPY: "
         f"{floor_rate:,.0f} events/s   |   ratio {floor_rate / rate:.1f}x   |   target >= "
         f"{TARGET_EVENTS_PER_S:,} events/s: {verdict}")
    echo(f"server CPU per event: {cpu / total_events * 1e6:.0f} us ({total_events / cpu:,.0f} events per CPU-second of "
         f"gerai serve; PostgreSQL's own CPU not counted): what one idle core would sustain, load aside")
    echo(f"rows on the hub: {counts} (expected {total_events:,} events)")
    echo(f"gerai serve RSS after the runs: {rss:.0f} MB (peak {peak:.0f} MB)")
    echo(environment())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outlets", type=int, default=200)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.outlets, args.batches, args.batch = 20, 2, 300
    run(args)


if __name__ == "__main__":
    main()
