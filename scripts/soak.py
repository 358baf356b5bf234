#!/usr/bin/env python3
"""Soak test: one shop server, four tills selling for minutes on end.

    python scripts/soak.py                    # 10 minutes, 4 tills
    python scripts/soak.py --minutes 2 --tills 4
    python scripts/soak.py --minutes 0.25 --sample-seconds 2    # the CI smoke run

Starts `gerai serve` on a fresh instance with the demo shop (plus one cashier per till, each with
an open shift, and a large delivery of every product so that stock never runs out), then each till
sells realistic baskets: scans each item by barcode (`GET /products?q=<barcode>`) or, for loose
goods weighed at the till (rice by the kg) and goods without a barcode, searches by name, then
records the sale (`POST /sales`, a new UUID each time, cash). The server's memory (VmRSS) is
sampled every --sample-seconds.

Reports throughput (sales/s), p50/p99/max latency of the sale and of the scan, errors, memory
over time (start after warm-up, peak, end, slope), and runs `gerai check-ledger` at the end (the
database file's integrity check and the ledger sums). Exits 1 on any error, a ledger or database
difference, or memory growing by more than --max-growth-mb from the end of warm-up to the end.

`--hub` adds the hub (scripts/soak_hub.py): `gerai serve` with GERAI_ROLE=hub on a new PostgreSQL
database made on the server GERAI_SOAK_PG names (default postgresql+psycopg://postgres@127.0.0.1:5432/test,
dropped at the end), with --outlets (200) simulated shops syncing into it from a pool of threads in a
child process (sales, movements and restock requests pushed in gzip batches of 500 as the real
client does, the feed pulled, pauses and missing links as on bad lines, a coordinator dispatching
their requests) while the tills' shop syncs into the same hub with its own background loop
(GERAI_HUB_URL, GERAI_SYNC_INTERVAL=--sync-interval). Reports events/s ingested, push and pull
p50/p99, errors and the hub's RSS over time, then checks that every event is on the hub exactly
once (per outlet: events == highest seq == accepted_through == the shop's last seq), that the real
shop's outbox was all accepted and the hub's stock, sales and requests equal each shop's own.
Exits 1 on any error, mismatch or the hub's memory growing more than --hub-max-growth-mb.

    python scripts/soak.py --hub --minutes 3

The clients run on the same machine as the server and share its cores: the throughput is a floor
for what the server does alone. Nothing outside a temporary folder is touched (or --instance).
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

GERAI = str(Path(sys.executable).parent / "gerai")
PASSWORD = "soak-pass-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive connection speaking the JSON API; reconnects after a dropped connection."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, data=None) -> tuple[int, object]:
        headers = {"Content-Type": "application/json", "Accept-Language": "en"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            self.conn.request(method, "/api/v1" + path, body=None if data is None else json.dumps(data), headers=headers)
            res = self.conn.getresponse()
            raw = res.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        return res.status, json.loads(raw) if raw else None

    def close(self) -> None:
        self.conn.close()


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([GERAI, *args], env=env, capture_output=True, text=True, timeout=600)


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def slope_per_minute(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of RSS (MB) over time (minutes)."""
    if len(samples) < 2:
        return 0.0
    xs = [t / 60 for t, _ in samples]
    ys = [kb / 1024 for _, kb in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sale_ms: list[float] = []
        self.scan_ms: list[float] = []
        self.errors: list[str] = []
        self.lines = 0
        self.kg_lines = 0

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def basket(rng: random.Random, catalog: list[dict]) -> list[tuple[dict, Decimal]]:
    """1-8 different items, weighted toward small baskets; loose goods by weight (0.25-5 kg in 50 g steps)."""
    size = min(len(catalog), max(1, int(rng.expovariate(1 / 3)) + 1), 8)
    items = rng.sample(catalog, size)
    out = []
    for p in items:
        if p["unit"] in ("kg", "liter"):
            qty = Decimal(rng.randint(5, 100)) * Decimal("0.05")
        else:
            qty = Decimal(rng.choice((1, 1, 1, 2, 2, 3, 5)))
        out.append((p, qty))
    return out


def till(port: int, token: str, catalog: list[dict], seed: int, deadline: float, results: Results) -> None:
    rng, client = random.Random(seed), Client(port, token)
    try:
        while time.monotonic() < deadline:
            lines, total, weighed = [], 0, 0
            for product, qty in basket(rng, catalog):
                query = product["barcodes"][0] if product["barcodes"] else product["name"]
                started = time.perf_counter()
                try:
                    status, found = client.call("GET", "/products?q=" + urllib_quote(query))
                except (OSError, http.client.HTTPException) as err:
                    results.error(f"scan: {err!r}")
                    continue
                took = (time.perf_counter() - started) * 1000
                if status != 200 or not any(p["sku"] == product["sku"] for p in found):
                    results.error(f"scan {query!r}: {status} without {product['sku']}")
                    continue
                with results.lock:
                    results.scan_ms.append(took)
                lines.append({"sku": product["sku"], "qty": str(qty)})
                weighed += product["unit"] in ("kg", "liter")
                total += int((product["price"] * qty).to_integral_value(ROUND_HALF_UP))
            if not lines:
                continue
            cash = (total // 50000 + 1) * 50000 + 10000 * len(lines)  # generous: every sale is paid in full
            body = {"id": str(uuid.uuid4()), "lines": lines, "payments": [{"method": "cash", "amount": cash}]}
            started = time.perf_counter()
            try:
                status, answer = client.call("POST", "/sales", body)
            except (OSError, http.client.HTTPException) as err:
                results.error(f"sale: {err!r}")
                continue
            took = (time.perf_counter() - started) * 1000
            if status != 201:
                results.error(f"sale: {status} {answer}")
                continue
            with results.lock:
                results.sale_ms.append(took)
                results.lines += len(lines)
                results.kg_lines += weighed
    finally:
        client.close()


def urllib_quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def set_up(env: dict, tills: int, echo) -> None:
    """`gerai init` and `gerai demo`, and one cashier per till, in this process (six CLI start-ups cost more
    than the CI run sells for)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from gerai import auth, migrate
    from gerai.config import load_config
    from gerai.db import Database
    from gerai.demo.loader import load_demo

    settings = load_config(env)
    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url, timezone=settings.timezone)
    try:
        load_demo(db, settings, echo=lambda *_a, **_k: None)
        with db.session() as session:
            for i in range(1, tills + 1):
                auth.create_user(session, f"soak-kasir{i}", "cashier", PASSWORD)
    finally:
        db.dispose()
    echo(f"demo shop and {tills} cashiers ready")


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        proc = subprocess.Popen([GERAI, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"gerai serve exited:\n{log.read_text()[-2000:]}")
        try:
            if Client(port).call("GET", "/openapi.json")[0] == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    sys.exit("gerai serve did not answer within 180 s")


def login(port: int, username: str, password: str) -> str:
    status, body = Client(port).call("POST", "/auth/token", {"username": username, "password": password})
    if status != 200:
        sys.exit(f"cannot sign in as {username}: {status} {body}")
    return body["token"]


def sellable_catalog(port: int, manager: str) -> list[dict]:
    """The demo products a till sells without a NIK (no subsidy, no quota), each given plenty of stock."""
    client = Client(port, manager)
    status, products = client.call("GET", "/products?page_size=500")
    if status != 200:
        sys.exit(f"GET /products: {status} {products}")
    catalog = [p for p in products if not p["subsidised"] and not p.get("quota") and p.get("active", True)]
    by_supplier: dict[str, list[dict]] = {}
    for p in catalog:
        by_supplier.setdefault(p["supplier"], []).append(p)
    for supplier, items in by_supplier.items():
        status, body = client.call("POST", "/stock/receipts", {"supplier": supplier, "reference": "SOAK-STOCK", "lines": [
            {"sku": p["sku"], "qty": 1_000_000 if p["unit"] in ("kg", "liter") else 100_000} for p in items]})
        if status != 201:
            sys.exit(f"stocking up from {supplier}: {status} {body}")
    client.close()
    return catalog


def memory(samples: list[tuple[float, int]], warmup: float) -> dict:
    after = [x for x in samples if x[0] >= warmup] or samples[-1:]
    base_mb, end_mb = after[0][1] / 1024, samples[-1][1] / 1024
    return {"first": round(samples[0][1] / 1024, 1), "after_warmup": round(base_mb, 1),
            "peak": round(max(kb for _, kb in samples) / 1024, 1), "end": round(end_mb, 1),
            "growth_after_warmup": round(end_mb - base_mb, 1), "slope_mb_per_min": round(slope_per_minute(after), 2),
            "samples": [(round(t), round(kb / 1024, 1)) for t, kb in samples]}


def print_memory(label: str, r: dict, warmup: float) -> None:
    print(f"  {label:<11} first {r['first']} MB, after warm-up ({warmup:.0f} s) {r['after_warmup']} MB, peak "
          f"{r['peak']} MB, end {r['end']} MB; growth {r['growth_after_warmup']:+} MB, slope "
          f"{r['slope_mb_per_min']:+} MB/min")
    print("  RSS over time (s: MB) " + ", ".join(f"{t}: {mb}" for t, mb in r["samples"]))


def stop_server(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


class Hub:
    """The hub side of a --hub run: set up before the shop, shops started with the tills, checked at the end."""

    def __init__(self, args, instance: Path, seed: int, echo) -> None:
        import soak_hub

        self.mod, self.args, self.seed, self.echo = soak_hub, args, seed, echo
        self.server_url = os.environ.get("GERAI_SOAK_PG", soak_hub.PG_DEFAULT)
        self.url, self.tokens = soak_hub.create_hub(self.server_url, args.outlets)
        echo(f"hub database {self.url.rsplit('/', 1)[-1]}: {args.outlets} simulated outlets + {soak_hub.REAL_OUTLET}")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GERAI_")}
        self.env.update(GERAI_ROLE="hub", GERAI_DATABASE_URL=self.url, GERAI_INSTANCE=str(instance / "hub-instance"),
                        GERAI_SECRET_KEY="soak-hub-" + uuid.uuid4().hex)
        self.port = free_port()
        try:
            self.server = start_server(self.env, self.port, instance / "hub.log")
        except BaseException:
            soak_hub.drop_hub(self.server_url, self.url)
            raise
        self.samples: list[tuple[float, int]] = []
        self.child = self.pipe = self.result = None
        echo(f"hub server pid {self.server.pid} at port {self.port}")

    def shop_env(self) -> dict:
        code = self.mod.REAL_OUTLET
        return {"GERAI_HUB_URL": f"http://127.0.0.1:{self.port}", "GERAI_HUB_TOKEN": self.tokens[code],
                "GERAI_OUTLET": code, "GERAI_SYNC_INTERVAL": f"{self.args.sync_interval:g}"}

    def start_shops(self, deadline: float, shop_url: str) -> None:
        import multiprocessing

        self.shop_seq_at_start = self.mod.shop_state(shop_url)[0]

        ctx = multiprocessing.get_context("fork")  # before the tills' threads start: only this thread is forked
        self.pipe, theirs = ctx.Pipe(duplex=False)
        sims = {k: v for k, v in self.tokens.items() if k != self.mod.REAL_OUTLET}
        self.child = ctx.Process(target=self.mod.run_shops, name="simulated-shops", args=(
            self.port, sims, deadline, self.args.shop_rate, self.args.hub_clients, self.seed, theirs))
        self.child.start()
        theirs.close()

    def busy(self) -> bool:
        if self.result is None and self.pipe.poll():
            self.result = self.pipe.recv()
        return self.result is None and self.child.is_alive()

    def sample(self, t: float) -> None:
        if self.server.poll() is None:
            self.samples.append((t, rss_kb(self.server.pid)))

    def finish(self, shop_url: str, shop_log: Path, start: float) -> None:
        """The shops' figures; the real shop caught up; the checks (with the shop server still up)."""
        self.child.join(60)
        if self.result is None:
            self.result = {"errors": ["the simulated shops sent no figures (the child process died?)"], "error_count": 1,
                           "shops": {}, "push_ms": [], "pull_ms": [], "window_s": 1, "in_window": 0, "total": 0}
        timeout = max(120.0, 10 * self.args.sync_interval)
        self.caught_up, self.catch_up_s = self.mod.wait_for_real_shop(shop_url, self.url, timeout)
        self.sample(time.monotonic() - start)
        self.problems, self.checked = self.mod.verify(self.url, self.result["shops"], shop_url)
        if not self.caught_up:
            self.problems.insert(0, f"the real shop's sync loop had not pushed everything after {timeout:.0f} s")
        self.sync_failures = [ln for ln in shop_log.read_text(errors="replace").splitlines()
                              if "sync failed" in ln or "sync round failed" in ln]

    def close(self) -> None:
        if self.child is not None and self.child.is_alive():
            self.child.kill()
        stop_server(self.server)
        self.mod.drop_hub(self.server_url, self.url)

    def figures(self, warmup: float) -> dict:
        r = self.result
        return {
            "database": self.url.rsplit("/", 1)[-1], "outlets": self.args.outlets,
            "shop_rate_per_min": self.args.shop_rate, "bad_links": r.get("bad_links"),
            "events_in_window": r["in_window"], "events_total": r["total"],
            "events_per_s": round(r["in_window"] / r["window_s"], 1),
            "real_shop_new_events": self.checked.get("real_shop_events", 0) - self.shop_seq_at_start,
            "pushes": r.get("pushes", 0), "pulls": r.get("pulls", 0), "lost_answers": r.get("lost_answers", 0),
            "no_link_turns": r.get("no_link_turns", 0), "dispatches": r.get("dispatches", 0),
            "feed_events": r.get("feed_events", 0),
            "push_ms": {"p50": round(percentile(r["push_ms"], 50), 1), "p99": round(percentile(r["push_ms"], 99), 1),
                        "max": round(max(r["push_ms"], default=float("nan")), 1)},
            "pull_ms": {"p50": round(percentile(r["pull_ms"], 50), 1), "p99": round(percentile(r["pull_ms"], 99), 1)},
            "errors": r["error_count"] + len(self.sync_failures), "first_errors": (r["errors"] + self.sync_failures)[:5],
            "real_shop_caught_up_s": round(self.catch_up_s, 1), "mismatches": self.problems[:20],
            "checked": self.checked, "rss_mb": memory(self.samples, warmup),
        }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0, help="how long the tills sell (default 10)")
    ap.add_argument("--tills", type=int, default=4)
    ap.add_argument("--sample-seconds", type=float, default=10.0, help="RSS sampling interval (default 10)")
    ap.add_argument("--warmup-seconds", type=float, default=None,
                    help="memory growth is measured from this point (default: a fifth of the run, at most 60 s)")
    ap.add_argument("--max-growth-mb", type=float, default=25.0,
                    help="fail if RSS grows more than this from the end of warm-up to the end (default 25)")
    ap.add_argument("--instance", type=Path, default=None, help="instance folder (default: a new temporary one, removed)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures to this file as JSON")
    hub = ap.add_argument_group("hub (--hub)")
    hub.add_argument("--hub", action="store_true",
                     help="also soak a hub on PostgreSQL (GERAI_SOAK_PG): simulated shops and the tills' shop sync into it")
    hub.add_argument("--outlets", type=int, default=200, help="simulated shops (default 200)")
    hub.add_argument("--shop-rate", type=float, default=30.0, help="sales a minute per simulated shop (default 30)")
    hub.add_argument("--hub-clients", type=int, default=8, help="threads the simulated shops share (default 8)")
    hub.add_argument("--sync-interval", type=float, default=2.0,
                     help="GERAI_SYNC_INTERVAL of the tills' shop (seconds, default 2)")
    hub.add_argument("--hub-max-growth-mb", type=float, default=None,
                     help="fail if the hub's RSS grows more than this after warm-up (default: --max-growth-mb)")
    args = ap.parse_args()

    def echo(text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    temp = args.instance is None
    instance = Path(tempfile.mkdtemp(prefix="gerai-soak-")) if temp else args.instance.resolve()
    instance.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GERAI_")}
    env.update(GERAI_INSTANCE=str(instance / "instance"), GERAI_SECRET_KEY="soak-" + uuid.uuid4().hex, GERAI_PRINTER="none")
    log = instance / "server.log"
    echo(f"instance {instance} (seed {seed})")
    set_up(env, args.tills, echo)
    hub = server = None
    results = Results()
    samples: list[tuple[float, int]] = []
    try:
        if args.hub:
            hub = Hub(args, instance, seed, echo)
            env.update(hub.shop_env())
        port = free_port()
        server = start_server(env, port, log)
        manager = login(port, "manajer", "manajer123")
        catalog = sellable_catalog(port, manager)
        kg = sum(1 for p in catalog if p["unit"] == "kg")
        echo(f"server pid {server.pid} at port {port}; {len(catalog)} products on sale ({kg} sold by the kg)")
        tokens = [login(port, f"soak-kasir{i}", PASSWORD) for i in range(1, args.tills + 1)]
        for token in tokens:
            status, body = Client(port, token).call("POST", "/shifts", {"opening_cash": 200000})
            if status != 201:
                sys.exit(f"opening a shift: {status} {body}")
        rng = random.Random(seed)
        start = time.monotonic()
        deadline = start + args.minutes * 60
        if hub:
            hub.start_shops(deadline, env_database_url(env))
        threads = [threading.Thread(target=till, args=(port, token, catalog, rng.randrange(10**9), deadline, results),
                                    name=f"till-{i}") for i, token in enumerate(tokens, 1)]
        for t in threads:
            t.start()
        echo(f"{args.tills} tills selling for {args.minutes:g} min"
             + (f"; {args.outlets} simulated shops syncing into the hub" if hub else ""))
        next_sample, tills_done = start, None
        while (selling := any(t.is_alive() for t in threads)) or (hub and hub.busy()):
            now = time.monotonic()
            if not selling and tills_done is None:
                tills_done = now
            if now >= next_sample:
                samples.append((now - start, rss_kb(server.pid)))
                if hub:
                    hub.sample(now - start)
                next_sample += args.sample_seconds
                if len(samples) % max(1, int(60 / args.sample_seconds)) == 0:
                    echo(f"{len(results.sale_ms)} sales, RSS {samples[-1][1] / 1024:.1f} MB, {len(results.errors)} errors"
                         + (f"; hub RSS {hub.samples[-1][1] / 1024:.1f} MB" if hub and hub.samples else ""))
            time.sleep(min(0.2, max(0.0, next_sample - time.monotonic())))
        for t in threads:
            t.join()
        elapsed = (tills_done or time.monotonic()) - start
        samples.append((time.monotonic() - start, rss_kb(server.pid)))
        if hub:
            echo("tills and simulated shops done; waiting for the shop's sync loop, then checking the hub")
            hub.finish(env_database_url(env), log, start)
    finally:
        stop_server(server)
        if hub:
            hub.close()
    check = run(env, "check-ledger")

    warmup = args.warmup_seconds if args.warmup_seconds is not None else min(60.0, elapsed / 5)
    mem = memory(samples, warmup)
    growth = mem["growth_after_warmup"]
    figures = {
        "minutes": round(elapsed / 60, 2), "tills": args.tills, "seed": seed, "sales": len(results.sale_ms),
        "lines": results.lines, "weighed_lines": results.kg_lines,
        "sales_per_s": round(len(results.sale_ms) / elapsed, 2), "scans_per_s": round(len(results.scan_ms) / elapsed, 2),
        "sale_ms": {"p50": round(percentile(results.sale_ms, 50), 1), "p99": round(percentile(results.sale_ms, 99), 1),
                    "max": round(max(results.sale_ms, default=float("nan")), 1)},
        "scan_ms": {"p50": round(percentile(results.scan_ms, 50), 1), "p99": round(percentile(results.scan_ms, 99), 1),
                    "max": round(max(results.scan_ms, default=float("nan")), 1)},
        "errors": len(results.errors),
        "rss_mb": mem,
        "check_ledger_exit": check.returncode,
        "load_average": os.getloadavg(),
    }
    if hub:
        figures["hub"] = hub.figures(warmup)
    print()
    print(f"soak: {args.tills} tills for {elapsed / 60:.2f} min (seed {seed}); load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  sales       {figures['sales']} ({figures['sales_per_s']}/s), {results.lines} lines "
          f"({results.kg_lines} weighed), {len(results.scan_ms)} scans ({figures['scans_per_s']}/s)")
    print(f"  POST /sales p50 {figures['sale_ms']['p50']} ms, p99 {figures['sale_ms']['p99']} ms, "
          f"max {figures['sale_ms']['max']} ms")
    print(f"  scan (GET)  p50 {figures['scan_ms']['p50']} ms, p99 {figures['scan_ms']['p99']} ms, "
          f"max {figures['scan_ms']['max']} ms")
    print(f"  errors      {len(results.errors)}" + (f" (first: {results.errors[0]})" if results.errors else ""))
    print_memory("server RSS", mem, warmup)
    print(f"  gerai check-ledger: exit {check.returncode}: {(check.stdout + check.stderr).strip().splitlines()[-1:]}")
    failed = []
    if hub:
        h = figures["hub"]
        c = h["checked"]
        print(f"hub: {h['outlets']} simulated shops ({h['bad_links']} on bad links, {h['shop_rate_per_min']:g} sales/min "
              f"each) and the tills' shop")
        print(f"  ingest      {h['events_in_window']} events in {elapsed:.0f} s = {h['events_per_s']} events/s "
              f"({h['events_total']} with the last round); {h['pushes']} pushes, {h['lost_answers']} answers lost "
              f"(sent again), {h['no_link_turns']} turns without a link")
        print(f"  push (gzip) p50 {h['push_ms']['p50']} ms, p99 {h['push_ms']['p99']} ms, max {h['push_ms']['max']} ms; "
              f"pull p50 {h['pull_ms']['p50']} ms, p99 {h['pull_ms']['p99']} ms ({h['pulls']} pulls, "
              f"{h['feed_events']} feed events)")
        print(f"  requests    {c['simulated_requests']} submitted by the simulated shops, {h['dispatches']} dispatched by "
              f"the coordinator, {c['requests_received']} received")
        print(f"  errors      {h['errors']}" + (f" (first: {h['first_errors']})" if h["errors"] else ""))
        print_memory("hub RSS", h["rss_mb"], warmup)
        print(f"  tills' shop {c['real_shop_events']} outbox events ({h['real_shop_new_events']} from this run, by its "
              f"own sync loop every {args.sync_interval:g} s), all accepted "
              f"{h['real_shop_caught_up_s']} s after the tills stopped" if hub.caught_up else
              "  tills' shop NOT caught up")
        print(f"  exactly once: {c['simulated_events']} simulated events + {c['real_shop_events']} of the shop; hub rows "
              f"{c['tables']}; {len(hub.problems)} mismatch(es)" + (f": {hub.problems[:3]}" if hub.problems else ""))
        if h["errors"]:
            failed.append(f"{h['errors']} hub error(s)")
        if hub.problems:
            failed.append(f"{len(hub.problems)} hub mismatch(es)")
        limit = args.hub_max_growth_mb if args.hub_max_growth_mb is not None else args.max_growth_mb
        if h["rss_mb"]["growth_after_warmup"] > limit:
            failed.append(f"hub memory grew {h['rss_mb']['growth_after_warmup']:.1f} MB after warm-up "
                          f"(limit {limit:g} MB)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    if results.errors:
        failed.append(f"{len(results.errors)} error(s)")
    if check.returncode:
        failed.append("check-ledger failed:\n" + check.stdout + check.stderr)
    if growth > args.max_growth_mb:
        failed.append(f"server memory grew {growth:.1f} MB after warm-up (limit {args.max_growth_mb:g} MB)")
    if not results.sale_ms:
        failed.append("no sale was recorded")
    if failed:
        print("FAIL: " + "; ".join(failed), file=sys.stderr)
        print(f"server log and database kept in {instance}", file=sys.stderr)
        return 1
    print("PASS")
    if temp:
        shutil.rmtree(instance, ignore_errors=True)
    return 0


def env_database_url(env: dict) -> str:
    from gerai.config import load_config

    return load_config(env).database_url


if __name__ == "__main__":
    sys.exit(main())
