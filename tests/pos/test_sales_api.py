"""The Sales part of API.md through the Flask client: status codes, error shapes, masking."""
import json
import uuid

import pytest

from escpos_tokens import commands, text_lines
from pos_helpers import NIK_A
from pos_helpers import any_shop, api, open_shifts, shop  # noqa: F401 (fixtures)


@pytest.fixture
def till(shop, api):
    """A shop whose cashier has opened a shift through the API; returns the cashier's client."""
    cashier = api("cashier")
    assert cashier.post("/shifts", json={"opening_cash": 100000}).status_code == 201
    return cashier


def body(lines, payments=None, **extra):
    return {"id": str(uuid.uuid4()), "lines": lines, "payments": payments or [{"method": "cash", "amount": 5000000}],
            **extra}


def test_post_sale_201_then_retry_200_then_other_body_409(till):
    sale = body([{"sku": "GULA-1KG", "qty": 2}, {"sku": "BERAS-KG", "qty": 1.25}], [{"method": "cash", "amount": 60000}])
    res = till.post("/sales", json=sale)
    assert res.status_code == 201, res.get_json()
    out = res.get_json()
    assert (out["number"], out["total"], out["paid"], out["change"]) == (1, 52250, 60000, 7750)
    assert out["lines"][1] == {"line_no": 2, "sku": "BERAS-KG", "name": "Beras medium curah", "unit": "kg",
                               "qty": "1.250", "unit_price": 13000, "catalog_price": 13000, "amount": 16250,
                               "empties_returned": None, "refunded_qty": "0.000"}
    assert out["cashier"] == "t-kasir" and isinstance(out["shift_id"], int) and out["at"].endswith("+00:00")
    assert out["printed"] is False and "GERAI_PRINTER" in out["print_error"]
    again = till.post("/sales", json=sale)
    assert again.status_code == 200 and again.get_json()["number"] == 1
    other = till.post("/sales", json={**sale, "lines": [{"sku": "GULA-1KG", "qty": 1}]})
    assert other.status_code == 409 and other.get_json()["status"] == "sale_id_reused"
    got = till.get(f"/sales/{sale['id']}")
    assert got.status_code == 200 and got.get_json()["total"] == 52250


def test_bad_fields_are_each_named_by_path(till):
    res = till.post("/sales", json={"id": "nope", "lines": [{"sku": "GULA-1KG", "qty": 1}, {"sku": "GULA-1KG"},
                                                            {"sku": "", "qty": "1.2345"}, {"sku": "X", "qty": 1.5e0,
                                                                                           "colour": "red"}],
                                    "payments": [{"method": "bitcoin", "amount": 0}], "buyer_category": "raja"})
    assert res.status_code == 422
    errors = res.get_json()["errors"]["json"]
    assert set(errors) == {"id", "lines.1.qty", "lines.2.sku", "lines.2.qty", "lines.3.colour", "payments.0.method",
                           "payments.0.amount", "buyer_category"}


def test_a_float_quantity_is_read_exactly(till):
    res = till.post("/sales", data='{"id": "%s", "lines": [{"sku": "BERAS-KG", "qty": 0.1}], '
                                   '"payments": [{"method": "cash", "amount": 1300}]}' % uuid.uuid4(),
                    headers={"Content-Type": "application/json"})
    assert res.status_code == 201 and res.get_json()["total"] == 1300


def test_not_json_is_refused(till):
    assert till.post("/sales", data="lines=1").status_code == 415
    assert till.post("/sales", data="{not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert till.post("/sales", json=[1, 2]).status_code == 422


@pytest.mark.parametrize("lines, extra, status, reason", [
    ([{"sku": "GULA-1KG", "qty": 60}], {}, 409, "insufficient_stock"),
    ([{"sku": "LPG-3", "qty": 1}], {}, 422, "nik_required"),
    ([{"sku": "LPG-3", "qty": 1}], {"buyer_nik": "1111"}, 422, "invalid_nik"),
    ([{"sku": "LPG-3", "qty": 1}], {"buyer_nik": NIK_A}, 422, "buyer_category_required"),
    ([{"sku": "LPG-3", "qty": 3}], {"buyer_nik": NIK_A, "buyer_category": "petani"}, 409, "quota_exceeded"),
    ([{"sku": "UREA-SUB", "qty": 1}], {"buyer_nik": NIK_A}, 422, "subsidy_reference_required"),
    ([{"sku": "BERAS-KG", "qty": 1, "unit_price": 13600}], {}, 409, "price_above_het"),
    ([{"sku": "GULA-1KG", "qty": 1, "unit_price": 100}], {}, 403, "discount_needs_manager"),
])
def test_refusals_carry_their_reason(till, lines, extra, status, reason):
    res = till.post("/sales", json=body(lines, **extra))
    assert (res.status_code, res.get_json()["status"]) == (status, reason), res.get_json()
    assert res.get_json()["message"]


def test_underpaid_and_no_open_shift(shop, api):
    manager = api("manager")
    res = manager.post("/sales", json=body([{"sku": "GULA-1KG", "qty": 1}]))
    assert (res.status_code, res.get_json()["status"]) == (409, "no_open_shift")
    manager.post("/shifts", json={"opening_cash": 0})
    res = manager.post("/sales", json=body([{"sku": "GULA-1KG", "qty": 1}], [{"method": "cash", "amount": 1000}]))
    assert (res.status_code, res.get_json()["status"]) == (422, "underpaid")
    assert res.get_json()["message"] == "Dibayar Rp1.000 padahal totalnya Rp18.000: kurang Rp17.000."  # Indonesian first
    english = manager.post("/sales", json=body([{"sku": "GULA-1KG", "qty": 1}], [{"method": "cash", "amount": 1000}]),
                           headers={"Accept-Language": "en"})
    assert english.get_json()["message"] == "Paid Rp1.000 but the total is Rp18.000: Rp17.000 short."


def test_a_manager_token_in_the_body_approves_a_cashiers_discount(till, api):
    manager_token = api("manager").token
    res = till.post("/sales", json=body([{"sku": "GULA-1KG", "qty": 1, "unit_price": 15000}],
                                        manager_token=manager_token))
    assert res.status_code == 201 and res.get_json()["total"] == 15000
    cashier_token = till.token
    res = till.post("/sales", json=body([{"sku": "GULA-1KG", "qty": 1, "unit_price": 15000}],
                                        manager_token=cashier_token))
    assert res.status_code == 403


def test_the_nik_is_masked_in_every_answer_and_receipt(till):
    sale = body([{"sku": "LPG-3", "qty": 1}], buyer_nik=NIK_A, buyer_category="rumah_tangga")
    created = till.post("/sales", json=sale)
    answers = [created, till.post("/sales", json=sale), till.get(f"/sales/{sale['id']}"),
               till.get(f"/sales/{sale['id']}/receipt?format=text"),
               till.get(f"/sales/{sale['id']}/receipt?format=escpos&paper=80")]
    assert created.get_json()["buyer_nik"] == "************0001"
    for res in answers:
        assert res.status_code in (200, 201)
        assert NIK_A.encode() not in res.data and NIK_A[:12].encode() not in res.data
    assert "NIK: ************0001" in answers[3].get_data(as_text=True)


def test_receipt_as_text_and_as_escpos(till):
    sale = body([{"sku": "GULA-1KG", "qty": 2}], [{"method": "cash", "amount": 50000}])
    till.post("/sales", json=sale)
    text = till.get(f"/sales/{sale['id']}/receipt?format=text&paper=58")
    assert text.status_code == 200 and text.mimetype == "text/plain"
    lines = text.get_data(as_text=True).splitlines()
    assert max(len(ln) for ln in lines) <= 32 and "Kembali" in text.get_data(as_text=True)
    raw = till.get(f"/sales/{sale['id']}/receipt?format=escpos&paper=80")
    assert raw.mimetype == "application/octet-stream"
    assert [ln.strip() for ln in text_lines(raw.data)][:1] == ["GERAI KOPERASI MERAH PUTIH"]
    assert commands(raw.data)[-1] == "ESC p"  # a cash sale opens the drawer
    assert till.get(f"/sales/{uuid.uuid4()}/receipt").status_code == 404


def test_refund_api_is_for_managers_and_refuses_more_than_sold(till, api):
    sale = body([{"sku": "GULA-1KG", "qty": 2}])
    till.post("/sales", json=sale)
    ref = {"id": str(uuid.uuid4()), "reason": "kemasan sobek", "lines": [{"sku": "GULA-1KG", "qty": 1}]}
    assert till.post(f"/sales/{sale['id']}/refunds", json=ref).status_code == 403
    manager = api("manager")
    res = manager.post(f"/sales/{sale['id']}/refunds", json=ref)
    assert res.status_code == 201 and res.get_json()["total"] == 18000
    assert manager.post(f"/sales/{sale['id']}/refunds", json=ref).status_code == 200
    res = manager.post(f"/sales/{sale['id']}/refunds", json={**ref, "id": str(uuid.uuid4()), "lines": [
        {"sku": "GULA-1KG", "qty": 2}]})
    assert (res.status_code, res.get_json()["status"]) == (409, "refund_exceeds_sale")
    assert manager.post(f"/sales/{sale['id']}/refunds", json={**ref, "reason": ""}).status_code == 422
    after = till.get(f"/sales/{sale['id']}").get_json()
    assert after["refunded_total"] == 18000 and after["lines"][0]["refunded_qty"] == "1.000"


def test_shift_endpoints(till, api):
    assert till.post("/shifts", json={"opening_cash": 5}).status_code == 409
    current = till.get("/shifts/current")
    assert current.status_code == 200 and current.get_json()["opening_cash"] == 100000
    sid = current.get_json()["id"]
    till.post("/sales", json=body([{"sku": "GULA-1KG", "qty": 1}], [{"method": "cash", "amount": 20000}]))
    assert api("admin").get("/shifts/current").status_code == 404
    z = till.post(f"/shifts/{sid}/close", json={"counted_cash": 118000})
    assert z.status_code == 200
    assert {k: z.get_json()[k] for k in ("expected_cash", "counted_cash", "difference", "sales_count")} == \
        {"expected_cash": 118000, "counted_cash": 118000, "difference": 0, "sales_count": 1}
    assert z.get_json()["totals_by_method"] == {"cash": 18000, "qris": 0, "transfer": 0}
    assert till.post(f"/shifts/{sid}/close", json={"counted_cash": 1}).status_code == 409
    report = till.get(f"/shifts/{sid}/report?format=text")
    assert "LAPORAN TUTUP SHIFT (Z)" in report.get_data(as_text=True)
    assert till.post(f"/shifts/{sid}/print").get_json()["printed"] is False
    assert api("monitor").get("/shifts/current").status_code == 403


def test_the_clock_can_be_frozen_for_date_rules(till, app):
    from datetime import datetime, timezone

    app.config["GERAI_CLOCK"] = lambda: datetime(2026, 3, 10, 16, 30, tzinfo=timezone.utc)
    res = till.post("/sales", json=body([{"sku": "GULA-1KG", "qty": 1}]))
    assert res.get_json()["at"] == "2026-03-10T16:30:00+00:00"


def test_openapi_documents_the_sale_body_and_answer(client):
    spec = json.loads(client.get("/api/v1/openapi.json").data)
    post = spec["paths"]["/api/v1/sales"]["post"]
    assert set(post["responses"]) >= {"200", "201", "409", "422"}
    assert "requestBody" in post
    assert "SaleIn" in spec["components"]["schemas"] and "Sale" in spec["components"]["schemas"]


def test_a_sale_behind_a_held_write_lock_is_503_busy_and_records_nothing(till, app, db):
    """The till retries with the same sale id: a busy database must say so, not fail with a 500."""
    import sqlite3

    import factories as f
    from conftest import db_path, short_busy_timeout

    short_busy_timeout(app)
    before = f.db_digest(db, f.DIGEST_TABLES + ("sales", "sale_lines", "shifts"))
    holder = sqlite3.connect(db_path(app), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        sale = body([{"sku": "GULA-1KG", "qty": 1}])
        res = till.post("/sales", json=sale, headers={"Accept-Language": "en"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert res.status_code == 503 and res.headers["Retry-After"] == "1"
    assert res.get_json() == {"code": 503, "status": "busy", "message": "The shop's database is busy; try again."}
    assert f.db_digest(db, f.DIGEST_TABLES + ("sales", "sale_lines", "shifts")) == before
    assert till.post("/sales", json=sale).status_code == 201  # the retry goes through
