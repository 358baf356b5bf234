"""Nothing lost: `gerai serve` killed with SIGKILL in the middle of a stream of sales keeps every
sale it acknowledged (201), with its ledger entries, and `gerai check-ledger` passes after restart."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

GERAI = str(Path(sys.executable).parent / "gerai")
PASSWORD = "crash-pass-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Http:
    def __init__(self, port: int, token: str | None = None):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)

    def call(self, method: str, path: str, data=None) -> tuple[int, object]:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self.conn.request(method, "/api/v1" + path, body=None if data is None else json.dumps(data), headers=headers)
        res = self.conn.getresponse()
        raw = res.read()
        return res.status, json.loads(raw) if raw else None

    def close(self) -> None:
        self.conn.close()


def once(port: int, method: str, path: str, data=None, token: str | None = None) -> tuple[int, object]:
    client = Http(port, token)
    try:
        return client.call(method, path, data)
    finally:
        client.close()


def serve(env: dict, port: int, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen([GERAI, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    for _ in range(300):
        if proc.poll() is not None:
            pytest.fail(f"gerai serve exited: {log.read_text()[-500:]}")
        try:
            if once(port, "GET", "/openapi.json")[0] == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    pytest.fail("gerai serve did not answer")


def login(port: int, username: str) -> str:
    status, body = once(port, "POST", "/auth/token", {"username": username, "password": PASSWORD})
    assert status == 200, body
    return body["token"]


def stream_sales(port: int, token: str, acknowledged: list, stop: threading.Event) -> None:
    """Sell until the server dies; remember each sale the server answered 201."""
    client = Http(port, token)
    try:
        while not stop.is_set():
            sale = {"id": str(uuid.uuid4()), "lines": [{"sku": "CRASH-A", "qty": 1}, {"sku": "CRASH-B", "qty": "0.5"}],
                    "payments": [{"method": "cash", "amount": 20000}]}
            try:
                status, body = client.call("POST", "/sales", sale)
            except (OSError, http.client.HTTPException):
                return
            if status == 201:
                acknowledged.append((sale["id"], body["number"], body["total"]))
    finally:
        client.close()


def test_sigkill_mid_stream_keeps_every_acknowledged_sale(tmp_path):
    instance = tmp_path / "instance"
    env = {**os.environ, "GERAI_INSTANCE": str(instance), "GERAI_SECRET_KEY": "crash-" + uuid.uuid4().hex,
           "GERAI_PRINTER": "none"}
    env.pop("GERAI_DATABASE_URL", None)
    for args in (["init"], ["create-user", "crash-mgr", "--role", "manager", "--password", PASSWORD],
                 ["create-user", "crash-ksr", "--role", "cashier", "--password", PASSWORD]):
        subprocess.run([GERAI, *args], env=env, check=True, capture_output=True, timeout=120)
    port, log = free_port(), tmp_path / "server.log"
    server = serve(env, port, log)
    try:
        manager, cashier = login(port, "crash-mgr"), login(port, "crash-ksr")
        assert once(port, "POST", "/suppliers", {"code": "CR", "name": "Crash"}, manager)[0] == 201
        for sku, unit in (("CRASH-A", "pcs"), ("CRASH-B", "kg")):
            assert once(port, "POST", "/products", {"sku": sku, "name": sku, "category": "sembako", "unit": unit,
                                                    "price": 5000, "supplier": "CR"}, manager)[0] == 201
        assert once(port, "POST", "/stock/receipts", {"supplier": "CR", "lines": [
            {"sku": "CRASH-A", "qty": 100000}, {"sku": "CRASH-B", "qty": 100000}]}, manager)[0] == 201
        assert once(port, "POST", "/shifts", {"opening_cash": 0}, cashier)[0] == 201

        acknowledged: list = []
        stop = threading.Event()
        tills = [threading.Thread(target=stream_sales, args=(port, cashier, acknowledged, stop)) for _ in range(2)]
        for t in tills:
            t.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(server.pid, signal.SIGKILL)  # mid-stream: both tills are still sending
        server.wait(10)
        stop.set()
        for t in tills:
            t.join(30)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
    assert len(acknowledged) >= 40

    server = serve(env, port, log)  # restart on the same database
    try:
        reader = Http(port, login(port, "crash-ksr"))
        try:
            for sale_id, number, total in acknowledged:
                status, body = reader.call("GET", f"/sales/{sale_id}")
                assert status == 200 and (body["number"], body["total"]) == (number, total)
        finally:
            reader.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)

    db = sqlite3.connect(instance / "gerai.db")
    try:
        moved = {sid for (sid,) in db.execute("SELECT DISTINCT source_id FROM stock_movements WHERE kind = 'sale'")}
        assert {sale_id for sale_id, _, _ in acknowledged} <= moved
        per_sale = db.execute("SELECT count(*) FROM stock_movements WHERE kind = 'sale' GROUP BY source_id").fetchall()
        assert {n for (n,) in per_sale} == {2}
        numbers = [n for (n,) in db.execute("SELECT number FROM sales ORDER BY number")]
        assert numbers == list(range(1, len(numbers) + 1))  # gapless, even across the crash
    finally:
        db.close()
    check = subprocess.run([GERAI, "check-ledger"], env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
