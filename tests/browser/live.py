"""A real shop server for browser tests and the scan benchmark: `gerai serve` (waitress) in a
subprocess, on a free port, over a copy of a demo-like shop made once, printing to a file.

The shop is made the way an installer and a manager would make it: `gerai init`, `gerai
create-user`, then the demo catalog (gerai/demo/catalog.py), its opening stock, a scale code on
the loose rice and the shop's static QRIS through the JSON API. (`gerai demo` would also load
weeks of history the till does not need.)
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from pos.qris import crc16

ROOT = Path(__file__).resolve().parents[2]
GERAI = Path(sys.executable).with_name("gerai")
#: The loose rice a shop scale weighs; the label's prefix + item digits (PPIIIII) are its scale code.
SCALE_SKU, SCALE_CODE, SCALE_ITEM = "BRS-MED-KG", "2000001", "00001"
#: A fictional shop's static QRIS as its bank issues it (tags as in tests/unit/test_qris.py).
_QRIS_BODY = ("000201010211" "26640018ID.CO.BANKDESA.WWW011893600999000012345602090001234560303UMI"
              "51440014ID.CO.QRIS.WWW0215ID10251234567890303UMI"
              "5204541153033605802ID5918GERAI KMP SUKAMAJU6006SLEMAN610555511" "6304")
STATIC_QRIS = _QRIS_BODY + crc16(_QRIS_BODY)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiError(Exception):
    def __init__(self, status: int, body: object):
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


@dataclass
class Api:
    """A tiny JSON client (stdlib only) with a bearer token."""

    base: str
    token: str | None = None

    def call(self, method: str, path: str, body: object | None = None) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + "/api/v1" + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=15) as res:
                raw = res.read()
                kind = res.headers.get("Content-Type", "")
                return res.status, json.loads(raw) if "json" in kind else raw
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = raw
            raise ApiError(err.code, payload) from None

    def get(self, path: str):
        return self.call("GET", path)[1]

    def post(self, path: str, body: object = None):
        return self.call("POST", path, {} if body is None else body)[1]

    def patch(self, path: str, body: object):
        return self.call("PATCH", path, body)[1]

    def put(self, path: str, body: object):
        return self.call("PUT", path, body)[1]

    def sign_in(self, username: str, password: str) -> "Api":
        status, answer = self.call("POST", "/auth/token", {"username": username, "password": password})
        return Api(self.base, answer["token"])


def _env(instance: Path, printer: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GERAI_")}
    env.update({"GERAI_INSTANCE": str(instance), "GERAI_PRINTER": printer, "GERAI_PAPER": "58",
                "GERAI_SHOP_NAME": "Gerai KMP Sukamaju", "GERAI_TIMEZONE": "Asia/Jakarta", **(extra or {})})
    return env


USERS = (("kasir", "kasir123", "cashier", "Siti (kasir)"), ("manajer", "manajer123", "manager", "Pak Budi (manajer)"))


def _gerai(folder: Path, *args: str) -> None:
    done = subprocess.run([str(GERAI), *args], env=_env(folder, "none"), cwd=ROOT, capture_output=True, timeout=180)
    if done.returncode:
        raise RuntimeError(f"gerai {args[0]} failed: {done.stderr.decode(errors='replace')[-3000:]}")


def make_demo_instance(folder: Path) -> Path:
    """A migrated, empty shop with the demo users (the catalog goes in through the API later)."""
    folder.mkdir(parents=True, exist_ok=True)
    _gerai(folder, "init")
    for name, password, role, full_name in USERS:
        _gerai(folder, "create-user", name, "--role", role, "--password", password, "--full-name", full_name)
    return folder


def load_catalog(api: Api) -> None:
    """The demo catalog and its opening stock, as a manager would enter them."""
    from gerai.demo.catalog import DEMO_ONLY_KEYS, PRODUCTS, SUPPLIERS

    for supplier in SUPPLIERS:
        api.post("/suppliers", supplier)
    for product in PRODUCTS:
        body = {k: v for k, v in product.items() if k not in DEMO_ONLY_KEYS or k == "shelf_life_days"}
        api.post("/products", {k: v for k, v in body.items() if k != "demand_stops_days_ago"})
    for supplier in SUPPLIERS:
        lines = [{"sku": p["sku"], "qty": p["opening_stock"], "unit_cost": p["unit_cost"]}
                 for p in PRODUCTS if p["supplier"] == supplier["code"] and p["opening_stock"] not in ("0", "0.000")]
        if lines:
            api.post("/stock/receipts", {"supplier": supplier["code"], "reference": "STOK-AWAL", "lines": lines})


def prepare_shop(api: Api) -> None:
    """What a manager sets up: the catalog, the scale code of the loose rice, the shop's QRIS."""
    if not api.get("/products?q=" + SCALE_SKU):
        load_catalog(api)
    rice = api.get(f"/products/{SCALE_SKU}")
    if SCALE_CODE not in rice["barcodes"]:
        api.patch(f"/products/{SCALE_SKU}", {"barcodes": [*rice["barcodes"], SCALE_CODE]})
    api.put("/settings/qris", {"payload": STATIC_QRIS})


@dataclass
class LiveShop:
    """A running `gerai serve` over its own copy of the demo shop."""

    instance: Path
    port: int
    printer: Path
    process: subprocess.Popen | None = None
    log: Path | None = None
    _log_file: object = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "LiveShop":
        self.log = self.instance / "serve.log"
        out = self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [str(GERAI), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--threads", "4"],
            env=_env(self.instance, f"file:{self.printer}", self.extra_env), cwd=ROOT, stdout=out,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"gerai serve exited: {self.log.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gerai serve did not listen on {self.port}: {self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def api(self, username: str = "manajer", password: str = "manajer123") -> Api:
        return Api(self.url).sign_in(username, password)

    def printed(self) -> bytes:
        return self.printer.read_bytes() if self.printer.exists() else b""


def start_shop(template: Path, workdir: Path, extra_env: dict[str, str] | None = None,
               printer: Path | None = None) -> LiveShop:
    """Copy the demo instance and serve it, printing to `printer` (a file); the caller stops it."""
    instance = workdir / "instance"
    shutil.copytree(template, instance)
    shop = LiveShop(instance, free_port(), printer or workdir / "printer.bin", extra_env=dict(extra_env or {}))
    return shop.start()
