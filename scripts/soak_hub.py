"""The hub half of `scripts/soak.py --hub`: a hub on a scratch PostgreSQL database, 200 simulated shops
syncing into it, and the checks at the end. scripts/soak.py drives it; nothing here runs alone.

Each simulated shop (bench/hubsim.py's `ShopStream`) keeps an outbox of the events a shop emits
(notes/SYNC.md): sales and their movements, restock requests (a draft and its submission, then the
dispatched and received snapshots with the receipt movements) and, on a turn, pushes what the hub
has not accepted in batches of 500 through the real client's HTTP call (`suppliers.sync_client`:
gzip-compressed JSON, a new connection per call, 10 s / 60 s timeouts), then pulls its feed until
empty. Shops on a bad link wait longer between turns and sometimes find no link at all; now and
then an answer is "lost" (the shop does not hear the hub's accepted_through and sends the batch
again, as after a connection cut halfway), so the hub's duplicate handling is soaked too. A
coordinator (a hub user of the simulated supplier) dispatches the submitted requests through the
API, which reaches the shops through the feed.

The shops run in a child process (a thread pool there) so that they do not share the tills' GIL.
"""
from __future__ import annotations

import heapq
import http.client
import json
import random
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from bench.hubsim import ShopStream, drop_database, scratch_database  # noqa: E402
from suppliers import sync_client  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SUPPLIER = "SIMSUP"
REAL_OUTLET = "SOAK-SHOP"
COORDINATOR, PASSWORD = "soak-koordinator", "soak-pass-123"
PUSH = "/api/v1/sync/push"
REQUEST_EVERY = 40  # a shop drafts and submits a restock request about once in this many sales
LOST_ANSWER = 0.03  # share of pushes whose answer the shop never hears
BAD_LINKS = 0.3  # share of shops on a bad link
NO_LINK = 0.25  # a bad-link shop's chance to find no link on a turn


def sim_code(i: int) -> str:
    return f"SIM-{i:04d}"


# --- set-up and tear-down (in the soak's own process) -------------------------------------------

def create_hub(server_url: str, outlets: int) -> tuple[str, dict[str, str]]:
    """A fresh database on `server_url`'s server, migrated, with `outlets` simulated outlets, the real shop
    and the coordinator; returns (its URL, token per outlet code)."""
    from gerai import auth, migrate
    from gerai.db import Database
    from suppliers.hub.outlets import add_outlet
    from suppliers.hub.partitions import ensure_partitions

    url = scratch_database(server_url, "gerai_soak_hub")
    migrate.upgrade(url)
    db = Database(url)
    tokens = {}
    try:
        with db.engine.begin() as conn:
            ensure_partitions(conn)
        with db.session() as s:
            for i in range(outlets):
                tokens[sim_code(i)] = add_outlet(s, sim_code(i), f"Gerai simulasi {i}", kabupaten=f"Kab {i % 20}",
                                                 provinsi="Prov Soak")[1]
            tokens[REAL_OUTLET] = add_outlet(s, REAL_OUTLET, "Gerai soak (tills)", kabupaten="Kab 0",
                                             provinsi="Prov Soak")[1]
            auth.create_user(s, COORDINATOR, "coordinator", PASSWORD, supplier=SUPPLIER)
            s.commit()
    finally:
        db.dispose()
    return url, tokens


def drop_hub(server_url: str, url: str) -> None:
    drop_database(server_url, url)


# --- the simulated shops (in a child process) ---------------------------------------------------

class Stats:
    def __init__(self, deadline: float) -> None:
        self.lock = threading.Lock()
        self.deadline = deadline
        self.push_ms: list[float] = []
        self.pull_ms: list[float] = []
        self.errors: list[str] = []
        self.error_count = 0
        self.in_window = 0  # events newly accepted before the deadline
        self.total = 0
        self.pushes = self.pulls = self.lost = self.no_link = self.dispatches = self.feed_events = 0
        self.timeline: list[tuple[float, int]] = []  # (monotonic, events accepted by then), one per push

    def error(self, text: str) -> None:
        with self.lock:
            self.error_count += 1
            if len(self.errors) < 50:
                self.errors.append(text)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


class SimShop:
    def __init__(self, code: str, token: str, hub_url: str, rng: random.Random, rate: float) -> None:
        self.code, self.rng, self.rate = code, rng, rate
        self.hub = sync_client.Hub(hub_url, token, code)
        self.stream = ShopStream(rng)
        self.bad_link = rng.random() < BAD_LINKS
        self.pushed = 0  # what this shop believes the hub accepted
        self.hub_through = 0  # what the hub answered, lost answers included (for counting only)
        self.cursor = 0
        self.owed = 0.0
        self.last = time.monotonic()
        self.receive_at: dict[str, float] = {}

    def pause(self) -> float:
        return self.rng.uniform(10, 45) if self.bad_link else self.rng.uniform(1, 5)

    def turn(self, stats: Stats, final: bool = False) -> None:
        now, at = time.monotonic(), now_utc()
        if not final:
            self.owed += (now - self.last) * self.rate / 60 * self.rng.uniform(0.5, 1.5)
        self.last = now
        while self.owed >= 1:
            self.owed -= 1
            self.stream.sale(at)
            if self.rng.random() < 1 / REQUEST_EVERY:
                self.stream.new_request(at, SUPPLIER)
        for rid, due in list(self.receive_at.items()):
            if final or due <= now:
                self.stream.receive(at, rid)
                del self.receive_at[rid]
        if not final and self.bad_link and self.rng.random() < NO_LINK:
            with stats.lock:
                stats.no_link += 1
            return
        if self.push(stats, final) and self.pull(stats, final) and final and self.receive_at:
            self.turn(stats, final)  # goods dispatched at the last moment: received, then pushed

    def push(self, stats: Stats, final: bool) -> bool:
        while self.pushed < self.stream.seq:
            batch = self.stream.events[self.pushed:self.pushed + sync_client.BATCH]
            started = time.perf_counter()
            try:
                status, answer = sync_client._call(self.hub, "POST", PUSH, {"outlet": self.code, "events": batch})
            except sync_client.SyncError as err:
                stats.error(f"{self.code} push: {err}")
                return False
            took = (time.perf_counter() - started) * 1000
            through = answer.get("accepted_through")
            if status != 200 or through != batch[-1]["seq"]:
                stats.error(f"{self.code} push of {batch[0]['seq']}..{batch[-1]['seq']}: {status} {answer}")
                return False
            done = time.monotonic()
            with stats.lock:
                stats.pushes += 1
                stats.push_ms.append(took)
                new = max(0, through - self.hub_through)
                stats.total += new
                if done <= stats.deadline:
                    stats.in_window += new
                    stats.timeline.append((done, stats.in_window))
            self.hub_through = max(self.hub_through, through)
            if not final and self.rng.random() < LOST_ANSWER:
                with stats.lock:
                    stats.lost += 1
                return True  # the answer never came: the batch goes again next turn
            self.pushed = through
        return True

    def pull(self, stats: Stats, final: bool) -> bool:
        while True:
            started = time.perf_counter()
            try:
                status, answer = sync_client._call(self.hub, "GET", f"/api/v1/sync/pull?cursor={self.cursor}&limit=500")
            except sync_client.SyncError as err:
                stats.error(f"{self.code} pull: {err}")
                return False
            took = (time.perf_counter() - started) * 1000
            events = answer.get("events")
            if status != 200 or not isinstance(events, list) or not isinstance(answer.get("cursor"), int):
                stats.error(f"{self.code} pull after {self.cursor}: {status} {answer}")
                return False
            with stats.lock:
                stats.pulls += 1
                stats.pull_ms.append(took)
                stats.feed_events += len(events)
            at = now_utc()
            for ev in events:
                if ev.get("type") != "dispatch":
                    continue
                rid = ev["data"]["request_id"]
                if not self.stream.dispatched(at, rid, ev["data"]["lines"]):
                    stats.error(f"{self.code}: a dispatch for request {rid}, not this shop's")
                    continue
                self.receive_at[rid] = time.monotonic() + (0 if final else self.rng.uniform(5, 40))
            self.cursor = answer["cursor"]
            if not events:
                return True


def api(conn: http.client.HTTPConnection, method: str, path: str, token: str | None = None, body=None):
    headers = {"Content-Type": "application/json", "Accept-Language": "en"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, "/api/v1" + path, body=None if body is None else json.dumps(body), headers=headers)
    res = conn.getresponse()
    raw = res.read()
    return res.status, json.loads(raw) if raw else None


def coordinator(port: int, stats: Stats, stop: threading.Event) -> None:
    """The simulated supplier's coordinator dispatches every submitted request (whole) every few seconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        status, body = api(conn, "POST", "/auth/token", body={"username": COORDINATOR, "password": PASSWORD})
        if status != 200:
            stats.error(f"coordinator sign-in: {status} {body}")
            return
        token = body["token"]
        while not stop.wait(3.0):
            status, found = api(conn, "GET", f"/restock-requests?status=submitted&supplier={SUPPLIER}&page_size=100",
                                token)
            if status != 200:
                stats.error(f"coordinator list: {status} {found}")
                continue
            for req in found:
                lines = [{"sku": ln["sku"], "qty": str(_dec(ln["qty"]) - _dec(ln["dispatched_qty"]))}
                         for ln in req["lines"] if _dec(ln["qty"]) > _dec(ln["dispatched_qty"])]
                status, body = api(conn, "POST", f"/restock-requests/{req['id']}/dispatch", token, {"lines": lines})
                if status != 200:
                    stats.error(f"coordinator dispatch {req['id']}: {status} {body}")
                    continue
                with stats.lock:
                    stats.dispatches += 1
    except (OSError, http.client.HTTPException) as err:
        stats.error(f"coordinator: {err!r}")
    finally:
        conn.close()


def _dec(text):
    from decimal import Decimal

    return Decimal(str(text))


def run_shops(port: int, tokens: dict[str, str], deadline: float, rate: float, clients: int, seed: int, pipe) -> None:
    """Child process: the simulated shops until `deadline` (time.monotonic, shared by all processes here),
    then a last round each (everything pushed, the feed pulled); sends the figures and each shop's state."""
    rng = random.Random(seed)
    hub_url = f"http://127.0.0.1:{port}"
    stats = Stats(deadline)
    shops = [SimShop(code, token, hub_url, random.Random(rng.randrange(10**9)), rate)
             for code, token in tokens.items()]
    stop = threading.Event()
    boss = threading.Thread(target=coordinator, args=(port, stats, stop), name="coordinator")
    boss.start()
    started = time.monotonic()

    def worker(mine: list[SimShop]) -> None:
        queue = [(started + s.rng.uniform(0, 3), i) for i, s in enumerate(mine)]
        heapq.heapify(queue)
        while queue:
            due, i = heapq.heappop(queue)
            wait = due - time.monotonic()
            if due >= deadline:
                break
            if wait > 0:
                time.sleep(wait)
            shop = mine[i]
            try:
                shop.turn(stats)
            except Exception as err:  # noqa: BLE001 (a bug in the simulation is an error of the run, not a hang)
                stats.error(f"{shop.code}: {err!r}")
            heapq.heappush(queue, (time.monotonic() + shop.pause(), i))

    groups = [shops[k::clients] for k in range(clients)]
    threads = [threading.Thread(target=worker, args=(g,), name=f"shops-{k}") for k, g in enumerate(groups)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    window = time.monotonic() - started
    stop.set()
    boss.join()

    def last_round(mine: list[SimShop]) -> None:
        for shop in mine:
            for _attempt in range(3):
                before = stats.error_count
                try:
                    shop.turn(stats, final=True)
                except Exception as err:  # noqa: BLE001
                    stats.error(f"{shop.code} last round: {err!r}")
                if stats.error_count == before:
                    break

    threads = [threading.Thread(target=last_round, args=(g,)) for g in groups]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pipe.send({
        "window_s": window, "in_window": stats.in_window, "total": stats.total, "pushes": stats.pushes,
        "pulls": stats.pulls, "lost_answers": stats.lost, "no_link_turns": stats.no_link,
        "dispatches": stats.dispatches, "feed_events": stats.feed_events, "push_ms": stats.push_ms,
        "pull_ms": stats.pull_ms, "errors": stats.errors, "error_count": stats.error_count,
        "bad_links": sum(s.bad_link for s in shops),
        "timeline": [(t - started, n) for t, n in stats.timeline[::max(1, len(stats.timeline) // 200)]],
        "shops": {s.code: {"last_seq": s.stream.seq, "pushed": s.pushed, "sales": s.stream.sales,
                           "balance": s.stream.balance,
                           "requests": {rid: r.status for rid, r in s.stream.requests.items()}} for s in shops},
    })
    pipe.close()


# --- the checks at the end ----------------------------------------------------------------------

def shop_state(shop_url: str) -> tuple[int, int, dict[str, int]]:
    """The real shop: (last outbox seq, pushed_through, on hand per SKU that moved, in thousandths)."""
    engine = sa.create_engine(shop_url)
    try:
        with engine.connect() as conn:
            last = conn.execute(sa.text("SELECT coalesce(max(seq), 0) FROM outbox_events")).scalar_one()
            pushed = conn.execute(sa.text("SELECT coalesce(max(pushed_through), 0) FROM sync_state")).scalar_one()
            levels = dict(conn.execute(sa.text(
                "SELECT p.sku, l.on_hand FROM stock_levels l JOIN products p ON p.id = l.product_id "
                "WHERE l.last_movement_id IS NOT NULL")).all())
    finally:
        engine.dispose()
    return last, pushed, levels


def accepted_through(hub_url: str, code: str) -> int:
    engine = sa.create_engine(hub_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT accepted_through FROM hub_outlets WHERE code = :c"),
                                {"c": code}).scalar_one()
    finally:
        engine.dispose()


def wait_for_real_shop(shop_url: str, hub_url: str, timeout: float) -> tuple[bool, float]:
    """Until the real shop's background loop has everything accepted (True) or `timeout` s pass."""
    started = time.monotonic()
    while True:
        last, pushed, _levels = shop_state(shop_url)
        if pushed >= last and accepted_through(hub_url, REAL_OUTLET) >= last:
            return True, time.monotonic() - started
        if time.monotonic() - started > timeout:
            return False, time.monotonic() - started
        time.sleep(0.5)


def verify(hub_url: str, shops: dict[str, dict], shop_url: str) -> tuple[list[str], dict]:
    """Every event on the hub exactly once, and the hub's view equal to each shop's own; returns
    (mismatches, figures)."""
    problems: list[str] = []
    engine = sa.create_engine(hub_url)
    try:
        with engine.connect() as conn:
            outlets = {r.code: r for r in conn.execute(sa.text(
                "SELECT o.id, o.code, o.accepted_through, count(e.seq) AS events, coalesce(max(e.seq), 0) AS top, "
                "count(DISTINCT e.event_id) AS ids FROM hub_outlets o LEFT JOIN hub_events e ON e.outlet_id = o.id "
                "GROUP BY o.id, o.code, o.accepted_through")).all()}
            stock: dict[str, dict[str, int]] = {}
            for code, sku, on_hand in conn.execute(sa.text(
                    "SELECT o.code, s.sku, s.on_hand FROM hub_stock s JOIN hub_outlets o ON o.id = s.outlet_id")):
                stock.setdefault(code, {})[sku] = on_hand
            sales = dict(conn.execute(sa.text(
                "SELECT o.code, count(*) FROM hub_sales s JOIN hub_outlets o ON o.id = s.outlet_id GROUP BY o.code")).all())
            requests: dict[str, dict[str, str]] = {}
            for code, rid, status in conn.execute(sa.text(
                    "SELECT o.code, r.id, r.status FROM hub_requests r JOIN hub_outlets o ON o.id = r.outlet_id")):
                requests.setdefault(code, {})[rid] = status
            totals = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                      for t in ("hub_events", "hub_movements", "hub_sales", "hub_requests", "hub_dispatches",
                                "hub_feed")}
    finally:
        engine.dispose()

    def once(code: str, last: int) -> None:
        o = outlets.get(code)
        if o is None:
            problems.append(f"{code}: not registered at the hub")
        elif not (o.events == o.ids == o.top == o.accepted_through == last):
            problems.append(f"{code}: last seq {last}, hub accepted_through {o.accepted_through}, {o.events} events "
                            f"({o.ids} ids, highest seq {o.top})")

    for code, shop in shops.items():
        once(code, shop["last_seq"])
        if shop["pushed"] != shop["last_seq"]:
            problems.append(f"{code}: {shop['last_seq'] - shop['pushed']} events never pushed")
        if stock.get(code, {}) != shop["balance"]:
            diff = sorted(k for k in set(stock.get(code, {})) | set(shop["balance"])
                          if stock.get(code, {}).get(k) != shop["balance"].get(k))
            problems.append(f"{code}: hub_stock differs from the shop's for {diff[:5]}")
        if sales.get(code, 0) != shop["sales"]:
            problems.append(f"{code}: {shop['sales']} sales, the hub has {sales.get(code, 0)}")
        if requests.get(code, {}) != shop["requests"]:
            problems.append(f"{code}: restock requests differ: hub {requests.get(code, {})} shop {shop['requests']}")
    last, pushed, levels = shop_state(shop_url)
    once(REAL_OUTLET, last)
    if pushed != last:
        problems.append(f"{REAL_OUTLET}: outbox holds {last} events, pushed_through is {pushed}")
    hub_levels = stock.get(REAL_OUTLET, {})
    if hub_levels != levels:
        diff = sorted(k for k in set(hub_levels) | set(levels) if hub_levels.get(k) != levels.get(k))
        problems.append(f"{REAL_OUTLET}: hub_stock differs from the shop's stock_levels for {len(diff)} SKU(s), "
                        f"e.g. {[(k, hub_levels.get(k), levels.get(k)) for k in diff[:3]]}")
    figures = {"tables": totals, "real_shop_events": last, "real_shop_skus": len(levels),
               "simulated_events": sum(s["last_seq"] for s in shops.values()),
               "simulated_sales": sum(s["sales"] for s in shops.values()),
               "simulated_requests": sum(len(s["requests"]) for s in shops.values()),
               "requests_received": sum(1 for s in shops.values() for st in s["requests"].values() if st == "received")}
    return problems, figures
