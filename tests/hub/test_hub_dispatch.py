"""Restock requests on the hub: coordinators see and dispatch only their supplier's; the shop pulls the dispatch;
catalog and HET changes on the hub go to every shop's feed."""
from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa

from conftest import TEST_USERS
from hub_helpers import add_user, bearer, count, digest, pull, push, register, request_snapshot
from suppliers.hub.models import HubDispatch, HubRequest, HubRequestLine


def _setup(hub):
    db, client = hub.extensions["gerai_db"], hub.test_client()
    token_a = register(db, "A1", kabupaten="Kabupaten Sleman", provinsi="DI Yogyakarta")
    token_b = register(db, "B1", kabupaten="Kabupaten Bantul", provinsi="DI Yogyakarta")
    bulog, idfood = str(uuid.uuid4()), str(uuid.uuid4())
    assert push(client, token_a, "A1", [request_snapshot(1, bulog, lines=(("BRS-5", "20.000"), ("GLA-1", "10.000")))]
                ).status_code == 200
    assert push(client, token_b, "B1", [request_snapshot(1, idfood, supplier="IDFOOD")]).status_code == 200
    add_user(hub, "koord-idfood", "coordinator", supplier="IDFOOD")
    return db, client, token_a, token_b, bulog, idfood


def test_a_coordinator_sees_only_its_suppliers_requests(hub):
    db, client, _ta, _tb, bulog, idfood = _setup(hub)
    koord = bearer(hub, TEST_USERS["coordinator"])
    res = client.get("/api/v1/restock-requests", headers=koord)
    assert res.status_code == 200
    assert [r["id"] for r in res.get_json()] == [bulog]
    assert res.get_json()[0]["outlet"] == "A1" and len(res.get_json()[0]["lines"]) == 2
    assert client.get("/api/v1/restock-requests?supplier=IDFOOD", headers=koord).get_json() == []
    assert client.get(f"/api/v1/restock-requests/{idfood}", headers=koord).status_code == 404
    assert client.get(f"/api/v1/restock-requests/{bulog}", headers=koord).status_code == 200
    other = bearer(hub, "koord-idfood")
    assert [r["id"] for r in client.get("/api/v1/restock-requests", headers=other).get_json()] == [idfood]
    admin = client.get("/api/v1/restock-requests?page_size=1", headers=bearer(hub, TEST_USERS["admin"]))
    assert len(admin.get_json()) == 1 and '"total": 2' in admin.headers["X-Pagination"]
    monitor = bearer(hub, TEST_USERS["monitor"])  # area Kabupaten Sleman
    assert [r["id"] for r in client.get("/api/v1/restock-requests", headers=monitor).get_json()] == [bulog]
    assert client.get("/api/v1/restock-requests?status=nope", headers=koord).status_code == 422


def test_dispatch_in_parts_reaches_the_shop_through_the_feed(hub):
    db, client, token_a, token_b, bulog, _idfood = _setup(hub)
    koord = bearer(hub, TEST_USERS["coordinator"])
    res = client.post(f"/api/v1/restock-requests/{bulog}/dispatch", headers=koord,
                      json={"lines": [{"sku": "BRS-5", "qty": "15"}], "eta": "2026-11-25T08:00:00+07:00"})
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["status"] == "dispatched"
    assert {ln["sku"]: ln["dispatched_qty"] for ln in body["lines"]} == {"BRS-5": "15.000", "GLA-1": "0.000"}
    res = client.post(f"/api/v1/restock-requests/{bulog}/dispatch", headers=koord,
                      json={"lines": [{"sku": "BRS-5", "qty": "5"}, {"sku": "GLA-1", "qty": "10"}]})
    assert res.status_code == 200, res.get_json()
    assert len(res.get_json()["dispatches"]) == 2
    feed_a = pull(client, token_a).get_json()["events"]
    assert [e["type"] for e in feed_a] == ["dispatch", "dispatch"]
    first = feed_a[0]["data"]
    assert first["request_id"] == bulog and first["supplier"] == "BULOG" and first["eta"].startswith("2026-11-25T01:00")
    assert first["lines"][0]["sku"] == "BRS-5" and first["lines"][0]["qty"] == "15.000"
    assert pull(client, token_b).get_json()["events"] == []  # nothing of A's for B
    with db.read_session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(HubDispatch)) == 2
        lines = {ln.sku: ln.dispatched_qty for ln in s.scalars(sa.select(HubRequestLine).where(
            HubRequestLine.request_id == bulog))}
        assert lines == {"BRS-5": Decimal("20.000"), "GLA-1": Decimal("10.000")}
    # the shop's later snapshot (it received 20) never lowers what the hub dispatched
    assert push(client, token_a, "A1", [request_snapshot(2, bulog, "partially_received", received="20.000",
                                                         lines=(("BRS-5", "20.000"), ("GLA-1", "10.000")))]
                ).status_code == 200
    with db.read_session() as s:
        assert s.get(HubRequest, bulog).status == "partially_received"
        assert s.scalar(sa.select(HubRequestLine.dispatched_qty).where(HubRequestLine.sku == "GLA-1")) == Decimal("10.000")


def test_dispatch_refusals_change_nothing(hub):
    db, client, _ta, _tb, bulog, idfood = _setup(hub)
    koord = bearer(hub, TEST_USERS["coordinator"])
    before = digest(db)
    cases = [
        (bulog, {"lines": [{"sku": "BRS-5", "qty": "20.001"}]}, 409, "lines.0.qty"),
        (bulog, {"lines": [{"sku": "BRS-5", "qty": "0"}]}, 422, "lines.0.qty"),
        (bulog, {"lines": [{"sku": "BRS-5", "qty": "-1"}]}, 422, "lines.0.qty"),
        (bulog, {"lines": [{"sku": "GLA-1", "qty": "1.5"}]}, 422, "lines.0.qty"),  # GLA-1 comes in pcs
        (bulog, {"lines": [{"sku": "NOPE", "qty": "1"}]}, 422, "lines.0.sku"),
        (bulog, {"lines": [{"sku": "BRS-5", "qty": "1"}, {"sku": "BRS-5", "qty": "1"}]}, 422, "lines.1.sku"),
        (bulog, {"lines": []}, 422, "lines"),
        (bulog, {"lines": [{"sku": "BRS-5", "qty": "1"}], "eta": "tomorrow"}, 422, "eta"),
        (idfood, {"lines": [{"sku": "BRS-5", "qty": "1"}]}, 404, None),  # another supplier's
        (str(uuid.uuid4()), {"lines": [{"sku": "BRS-5", "qty": "1"}]}, 404, None),
    ]
    for rid, body, status, field in cases:
        res = client.post(f"/api/v1/restock-requests/{rid}/dispatch", headers=koord, json=body)
        assert res.status_code == status, (body, res.get_json())
        if field:
            assert field in res.get_json()["errors"]["json"], res.get_json()
    for role in ("monitor", "manager", "admin", "cashier"):
        res = client.post(f"/api/v1/restock-requests/{bulog}/dispatch", headers=bearer(hub, TEST_USERS[role]),
                          json={"lines": [{"sku": "BRS-5", "qty": "1"}]})
        assert res.status_code == 403, role
    assert digest(db) == before


def test_a_cancelled_request_cannot_be_dispatched(hub):
    db, client, token_a, _tb, bulog, _idfood = _setup(hub)
    assert push(client, token_a, "A1", [request_snapshot(2, bulog, "cancelled")]).status_code == 200
    res = client.post(f"/api/v1/restock-requests/{bulog}/dispatch", headers=bearer(hub, TEST_USERS["coordinator"]),
                      json={"lines": [{"sku": "BRS-5", "qty": "1"}]})
    assert res.status_code == 409
    assert count(db, "hub_dispatches") == 0


def test_catalog_and_het_changes_on_the_hub_go_to_every_shop(hub):
    db, client = hub.extensions["gerai_db"], hub.test_client()
    token = register(db, "A1")
    manager = bearer(hub, TEST_USERS["manager"])
    assert client.post("/api/v1/suppliers", headers=manager, json={"code": "BULOG", "name": "Bulog",
                                                                   "lead_time_days": 3}).status_code == 201
    res = client.post("/api/v1/products", headers=manager, json={
        "sku": "BRS-5", "name": "Beras 5 kg", "category": "sembako", "unit": "kg", "price": 12000, "het": 13000,
        "supplier": "BULOG", "barcodes": ["8991234567891"]})
    assert res.status_code == 201, res.get_json()
    assert client.patch("/api/v1/products/BRS-5", headers=manager, json={"het": 13500}).status_code == 200
    assert client.patch("/api/v1/products/BRS-5", headers=manager, json={"price": 11000}).status_code == 200
    events = pull(client, token).get_json()["events"]
    assert [e["type"] for e in events] == ["product", "het", "product", "het"]
    assert events[0]["data"]["barcodes"] == ["8991234567891"] and events[0]["data"]["supplier"] == "BULOG"
    assert [e["data"]["het"] for e in events if e["type"] == "het"] == [13000, 13500]
    assert events[1]["data"]["zone"] is None and len(events[1]["data"]["effective_from"]) == 10
