"""Shared by the durability tests: damaging a database file the way a bad disk would, and a real
`gerai serve` in a subprocess (killed with SIGKILL, restarted) with a small JSON client."""
from __future__ import annotations

import http.client
import random
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path


def checkpoint(path: Path) -> None:
    """Fold the -wal into the database file (so that bytes overwritten in the file are what SQLite reads)."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


def damage_a_page(path: Path, table: str = "stock_movements") -> int:
    """Overwrite one of `table`'s leaf pages in the middle of the file with garbage; return its page number."""
    checkpoint(path)
    con = sqlite3.connect(path)
    try:
        pages = [n for (n,) in con.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' "
                                           "ORDER BY pageno", (table,))]
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
    finally:
        con.close()
    assert len(pages) >= 2, f"{table} needs more than one leaf page to damage one in the middle"
    victim = pages[len(pages) // 2]
    with open(path, "r+b") as fh:
        fh.seek((victim - 1) * page_size)
        fh.write(bytes([0xA5, 0x13, 0x37, 0xFF]) * (page_size // 4))
    return victim


# --- a real `gerai serve` in a subprocess ----------------------------------------------------------


GERAI = str(Path(sys.executable).parent / "gerai")
PASSWORD = "drill-pass-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Http:
    """One keep-alive connection speaking the JSON API."""

    def __init__(self, port: int, token: str | None = None, timeout: float = 20):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def call(self, method: str, path: str, data=None) -> tuple[int, object]:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self.conn.request(method, "/api/v1" + path, body=None if data is None else json.dumps(data), headers=headers)
        res = self.conn.getresponse()
        raw = res.read()
        return res.status, json.loads(raw) if raw and res.headers.get_content_type() == "application/json" else raw

    def close(self) -> None:
        self.conn.close()


def once(port: int, method: str, path: str, data=None, token: str | None = None) -> tuple[int, object]:
    client = Http(port, token)
    try:
        return client.call(method, path, data)
    finally:
        client.close()


def shop_env(instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GERAI_")}
    env.update(GERAI_INSTANCE=str(instance), GERAI_SECRET_KEY="drill-" + uuid.uuid4().hex, GERAI_PRINTER="none")
    return env


def gerai_cli(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([GERAI, *args], env=env, check=check, capture_output=True, text=True, timeout=300)


def serve(env: dict, port: int, log: Path, *extra: str) -> subprocess.Popen:
    """`gerai serve` in its own process group; returns once it answers."""
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen([GERAI, "serve", "--port", str(port), *extra], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gerai serve exited: {log.read_text()[-1500:]}")
        try:
            if once(port, "GET", "/openapi.json")[0] == 200:
                return proc
        except OSError:
            time.sleep(0.05)
    kill(proc)
    raise AssertionError("gerai serve did not answer within 120 s")


def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    proc.wait(30)


def login(port: int, username: str, password: str = PASSWORD) -> str:
    status, body = once(port, "POST", "/auth/token", {"username": username, "password": password})
    assert status == 200, body
    return body["token"]


# --- a small shop to sell in ------------------------------------------------------------------------

CASHIERS = ("drill-ksr1", "drill-ksr2")
MANAGER = "drill-mgr"
STOCK = 1_000_000


def sale_body(rng: random.Random) -> dict:
    lines = [{"sku": "DR-GULA", "qty": rng.randint(1, 3)}, {"sku": "DR-BERAS", "qty": f"{rng.randint(1, 40) * 0.25:.2f}"}]
    if rng.random() < 0.5:
        lines.append({"sku": "DR-MINYAK", "qty": 1})
    return {"id": str(uuid.uuid4()), "lines": lines, "payments": [{"method": "cash", "amount": 2_000_000}]}


def new_shop(env: dict, users: dict[str, str]) -> None:
    """`gerai init` and `gerai create-user` for each user, in this process (each CLI start-up costs seconds)."""
    from gerai import auth, migrate
    from gerai.config import load_config
    from gerai.db import Database

    url = load_config(env).database_url
    migrate.upgrade(url)
    db = Database(url)
    try:
        with db.session() as session:
            for name, role in users.items():
                auth.create_user(session, name, role, PASSWORD)
    finally:
        db.dispose()


def set_up_shop(env: dict, port: int, log) -> tuple[dict, str, subprocess.Popen]:
    """A new shop: three products with plenty of stock, a manager, two cashiers with open shifts; returns
    the cashiers' tokens, the manager's token and the running server."""
    new_shop(env, {MANAGER: "manager", **{name: "cashier" for name in CASHIERS}})
    server = serve(env, port, log)
    try:
        manager = login(port, MANAGER)
        tokens = {name: login(port, name) for name in CASHIERS}
        assert once(port, "POST", "/suppliers", {"code": "DR", "name": "Pemasok Latihan"}, manager)[0] == 201
        for sku, unit, price in (("DR-GULA", "pcs", 18000), ("DR-BERAS", "kg", 13000), ("DR-MINYAK", "liter", 17500)):
            assert once(port, "POST", "/products", {"sku": sku, "name": sku, "category": "sembako", "unit": unit,
                                                    "price": price, "supplier": "DR"}, manager)[0] == 201
        status, _ = once(port, "POST", "/stock/receipts", {"supplier": "DR", "reference": "OPENING", "lines": [
            {"sku": sku, "qty": STOCK} for sku in ("DR-GULA", "DR-BERAS", "DR-MINYAK")]}, manager)
        assert status == 201
        for token in tokens.values():
            assert once(port, "POST", "/shifts", {"opening_cash": 0}, token)[0] == 201
    except BaseException:
        kill(server)
        raise
    return tokens, manager, server


def sign_in(client, username: str = "t-manajer", password: str = "rahasia-123") -> None:
    """Through the /login form, with its CSRF token (the pages' own way in)."""
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    res = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert res.status_code == 302, res.get_data(as_text=True)[:300]
