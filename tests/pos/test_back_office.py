"""Members and their purchases per year, LPG empties and the logbook, QRIS settings."""
import csv
import io
import uuid
from datetime import datetime, timezone

import cemacqr
import pytest

from pos_helpers import NIK_A, NIK_B
from pos_helpers import any_shop, api, open_shifts, shop  # noqa: F401 (fixtures)

STATIC_QRIS = (  # the fixture of tests/unit/test_qris.py: a bank's static QRIS, CRC computed by cemacqr
    "000201010211"
    "26640018ID.CO.BANKDESA.WWW011893600999000012345602090001234560303UMI"
    "51440014ID.CO.QRIS.WWW0215ID10251234567890303UMI"
    "5204541153033605802ID5923KOPDES MERAH PUTIH MAJU6010KAB. BOGOR610516610"
    "62070703A01"
    "6304796C"
)


@pytest.fixture
def office(shop, api):
    manager, cashier = api("manager"), api("cashier")
    assert cashier.post("/shifts", json={"opening_cash": 0}).status_code == 201
    return manager, cashier


def sell(client, lines, at=None, app=None, **extra):
    if at is not None:
        app.config["GERAI_CLOCK"] = lambda: at
    body = {"id": str(uuid.uuid4()), "lines": lines, "payments": [{"method": "cash", "amount": 10_000_000}], **extra}
    res = client.post("/sales", json=body)
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def rows_of(res):
    text = res.get_data(as_text=True)
    assert text.startswith("\ufeff") and res.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_member_register(office):
    manager, cashier = office
    member = {"member_no": "A-0042", "name": "Budi Santoso", "joined_on": "2024-07-01", "phone": "0812"}
    res = manager.post("/members", json=member)
    assert res.status_code == 201 and res.get_json()["joined_on"] == "2024-07-01"
    assert manager.post("/members", json=member).status_code == 409
    assert cashier.post("/members", json={**member, "member_no": "A-1"}).status_code == 403
    assert cashier.get("/members?q=budi").get_json()[0]["member_no"] == "A-0042"
    assert manager.patch("/members/A-0042", json={"name": "Budi S."}).get_json()["name"] == "Budi S."
    assert cashier.get("/members/A-9999").status_code == 404
    new = manager.post("/members", json={"member_no": "B-1", "name": "Sri"}).get_json()
    assert new["joined_on"] and new["active"] is True


def test_member_purchases_per_local_year_less_refunds_and_as_csv(office, app):
    manager, cashier = office
    manager.post("/members", json={"member_no": "A-0042", "name": "Budi"})
    manager.post("/members", json={"member_no": "A-0043", "name": "Wati"})
    # 31 Dec 2025 23:30 WIB is 16:30 UTC: still 2025 in the shop; 1 Jan 2026 00:30 WIB is 17:30 UTC on 31 Dec
    last_year = sell(cashier, [{"sku": "GULA-1KG", "qty": 1}], datetime(2025, 12, 31, 16, 30, tzinfo=timezone.utc),
                     app, member_no="A-0042")
    first = sell(cashier, [{"sku": "GULA-1KG", "qty": 2}], datetime(2025, 12, 31, 17, 30, tzinfo=timezone.utc), app,
                 member_no="A-0042")
    sell(cashier, [{"sku": "GULA-1KG", "qty": 1}], datetime(2026, 5, 2, 3, 0, tzinfo=timezone.utc), app,
         member_no="A-0042")
    sell(cashier, [{"sku": "GULA-1KG", "qty": 1}], datetime(2026, 5, 2, 3, 0, tzinfo=timezone.utc), app)
    manager.post(f"/sales/{first['id']}/refunds",
                 json={"id": str(uuid.uuid4()), "reason": "salah beli", "lines": [{"sku": "GULA-1KG", "qty": 1}]})
    res = manager.get("/members/A-0042/purchases?year=2026")
    assert res.status_code == 200
    out = res.get_json()
    assert out["totals"] == {"member_no": "A-0042", "name": "Budi", "sales_count": 2, "total": 54000,
                             "refunded": 18000, "net": 36000}
    assert [s["number"] for s in out["sales"]] == [2, 3] and last_year["number"] == 1
    assert manager.get("/members/A-0042/purchases?year=2025").get_json()["totals"]["total"] == 18000
    report = rows_of(manager.get("/members/purchases?year=2026&format=csv"))
    assert report == [["year", "member_no", "name", "sales_count", "purchases", "refunded", "net_purchases"],
                      ["2026", "A-0042", "Budi", "2", "54000", "18000", "36000"],
                      ["2026", "A-0043", "Wati", "0", "0", "0", "0"]]
    detail = rows_of(manager.get("/members/A-0042/purchases?year=2026&format=csv"))
    assert detail[1][:5] == ["A-0042", "Budi", "2026-01-01", "00:30", "2"]
    assert cashier.get("/members/purchases?year=2026").status_code == 403


def test_a_sale_to_an_unknown_member_is_refused(office):
    _, cashier = office
    res = cashier.post("/sales", json={"id": str(uuid.uuid4()), "lines": [{"sku": "GULA-1KG", "qty": 1}],
                                       "payments": [{"method": "cash", "amount": 18000}], "member_no": "NOPE"})
    assert res.status_code == 422 and "member_no" in res.get_json()["errors"]["json"]


def stock_row(client, sku):
    return next(r for r in client.get("/stock").get_json() if r["sku"] == sku)


def test_lpg_refills_take_empties_back_and_the_agent_takes_them_away(office):
    manager, cashier = office
    lpg = {"buyer_nik": NIK_A, "buyer_category": "rumah_tangga"}
    sale = sell(cashier, [{"sku": "LPG-3", "qty": 2}], **lpg)
    assert sale["lines"][0]["empties_returned"] == "2.000"
    sell(cashier, [{"sku": "LPG-3", "qty": 1, "empties_returned": 0}], buyer_nik=NIK_B, buyer_category="nelayan")
    row = stock_row(manager, "LPG-3")
    assert (row["on_hand"], row["empty_cylinders"]) == ("47.000", "2.000")
    assert stock_row(manager, "GULA-1KG")["empty_cylinders"] is None
    res = manager.post("/stock/receipts", json={"supplier": "AGEN-LPG", "reference": "SJ-LPG-9",
                                                "lines": [{"sku": "LPG-3", "qty": 10, "unit_cost": 15500}],
                                                "empties_returned": [{"sku": "LPG-3", "qty": 2}]})
    assert res.status_code == 201 and res.get_json()["empties_returned"] == [{"sku": "LPG-3", "qty": "2.000"}]
    row = stock_row(manager, "LPG-3")
    assert (row["on_hand"], row["empty_cylinders"]) == ("57.000", "0.000")
    too_many = manager.post("/lpg/empties/returns", json={"lines": [{"sku": "LPG-3", "qty": 1}]})
    assert (too_many.status_code, too_many.get_json()["status"]) == (409, "insufficient_empties")
    counted = manager.post("/lpg/empties/counts", json={"lines": [{"sku": "LPG-3", "counted": 5}], "note": "opname"})
    assert counted.status_code == 201 and counted.get_json() == [{"sku": "LPG-3", "name": "LPG 3 kg", "full": "57.000",
                                                                  "empty": "5.000"}]
    assert manager.post("/lpg/empties/returns", json={"lines": [{"sku": "GULA-1KG", "qty": 1}]}).status_code == 422


def test_only_lpg_refills_take_empties(office):
    _, cashier = office
    res = cashier.post("/sales", json={"id": str(uuid.uuid4()), "lines": [{"sku": "GULA-1KG", "qty": 1,
                                                                          "empties_returned": 1}],
                                       "payments": [{"method": "cash", "amount": 18000}]})
    assert res.status_code == 422 and "lines.0.empties_returned" in res.get_json()["errors"]["json"]


def test_lpg_logbook_csv_masks_the_nik(office, app):
    manager, cashier = office
    at = datetime(2026, 4, 1, 2, 0, tzinfo=timezone.utc)
    sale = sell(cashier, [{"sku": "LPG-3", "qty": 1}, {"sku": "GULA-1KG", "qty": 1}], at, app, buyer_nik=NIK_A,
                buyer_category="usaha_mikro")
    sell(cashier, [{"sku": "LPG-3", "qty": 1}], datetime(2026, 4, 3, 2, 0, tzinfo=timezone.utc), app, buyer_nik=NIK_B,
         buyer_category="petani")
    app.config["GERAI_CLOCK"] = lambda: datetime(2026, 4, 1, 3, 0, tzinfo=timezone.utc)
    manager.post(f"/sales/{sale['id']}/refunds", json={"id": str(uuid.uuid4()), "reason": "bocor",
                                                        "lines": [{"sku": "LPG-3", "qty": 1}]})
    res = manager.get("/lpg/logbook?from=2026-04-01&to=2026-04-02")
    rows = rows_of(res)
    assert rows[0] == ["date", "time", "receipt_no", "sku", "product", "nik", "buyer_category", "cylinders",
                       "unit_price", "amount", "empties_returned"]
    assert rows[1] == ["2026-04-01", "09:00", "000001", "LPG-3", "LPG 3 kg", "************0001", "usaha_mikro", "1",
                       "18000", "18000", "1"]
    assert rows[2][2] == "R00001" and rows[2][7] == "-1" and len(rows) == 3
    assert NIK_A not in res.get_data(as_text=True)
    as_json = manager.get("/lpg/logbook?from=2026-04-01&to=2026-04-30&format=json").get_json()
    assert [(r["receipt"], r["nik"]) for r in as_json] == [("000001", "************0001"), ("R00001", "************0001"),
                                                            ("000002", "************0002")]
    assert manager.get("/lpg/logbook?from=2026-04-02&to=2026-04-01").status_code == 422
    assert cashier.get("/lpg/logbook?from=2026-04-01&to=2026-04-02").status_code == 403


@pytest.mark.parametrize("days", ["from=0001-01-01&to=0001-01-01", "from=2026-01-01&to=9999-12-31"])
def test_logbook_days_out_of_range_are_422_naming_the_field_not_a_server_error(issued_api, days):
    """The shop's local day 0001-01-01 (UTC+7) starts before year 1 in UTC: it overflowed (500; the fuzzer's find)."""
    res = issued_api("manager").get(f"/lpg/logbook?{days}")
    assert res.status_code == 422
    assert set(res.get_json()["errors"]["query"]) <= {"from", "to"}


def test_qris_settings_and_a_dynamic_qris_for_the_amount(office):
    manager, cashier = office
    assert cashier.get("/qris/dynamic?amount=36000").get_json()["status"] == "qris_not_configured"
    bad = manager.put("/settings/qris", json={"payload": STATIC_QRIS[:-4] + "0000"})
    assert (bad.status_code, bad.get_json()["status"]) == (422, "invalid_qris")
    assert "checksum" in bad.get_json()["message"]
    ok = manager.put("/settings/qris", json={"payload": STATIC_QRIS})
    assert ok.get_json() == {"configured": True, "payload": STATIC_QRIS, "merchant_name": "KOPDES MERAH PUTIH MAJU"}
    assert cashier.put("/settings/qris", json={"payload": None}).status_code == 403
    res = cashier.get("/qris/dynamic?amount=36000")
    assert res.status_code == 200 and res.get_json()["amount"] == 36000
    qr = cemacqr.parse_payload(res.get_json()["payload"])  # an independent EMVCo reader checks it
    assert qr.crc_ok and cemacqr.validate(qr, cemacqr.EMVCO).ok
    assert (qr.amount, qr.point_of_initiation, qr.is_static) == ("36000", "12", False)
    assert qr.merchant_name == "KOPDES MERAH PUTIH MAJU"
    assert cashier.get("/qris/dynamic?amount=0").status_code == 422
    assert manager.put("/settings/qris", json={"payload": None}).get_json()["configured"] is False
