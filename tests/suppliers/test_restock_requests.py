"""Restock requests through the API: idempotent creation, lifecycle, history, and receipts against them."""
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

import factories as f
from inventory import stock
from inventory.models import StockLevel, StockMovement
from suppliers import requests
from signal_helpers import app_session, shop  # noqa: F401 (fixtures)


@pytest.fixture
def goods(app_session):
    f.supplier(app_session, "IDFOOD", name="ID FOOD")
    gula = f.product(app_session, sku="GULA", unit="pcs", supplier="BULOG")
    beras = f.product(app_session, sku="BERAS", unit="kg", supplier="BULOG")
    minyak = f.product(app_session, sku="MINYAK", supplier="IDFOOD")
    return gula, beras, minyak


def new_request(api, **kw):
    body = {"id": str(uuid.uuid4()), "supplier": "BULOG",
            "lines": [{"sku": "GULA", "qty": 12}, {"sku": "BERAS", "qty": "25.5"}], **kw}
    return body, api("manager").post("/restock-requests", json=body)


def receive(api, rid, lines, supplier="BULOG", reference="SJ-1"):
    return api("manager").post("/stock/receipts", json={"supplier": supplier, "reference": reference,
                                                         "restock_request_id": rid, "lines": lines})


def test_a_request_is_created_submitted_and_a_retry_is_recognised(api, goods):
    body, res = new_request(api, note="untuk minggu depan")
    assert res.status_code == 201, res.get_json()
    req = res.get_json()
    assert (req["id"], req["status"], req["auto"], req["supplier"]) == (body["id"], "submitted", False, "BULOG")
    assert [(ln["sku"], ln["qty"], ln["received_qty"]) for ln in req["lines"]] == [("GULA", "12.000", "0.000"),
                                                                                   ("BERAS", "25.500", "0.000")]
    assert [h["status"] for h in req["history"]] == ["submitted"]
    again = api("manager").post("/restock-requests", json=body)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    other = api("manager").post("/restock-requests", json={**body, "lines": [{"sku": "GULA", "qty": 13}]})
    assert other.status_code == 409
    assert len(api("manager").get("/restock-requests").get_json()) == 1


@pytest.mark.parametrize("change, field", [
    ({"supplier": "NOPE"}, "supplier"),
    ({"lines": [{"sku": "NOPE", "qty": 1}]}, "lines.0.sku"),
    ({"lines": [{"sku": "GULA", "qty": "1.5"}]}, "lines.0.qty"),
    ({"lines": [{"sku": "GULA", "qty": 0}]}, "lines.0.qty"),
    ({"lines": [{"sku": "GULA", "qty": 1}, {"sku": "GULA", "qty": 2}]}, "lines.1.sku"),
    ({"lines": [{"sku": "MINYAK", "qty": 1}]}, "lines.0.sku"),
])
def test_a_bad_request_is_refused_naming_the_field_and_nothing_is_stored(api, goods, change, field):
    _, res = new_request(api, **change)
    assert res.status_code in (404, 422), res.get_json()
    assert field in res.get_json()["errors"]["json"]
    assert api("manager").get("/restock-requests").get_json() == []


def test_only_managers_create_and_a_coordinator_sees_only_their_supplier(api, goods):
    assert new_request(api)[1].status_code == 201
    other = api("manager").post("/restock-requests", json={"id": str(uuid.uuid4()), "supplier": "IDFOOD",
                                                            "lines": [{"sku": "MINYAK", "qty": 5}]})
    assert other.status_code == 201
    assert api("cashier").post("/restock-requests", json={}).status_code == 403
    seen = api("coordinator").get("/restock-requests").get_json()  # the test coordinator works for BULOG
    assert [r["supplier"] for r in seen] == ["BULOG"]
    assert api("coordinator").get(f"/restock-requests/{other.get_json()['id']}").status_code == 404
    assert api("manager").get("/restock-requests?supplier=IDFOOD").get_json()[0]["supplier"] == "IDFOOD"


def test_cancel_records_the_reason_and_a_cancelled_request_cannot_be_cancelled_again(api, goods):
    body, _ = new_request(api)
    res = api("manager").post(f"/restock-requests/{body['id']}/cancel", json={"reason": "harga naik"})
    assert res.status_code == 200
    assert res.get_json()["status"] == "cancelled" and res.get_json()["cancel_reason"] == "harga naik"
    assert [h["status"] for h in res.get_json()["history"]] == ["submitted", "cancelled"]
    again = api("manager").post(f"/restock-requests/{body['id']}/cancel", json={"reason": "x"})
    assert again.status_code == 409 and again.get_json()["status"] == "restock_request_state"
    assert api("manager").post(f"/restock-requests/{uuid.uuid4()}/cancel", json={"reason": "x"}).status_code == 404


def test_a_short_delivery_leaves_the_request_partially_received_until_the_rest_comes(api, goods):
    body, _ = new_request(api)
    res = receive(api, body["id"], [{"sku": "GULA", "qty": 10, "unit_cost": 15000}])
    assert res.status_code == 201, res.get_json()
    req = api("manager").get(f"/restock-requests/{body['id']}").get_json()
    assert req["status"] == "partially_received"
    assert {ln["sku"]: (ln["received_qty"], ln["difference"]) for ln in req["lines"]} == {
        "GULA": ("10.000", "-2.000"), "BERAS": ("0.000", "-25.500")}
    assert req["history"][-1]["note"] == "SJ-1: GULA 10/12, BERAS 0/25.5"
    res = receive(api, body["id"], [{"sku": "GULA", "qty": 2}, {"sku": "BERAS", "qty": "25.5"}], reference="SJ-2")
    req = api("manager").get(f"/restock-requests/{body['id']}").get_json()
    assert req["status"] == "received"
    assert [h["status"] for h in req["history"]] == ["submitted", "partially_received", "received"]
    assert all(ln["difference"] == "0.000" for ln in req["lines"])


def test_an_over_delivery_and_an_unasked_product_are_recorded_as_differences(api, goods, app_session):
    f.product(app_session, sku="TEPUNG", supplier="BULOG")
    body, _ = new_request(api)
    res = receive(api, body["id"], [{"sku": "GULA", "qty": 15}, {"sku": "BERAS", "qty": 30}, {"sku": "TEPUNG", "qty": 4}])
    assert res.status_code == 201
    req = api("manager").get(f"/restock-requests/{body['id']}").get_json()
    assert req["status"] == "received"
    assert {ln["sku"]: (ln["qty"], ln["received_qty"], ln["difference"]) for ln in req["lines"]} == {
        "GULA": ("12.000", "15.000", "3.000"), "BERAS": ("25.500", "30.000", "4.500"),
        "TEPUNG": ("0.000", "4.000", "4.000")}


def test_a_receipt_against_a_closed_unknown_or_other_supplier_s_request_is_refused_whole(api, goods, app_session):
    body, _ = new_request(api)
    api("manager").post(f"/restock-requests/{body['id']}/cancel", json={"reason": "batal"})
    before = app_session.scalar(sa.select(sa.func.count()).select_from(StockMovement))
    app_session.rollback()  # let go of SQLite's write lock before the API writes
    res = receive(api, body["id"], [{"sku": "GULA", "qty": 12}])
    assert res.status_code == 409 and "restock_request_id" in res.get_json()["errors"]["json"]
    res = receive(api, str(uuid.uuid4()), [{"sku": "GULA", "qty": 12}])
    assert res.status_code == 422 and "restock_request_id" in res.get_json()["errors"]["json"]
    body2, _ = new_request(api)
    res = receive(api, body2["id"], [{"sku": "GULA", "qty": 12}], supplier="IDFOOD")
    assert res.status_code == 422 and "supplier" in res.get_json()["errors"]["json"]
    app_session.expire_all()
    assert app_session.scalar(sa.select(sa.func.count()).select_from(StockMovement)) == before
    assert app_session.get(StockLevel, goods[0].id).on_hand == 0


def test_dispatch_then_receipt_completes_the_lifecycle(shop):
    f.product(shop, sku="GULA")
    rid = str(uuid.uuid4())
    req, created = requests.create_request(shop, rid, "BULOG", [{"sku": "GULA", "qty": Decimal(12)}])
    assert created and req.status == "submitted"
    req = requests.dispatch_request(shop, rid, [{"sku": "GULA", "qty": Decimal(12)}])
    assert req.status == "dispatched" and req.lines[0].dispatched_qty == 12
    with pytest.raises(requests.WrongRequestState):
        requests.dispatch_request(shop, rid, [{"sku": "GULA", "qty": Decimal(12)}])
    stock.receive_goods(shop, None, "SJ-9", [{"sku": "GULA", "qty": Decimal(12), "unit_cost": 100}], restock_request_id=rid)
    shop.expire_all()
    req = requests.get_request(shop, rid)
    assert req.status == "received"
    assert [h.status for h in req.history] == ["submitted", "dispatched", "received"]
    assert req.history[-1].stock_document_id is not None


def test_a_draft_is_submitted_by_hand(shop):
    f.product(shop, sku="GULA")
    rid = str(uuid.uuid4())
    req, _ = requests.create_request(shop, rid, "BULOG", [{"sku": "GULA", "qty": Decimal(1)}], draft=True)
    assert req.status == "draft"
    assert requests.submit_request(shop, rid).status == "submitted"
