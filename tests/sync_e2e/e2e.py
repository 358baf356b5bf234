"""Shared by the shop <-> hub end-to-end tests: a real hub (`gerai serve`, GERAI_ROLE=hub, on a
fresh PostgreSQL database) that can be SIGKILLed, restarted and rolled back to a snapshot; a shop
(SQLite) served in-process or as `gerai serve`; a TCP proxy that cuts connections at a chosen byte;
and the comparison of both sides ("both sides agree")."""
from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
import uuid
from collections import Counter, deque
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "durability"))

from conftest import create_pg_database, drop_pg_database  # noqa: E402
from durability_helpers import GERAI, free_port, kill, once, serve  # noqa: E402

from gerai import migrate  # noqa: E402
from gerai.db import Database  # noqa: E402

HUB_SECRET = "hub-e2e-" + "s" * 24
COORD, COORD_PASSWORD = "koord-bulog", "koord-pass-123"


def base_env(instance: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GERAI_")}
    env.update(GERAI_INSTANCE=str(instance), GERAI_PRINTER="none", **extra)
    return env


def gerai(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run([GERAI, *args], env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert out.returncode == 0, f"gerai {' '.join(args[:2])}: {out.stdout}{out.stderr}"
    return out


class HubServer:
    """A hub: `gerai serve` with GERAI_ROLE=hub on its own PostgreSQL database."""

    def __init__(self, server_url: str, workdir: Path) -> None:
        self.server_url = server_url
        self.url_db = create_pg_database(server_url, "gerai_e2e_hub")
        self.name = sa.make_url(self.url_db).database
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.env = base_env(workdir, GERAI_ROLE="hub", GERAI_DATABASE_URL=self.url_db, GERAI_SECRET_KEY=HUB_SECRET)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.kills = 0
        migrate.upgrade(self.url_db)
        from suppliers.hub.partitions import ensure_partitions

        self.db = Database(self.url_db)
        with self.db.engine.begin() as conn:
            ensure_partitions(conn)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = serve(self.env, self.port, self.workdir / "hub.log", "--threads", "8")

    def sigkill(self) -> None:
        if self.proc is not None:
            kill(self.proc)
            self.kills += 1
            self.proc = None

    def restart(self) -> None:
        self.sigkill()
        self.start()

    def add_outlet_cli(self, code: str, **kw: str) -> str:
        """`gerai hub add-outlet`: the token is the last line."""
        opts = [x for k, v in kw.items() for x in (f"--{k}", v)]
        out = gerai(self.env, "hub", "add-outlet", code, "--name", f"Gerai {code}", *opts)
        return out.stdout.strip().splitlines()[-1]

    def add_outlet(self, code: str) -> str:
        from suppliers.hub.outlets import add_outlet

        with self.db.session() as s:
            return add_outlet(s, code, f"Gerai {code}", kabupaten="Kabupaten Sleman")[1]

    def add_coordinator(self, name: str = COORD, password: str = COORD_PASSWORD, supplier: str = "BULOG") -> None:
        from gerai import auth

        with self.db.session() as s:
            auth.create_user(s, name, "coordinator", password, supplier=supplier)
            s.commit()

    # --- a crash that loses the last moment (synchronous_commit off) ----------------------------

    def snapshot(self) -> str:
        """A copy of the database as it is now (the hub must be down: CREATE DATABASE ... TEMPLATE)."""
        assert self.proc is None
        self.db.dispose()
        snap = f"{self.name}_snap"
        engine = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{snap}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{snap}" TEMPLATE "{self.name}"')
        engine.dispose()
        return snap

    def roll_back_to(self, snap: str) -> None:
        """The hub's database becomes the snapshot: every commit after it is lost, as a crash of a
        PostgreSQL with synchronous_commit off loses the transactions whose WAL was not flushed."""
        assert self.proc is None
        self.db.dispose()
        engine = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{self.name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{self.name}" TEMPLATE "{snap}"')
        engine.dispose()

    def close(self) -> None:
        self.sigkill()
        self.db.dispose()
        drop_pg_database(self.server_url, self.url_db)
        drop_pg_database(self.server_url, sa.make_url(self.url_db).set(database=f"{self.name}_snap")
                         .render_as_string(hide_password=False))

    # --- what the hub holds -----------------------------------------------------------------------

    def outlet_id(self, code: str) -> int:
        with self.db.engine.connect() as conn:
            return conn.execute(sa.text("SELECT id FROM hub_outlets WHERE code = :c"), {"c": code}).scalar_one()

    def accepted_through(self, code: str) -> int:
        with self.db.engine.connect() as conn:
            return conn.execute(sa.text("SELECT accepted_through FROM hub_outlets WHERE code = :c"),
                                {"c": code}).scalar_one()

    def facts(self, code: str) -> dict:
        oid = self.outlet_id(code)
        with self.db.engine.connect() as conn:
            q = lambda sql: conn.execute(sa.text(sql), {"o": oid}).all()  # noqa: E731
            return {
                "events": q("SELECT seq, event_id FROM hub_events WHERE outlet_id = :o ORDER BY seq"),
                "stock": {sku: on_hand for sku, on_hand in q("SELECT sku, on_hand FROM hub_stock WHERE outlet_id = :o")},
                "sales": q("SELECT sale_id, number, total FROM hub_sales WHERE outlet_id = :o"),
                "daily": q("SELECT sum(sales_count), sum(total) FROM hub_sales_daily WHERE outlet_id = :o")[0],
                "requests": {rid: status for rid, status in q("SELECT id, status FROM hub_requests WHERE outlet_id = :o")},
                "movements": q("SELECT event_id FROM hub_movements WHERE outlet_id = :o"),
            }


# --- the shop's side -----------------------------------------------------------------------------

def shop_facts(db: Database) -> dict:
    """Raw rows (quantities in thousandths) read with plain SQL, independent of the services."""
    with db.engine.connect() as conn:
        q = lambda sql: conn.execute(sa.text(sql)).all()  # noqa: E731
        return {
            "events": q("SELECT seq, id, type FROM outbox_events ORDER BY seq"),
            "pushed_through": conn.execute(sa.text("SELECT pushed_through FROM sync_state")).scalar(),
            "stock": {sku: on_hand for sku, on_hand in q("SELECT p.sku, l.on_hand FROM stock_levels l "
                                                          "JOIN products p ON p.id = l.product_id")},
            "sales": q("SELECT id, number, total FROM sales"),
            "requests": {rid: status for rid, status in q("SELECT id, status FROM restock_requests "
                                                          "WHERE status <> 'draft'")},
        }


def assert_agree(db: Database, hub: HubServer, code: str, *, shop_lost: bool = False) -> dict:
    """Both sides agree. `shop_lost`: the shop was restored from an older backup, so the hub may hold
    events (and sales) the shop no longer has; every one the shop holds is still there exactly once."""
    shop, there = shop_facts(db), hub.facts(code)
    ids = [eid for _seq, eid in there["events"]]
    dup = [eid for eid, n in Counter(ids).items() if n > 1]
    assert not dup, f"events on the hub more than once: {dup[:5]}"
    shop_ids = [eid for _seq, eid, _t in shop["events"]]
    missing = set(shop_ids) - set(ids)
    assert not missing, f"{len(missing)} shop events not on the hub"
    if not shop_lost:
        assert set(ids) == set(shop_ids)
    last = shop["events"][-1][0] if shop["events"] else 0
    assert hub.accepted_through(code) == last == shop["pushed_through"]
    movements = [eid for (eid,) in there["movements"]]
    assert len(movements) == len(set(movements)), "a movement applied twice"
    assert len(movements) == len({e for e in set(ids)} & set(movements))
    assert there["stock"] == shop["stock"], (there["stock"], shop["stock"])
    hub_sales = Counter((sid, number, total) for sid, number, total in there["sales"])
    assert all(n == 1 for n in hub_sales.values()), "a sale on the hub twice"
    shop_sales = {(sid, number, total) for sid, number, total in shop["sales"]}
    if shop_lost:
        assert shop_sales <= set(hub_sales)
    else:
        assert shop_sales == set(hub_sales)
        assert there["daily"] == ((len(shop_sales), sum(t for _s, _n, t in shop_sales)) if shop_sales else (None, None))
    for rid, status in shop["requests"].items():
        assert there["requests"].get(rid) == status, (rid, there["requests"].get(rid), status)
    return {"events": len(shop_ids), "hub_events": len(ids)}


# --- a TCP proxy that cuts connections -------------------------------------------------------------

def _read_http_message(sock: socket.socket, first: bytes = b"") -> bytes:
    """One HTTP message (headers and a Content-Length body) or whatever came before EOF."""
    buf = first
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return buf
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        if head.startswith(b"HTTP/"):  # a response without a length: read to EOF
            while chunk := sock.recv(65536):
                body += chunk
        return head + b"\r\n\r\n" + body
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


class CuttingProxy:
    """Between the shop and the hub. Each connection takes the next action of `plan` (default: pass):
    ("request", f) sends only the first fraction f of the request to the hub and closes both sides (the hub
    never got the whole request); ("response", f) lets the hub answer and gives the shop only the first
    fraction f of the answer (the hub did the work, the shop never learnt it)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = upstream_port
        self.plan: deque = deque()
        self.cuts: Counter = Counter()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            action = self.plan.popleft() if self.plan else ("pass", 1.0)
            threading.Thread(target=self._handle, args=(client, action), daemon=True).start()

    def _handle(self, client: socket.socket, action: tuple) -> None:
        kind, fraction = action
        upstream = None
        try:
            client.settimeout(30)
            request = _read_http_message(client)
            upstream = socket.create_connection(("127.0.0.1", self.upstream), timeout=60)
            if kind == "request":
                upstream.sendall(request[:int(len(request) * fraction)])
                self.cuts["request"] += 1
                return
            upstream.sendall(request)
            response = _read_http_message(upstream)
            if kind == "response":
                client.sendall(response[:int(len(response) * fraction)])
                self.cuts["response"] += 1
                return
            client.sendall(response)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    sock.close()

    def close(self) -> None:
        self.closed = True
        self.listener.close()


def new_uuid() -> str:
    return str(uuid.uuid4())


def sale_body(rng: random.Random, skus: list[str]) -> dict:
    lines = [{"sku": sku, "qty": rng.randint(1, 3)} for sku in rng.sample(skus, rng.randint(1, len(skus)))]
    return {"id": new_uuid(), "lines": lines, "payments": [{"method": "cash", "amount": 5_000_000}]}


__all__ = ["HubServer", "CuttingProxy", "assert_agree", "shop_facts", "gerai", "base_env", "once", "free_port",
           "serve", "kill", "json", "COORD", "COORD_PASSWORD"]


# --- a shop in this process (the app and its API through the test client) ---------------------------

class Shop:
    """The shop's own app on its SQLite file, driven through its API (test client), syncing over real HTTP."""

    SKUS = ("BERAS", "GULA", "MINYAK")

    def __init__(self, app, issued_api) -> None:
        import factories as f

        self.app, self.api = app, issued_api
        self.db: Database = app.extensions["gerai_db"]
        self.tz = app.extensions["gerai_settings"].tz if "gerai_settings" in app.extensions else None
        with self.db.session() as s:
            for sku, unit in zip(self.SKUS, ("kg", "pcs", "liter")):
                f.product(s, sku, name=sku.title(), unit=unit, price=15000, supplier="BULOG")
        self.receive({sku: 1000 for sku in self.SKUS}, "OPENING")
        res = self.api("cashier").post("/shifts", json={"opening_cash": 0})
        assert res.status_code == 201, res.get_json()

    def sell(self, rng: random.Random, skus=None) -> dict:
        res = self.api("cashier").post("/sales", json=sale_body(rng, list(skus or self.SKUS)))
        assert res.status_code == 201, res.get_json()
        return res.get_json()

    def receive(self, lines: dict, reference: str = "SJ", request_id: str | None = None) -> None:
        body = {"supplier": "BULOG", "reference": reference,
                "lines": [{"sku": sku, "qty": qty} for sku, qty in lines.items()]}
        if request_id:
            body["restock_request_id"] = request_id
        res = self.api("manager").post("/stock/receipts", json=body)
        assert res.status_code == 201, res.get_json()

    def request(self, lines: dict) -> str:
        rid = new_uuid()
        res = self.api("manager").post("/restock-requests", json={
            "id": rid, "supplier": "BULOG", "lines": [{"sku": sku, "qty": qty} for sku, qty in lines.items()]})
        assert res.status_code == 201, res.get_json()
        return rid

    def sync(self, url: str, token: str, outlet: str, **kw):
        from zoneinfo import ZoneInfo

        from suppliers import sync_client

        hub = sync_client.Hub(url, token, outlet, **kw)
        return sync_client.sync_round(self.db, hub, ZoneInfo("Asia/Jakarta"))

    def backup(self, path: Path) -> None:
        from gerai import backup

        backup.backup(self.db, path)

    def restore(self, path: Path) -> None:
        from gerai import backup

        backup.restore(self.db, path)


def shop_app(instance: Path, template_db: Path, secret: str = "shop-e2e-secret"):
    """A shop's app on a copy of the test template database (the test users), and an `issued_api` for it."""
    import shutil

    from conftest import ApiClient, TEST_USERS
    from gerai import auth
    from gerai.app import create_app
    from gerai.config import load_config
    from gerai.models import User

    instance.mkdir(parents=True, exist_ok=True)
    shutil.copy(template_db, instance / "gerai.db")
    app = create_app(load_config({}, instance=str(instance), secret_key=secret, timezone="Asia/Jakarta"))
    app.config.update(TESTING=True)
    client, tokens = app.test_client(), {}

    def for_role(role: str) -> ApiClient:
        if role not in tokens:
            with app.extensions["gerai_db"].read_session() as s:
                user = s.scalar(sa.select(User).where(User.username == TEST_USERS[role]))
                tokens[role] = auth.issue_token(app.config["SECRET_KEY"], user)[0]
        return ApiClient(client, tokens[role])

    return app, for_role


def push_round(db: Database, url: str, token: str, outlet: str, batch: int = 50):
    """One round as `sync_round` does it, in small batches (more requests for a fault to land in)."""
    from zoneinfo import ZoneInfo

    from suppliers import sync_client

    hub = sync_client.Hub(url, token, outlet, connect_timeout=2, read_timeout=15)
    result = sync_client.RoundResult()
    sync_client.push(db, hub, result, batch=batch)
    sync_client.pull(db, hub, result, ZoneInfo("Asia/Jakarta"))
    return result
