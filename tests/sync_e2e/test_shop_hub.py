"""A shop and a hub as real servers (issue 5, "Tests that must exist"): the shop is `gerai serve` on
SQLite, the hub `gerai serve` with GERAI_ROLE=hub on a fresh PostgreSQL database; the outlet is
registered with `gerai hub add-outlet`, the coordinator with `gerai create-user`, the shop syncs with
`gerai sync` (and, in the second test, by itself in the background)."""
from __future__ import annotations

import random
import time
from decimal import Decimal

import pytest

from e2e import COORD, COORD_PASSWORD, HubServer, assert_agree, base_env, gerai, sale_body, shop_facts
from durability_helpers import free_port, kill, login, new_shop, once, serve
from gerai.db import Database

pytestmark = pytest.mark.postgres

SKUS = {"BERAS": ("kg", 13000), "GULA": ("pcs", 18000), "MINYAK": ("liter", 17500)}


def open_shop(env: dict, port: int, log) -> tuple:
    """A new shop served by `gerai serve`: products of BULOG with stock, a manager, a cashier with a shift."""
    new_shop(env, {"mgr": "manager", "ksr": "cashier"})
    proc = serve(env, port, log)
    manager, cashier = login(port, "mgr"), login(port, "ksr")
    assert once(port, "POST", "/suppliers", {"code": "BULOG", "name": "Perum Bulog"}, manager)[0] == 201
    for sku, (unit, price) in SKUS.items():
        assert once(port, "POST", "/products", {"sku": sku, "name": sku.title(), "category": "sembako", "unit": unit,
                                                "price": price, "supplier": "BULOG"}, manager)[0] == 201
    assert once(port, "POST", "/shifts", {"opening_cash": 0}, cashier)[0] == 201
    return proc, manager, cashier


def sell(port: int, cashier: str, rng: random.Random, n: int) -> None:
    for _ in range(n):
        status, body = once(port, "POST", "/sales", sale_body(rng, list(SKUS)), cashier)
        assert status == 201, body


def test_sales_request_dispatch_receipt_both_sides_agree(hub, tmp_path):
    hub.start()
    token = hub.add_outlet_cli("KDMP-0001", kabupaten="Kabupaten Sleman")
    assert token.startswith("gso_")
    gerai(hub.env, "create-user", COORD, "--role", "coordinator", "--supplier", "BULOG", "--password", COORD_PASSWORD)

    instance = tmp_path / "shop"
    env = base_env(instance, GERAI_SECRET_KEY="shop-e2e-" + "k" * 24)
    sync_env = {**env, "GERAI_HUB_URL": hub.url, "GERAI_HUB_TOKEN": token, "GERAI_OUTLET": "KDMP-0001"}
    port = free_port()
    shop, manager, cashier = open_shop(env, port, tmp_path / "shop.log")
    db = Database(f"sqlite:///{instance / 'gerai.db'}")
    rng = random.Random(5)
    try:
        status, _ = once(port, "POST", "/stock/receipts", {"supplier": "BULOG", "reference": "SJ-1", "lines": [
            {"sku": sku, "qty": 100} for sku in SKUS]}, manager)
        assert status == 201
        sell(port, cashier, rng, 6)
        rid = "0b9e6f4e-7d1c-4a57-9a43-2f1d0c7e5a11"
        status, body = once(port, "POST", "/restock-requests", {"id": rid, "supplier": "BULOG", "lines": [
            {"sku": "BERAS", "qty": 50}, {"sku": "GULA", "qty": 20}], "note": "untuk bulan depan"}, manager)
        assert status == 201, body

        out = gerai(sync_env, "sync")
        assert "pushed" in out.stdout and "pulled 0 events" in out.stdout
        assert_agree(db, hub, "KDMP-0001")

        # the coordinator at the hub sees the request and dispatches part of it
        coord = login_hub(hub)
        status, listed = once(hub.port, "GET", "/restock-requests?status=submitted", None, coord)
        assert status == 200 and [r["id"] for r in listed] == [rid]
        assert listed[0]["outlet"] == "KDMP-0001" and listed[0]["kabupaten"] == "Kabupaten Sleman"
        status, body = once(hub.port, "POST", f"/restock-requests/{rid}/dispatch",
                            {"lines": [{"sku": "BERAS", "qty": 30}, {"sku": "GULA", "qty": 20}]}, coord)
        assert status == 200, body
        assert body["status"] == "dispatched"

        out = gerai(sync_env, "sync")
        assert "pulled 1 events (1 dispatch)" in out.stdout, out.stdout
        status, req = once(port, "GET", f"/restock-requests/{rid}", None, manager)
        assert req["status"] == "dispatched"
        assert {ln["sku"]: Decimal(str(ln["dispatched_qty"])) for ln in req["lines"]} == {"BERAS": 30, "GULA": 20}
        from suppliers import requests

        with db.read_session() as s:
            expected = requests.expected_deliveries(s)
        assert [(e["id"], {ln["sku"]: ln["qty"] for ln in e["lines"]}) for e in expected] == [
            (rid, {"BERAS": Decimal(30), "GULA": Decimal(20)})]

        # the goods arrive: received against the request
        status, body = once(port, "POST", "/stock/receipts", {"supplier": "BULOG", "reference": "SJ-BULOG-7",
                                                              "restock_request_id": rid, "lines": [
            {"sku": "BERAS", "qty": 30, "unit_cost": 12000}, {"sku": "GULA", "qty": 20, "unit_cost": 16000}]}, manager)
        assert status == 201, body
        sell(port, cashier, rng, 3)
        gerai(sync_env, "sync")
        figures = assert_agree(db, hub, "KDMP-0001")
        assert hub.facts("KDMP-0001")["requests"] == {rid: "partially_received"}
        status, seen = once(hub.port, "GET", f"/restock-requests/{rid}", None, coord)
        assert {ln["sku"]: Decimal(str(ln["received_qty"])) for ln in seen["lines"]} == {"BERAS": 30, "GULA": 20}
        assert figures["events"] > 30
        # a further sync changes nothing on either side
        before = hub.facts("KDMP-0001")
        assert "pushed 0 events" in gerai(sync_env, "sync").stdout
        assert hub.facts("KDMP-0001") == before
    finally:
        kill(shop)
        db.dispose()


def login_hub(hub: HubServer) -> str:
    status, body = once(hub.port, "POST", "/auth/token", {"username": COORD, "password": COORD_PASSWORD})
    assert status == 200, body
    return body["token"]


def test_the_background_loop_gets_there_without_gerai_sync(hub, tmp_path):
    hub.start()
    token = hub.add_outlet("KDMP-0002")
    hub.add_coordinator()
    instance = tmp_path / "shop"
    env = base_env(instance, GERAI_SECRET_KEY="shop-e2e-" + "k" * 24, GERAI_HUB_URL=hub.url, GERAI_HUB_TOKEN=token,
                   GERAI_OUTLET="KDMP-0002", GERAI_SYNC_INTERVAL="1")
    port = free_port()
    shop, manager, cashier = open_shop(env, port, tmp_path / "shop.log")
    db = Database(f"sqlite:///{instance / 'gerai.db'}")
    try:
        once(port, "POST", "/stock/receipts", {"supplier": "BULOG", "reference": "SJ-1", "lines": [
            {"sku": sku, "qty": 50} for sku in SKUS]}, manager)
        sell(port, cashier, random.Random(7), 4)
        rid = "5d1f1f0e-1111-4c2b-8e4e-9f0e2b9d7c22"
        assert once(port, "POST", "/restock-requests", {"id": rid, "supplier": "BULOG", "lines": [
            {"sku": "MINYAK", "qty": 12}]}, manager)[0] == 201
        wait_for(lambda: hub.facts("KDMP-0002")["requests"].get(rid) == "submitted")
        status, body = once(hub.port, "POST", f"/restock-requests/{rid}/dispatch",
                            {"lines": [{"sku": "MINYAK", "qty": 12}]}, login_hub(hub))
        assert status == 200, body
        wait_for(lambda: once(port, "GET", f"/restock-requests/{rid}", None, manager)[1]["status"] == "dispatched")
        # the shop's snapshot of the dispatched request goes back by itself
        wait_for(lambda: hub.accepted_through("KDMP-0002") == shop_facts(db)["pushed_through"]
                 == shop_facts(db)["events"][-1][0])
        assert_agree(db, hub, "KDMP-0002")
    finally:
        kill(shop)
        db.dispose()
    assert "Syncing with" in (tmp_path / "shop.log").read_text()
    assert token not in (tmp_path / "shop.log").read_text()


def wait_for(check, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    assert check(), "not reached in time"
