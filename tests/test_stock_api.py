"""The stock API as API.md writes it: receipts, counts, write-offs, the stock list and the ledger."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

import factories as f


@pytest.fixture
def manager(issued_api, session):
    f.product(session, "BRS-5", name="Beras medium", unit="kg", price=13000, reorder={"min": Decimal(5), "max": Decimal(50)})
    f.product(session, "LPG-3", name="LPG 3 kg", unit="tabung", category="lpg", price=18000)
    f.product(session, "PUPUK", name="Urea", unit="sak", category="pupuk", price=90000)
    return issued_api("manager")


def stock(api, query: str = "") -> dict[str, dict]:
    res = api.get("/stock" + query)
    assert res.status_code == 200, res.get_json()
    return {row["sku"]: row for row in res.get_json()}


def aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() is not None, text
    return moment


def test_a_receipt_answers_with_its_lines_and_movements(manager):
    request_id = str(uuid.uuid4())
    lines = [{"sku": "BRS-5", "qty": "25.5"}, {"sku": "LPG-3", "qty": 10}]
    assert manager.post("/restock-requests", json={"id": request_id, "supplier": "BULOG", "lines": lines}).status_code == 201
    res = manager.post("/stock/receipts", json={"supplier": "BULOG", "reference": "SJ-0042", "restock_request_id": request_id,
                                                "lines": [{"sku": "BRS-5", "qty": "25.5", "unit_cost": 11800},
                                                          {"sku": "LPG-3", "qty": 10, "unit_cost": 16000}]})
    assert res.status_code == 201, res.get_json()
    doc = res.get_json()
    assert (doc["kind"], doc["supplier"], doc["reference"], doc["restock_request_id"]) == ("receipt", "BULOG", "SJ-0042",
                                                                                           request_id)
    assert [(ln["sku"], ln["qty"], ln["unit_cost"]) for ln in doc["lines"]] == [("BRS-5", "25.500", 11800),
                                                                                ("LPG-3", "10.000", 16000)]
    moves = doc["movements"]
    assert [(m["kind"], m["qty"], m["balance_after"], m["user"]) for m in moves] == [
        ("receipt", "25.500", "25.500", "t-manajer"), ("receipt", "10.000", "10.000", "t-manajer")]
    assert [ln["movement_id"] for ln in doc["lines"]] == [m["id"] for m in moves]
    assert all(m["reference"] == "SJ-0042" for m in moves)
    aware(doc["at"])
    rows = stock(manager)
    assert (rows["BRS-5"]["on_hand"], rows["BRS-5"]["avg_cost"], rows["LPG-3"]["on_hand"]) == ("25.500", 11800, "10.000")


def test_receipts_keep_a_moving_average_cost(manager):
    manager.post("/stock/receipts", json={"lines": [{"sku": "LPG-3", "qty": 10, "unit_cost": 16000}]})
    manager.post("/stock/receipts", json={"lines": [{"sku": "LPG-3", "qty": 30, "unit_cost": 17000}]})
    assert stock(manager)["LPG-3"]["avg_cost"] == 16750  # (10 x 16000 + 30 x 17000) / 40
    manager.post("/stock/receipts", json={"lines": [{"sku": "LPG-3", "qty": 5}]})  # no cost given: unchanged
    assert stock(manager)["LPG-3"]["avg_cost"] == 16750


def test_a_count_adjusts_only_what_differs(manager):
    manager.post("/stock/receipts", json={"lines": [{"sku": "BRS-5", "qty": "20"}, {"sku": "LPG-3", "qty": "8"}]})
    res = manager.post("/stock/counts", json={"note": "opname akhir bulan", "lines": [
        {"sku": "BRS-5", "counted": "18.750"}, {"sku": "LPG-3", "counted": 8}, {"sku": "PUPUK", "counted": 3}]})
    assert res.status_code == 201, res.get_json()
    doc = res.get_json()
    assert doc["kind"] == "count" and doc["note"] == "opname akhir bulan"
    assert [(ln["sku"], ln["expected"], ln["qty"], ln["movement_id"] is not None) for ln in doc["lines"]] == [
        ("BRS-5", "20.000", "18.750", True), ("LPG-3", "8.000", "8.000", False), ("PUPUK", "0.000", "3.000", True)]
    assert [(m["kind"], m["qty"], m["balance_after"]) for m in doc["movements"]] == [
        ("adjustment", "-1.250", "18.750"), ("adjustment", "3.000", "3.000")]
    assert "opname akhir bulan" in doc["movements"][0]["reference"]
    rows = stock(manager)
    assert [rows[s]["on_hand"] for s in ("BRS-5", "LPG-3", "PUPUK")] == ["18.750", "8.000", "3.000"]


def test_a_count_against_the_sheets_book_keeps_what_went_out_since(manager, db):
    """The shop sells while people count: the sheet said 20, 3 went out since, 18 were counted at the
    sheet's time: the adjustment is 18 - 20 = -2 on today's 17, not 18 - 17 = +1."""
    manager.post("/stock/receipts", json={"lines": [{"sku": "BRS-5", "qty": "20"}, {"sku": "LPG-3", "qty": 8}]})
    sheet = stock(manager)  # printed / opened: the book quantities
    assert manager.post("/stock/write-offs", json={"reason": "damaged", "lines": [{"sku": "BRS-5", "qty": "3"}]}
                        ).status_code == 201
    res = manager.post("/stock/counts", json={"lines": [
        {"sku": "BRS-5", "counted": "18", "book": sheet["BRS-5"]["on_hand"]},
        {"sku": "LPG-3", "counted": 7}]})  # no book: replaces today's level
    assert res.status_code == 201, res.get_json()
    doc = res.get_json()
    assert [(ln["sku"], ln["expected"], ln["qty"]) for ln in doc["lines"]] == [("BRS-5", "20.000", "18.000"),
                                                                               ("LPG-3", "8.000", "7.000")]
    assert [(m["qty"], m["balance_after"]) for m in doc["movements"]] == [("-2.000", "15.000"), ("-1.000", "7.000")]
    assert (stock(manager)["BRS-5"]["on_hand"], stock(manager)["LPG-3"]["on_hand"]) == ("15.000", "7.000")
    f.assert_ledger_sound(db)


def test_a_count_that_would_leave_less_than_nothing_or_too_much_is_refused(manager, db):
    manager.post("/stock/receipts", json={"lines": [{"sku": "LPG-3", "qty": 10}]})
    manager.post("/stock/write-offs", json={"reason": "lost", "lines": [{"sku": "LPG-3", "qty": 6}]})
    before = f.db_digest(db)
    en = {"Accept-Language": "en"}
    res = manager.post("/stock/counts", json={"lines": [{"sku": "PUPUK", "counted": 0},
                                                        {"sku": "LPG-3", "counted": 2, "book": 10}]}, headers=en)
    assert res.status_code == 409 and res.get_json()["status"] == "count_below_zero"
    assert res.get_json()["message"] == ("The sheet showed 10 tabung of LPG 3 kg and 2 were counted, but since then stock "
                                         "went down to 4: the count would leave -4. Count it again.")
    assert list(res.get_json()["errors"]["json"]) == ["lines.1.counted"]
    res = manager.post("/stock/counts", json={"lines": [{"sku": "LPG-3", "counted": 5, "book": "9.5"}]}, headers=en)
    assert res.status_code == 422 and list(res.get_json()["errors"]["json"]) == ["lines.0.book"]
    res = manager.post("/stock/counts", json={"lines": [{"sku": "LPG-3", "counted": "99999999999", "book": 0}]},
                       headers=en)
    assert res.status_code == 422 and res.get_json()["status"] == "stock_too_large"
    assert list(res.get_json()["errors"]["json"]) == ["lines.0.counted"]
    assert f.db_digest(db) == before


def test_the_api_documents_the_count_sheets_book(manager, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/stock/counts"]["post"]
    assert "sales made since the sheet are kept" in post["description"]
    line = spec["components"]["schemas"]["CountLine"]["properties"]["book"]
    assert "counted - book" in line["description"]


def test_a_write_off_takes_stock_away_with_its_reason(manager, db):
    manager.post("/stock/receipts", json={"lines": [{"sku": "BRS-5", "qty": "10"}]})
    res = manager.post("/stock/write-offs", json={"reason": "expired", "note": "kutu beras",
                                                  "lines": [{"sku": "BRS-5", "qty": "2.5"}]})
    assert res.status_code == 201, res.get_json()
    doc = res.get_json()
    assert (doc["kind"], doc["reason"], doc["note"]) == ("write_off", "expired", "kutu beras")
    assert [(m["kind"], m["qty"], m["balance_after"]) for m in doc["movements"]] == [("write_off", "-2.500", "7.500")]
    assert stock(manager)["BRS-5"]["on_hand"] == "7.500"
    f.assert_ledger_sound(db)


def test_writing_off_more_than_is_on_hand_is_409_and_says_what_is_there(manager):
    manager.post("/stock/receipts", json={"lines": [{"sku": "LPG-3", "qty": 2}]})
    res = manager.post("/stock/write-offs", json={"reason": "lost", "lines": [{"sku": "LPG-3", "qty": 3}]},
                       headers={"Accept-Language": "en"})
    assert res.status_code == 409
    body = res.get_json()
    assert body["status"] == "insufficient_stock"
    assert body["message"] == "Not enough stock of LPG 3 kg: 2 tabung on hand, 3 wanted."
    assert body["errors"] == {"json": {"lines.0.qty": [body["message"]]}}


def test_a_receipt_may_not_push_stock_past_the_largest_quantity_and_names_the_line(manager, db):
    """QTY_MAX is the largest quantity the API accepts: past it the stock could never be counted or written off."""
    top = "99999999999.999"
    assert manager.post("/stock/receipts", json={"lines": [{"sku": "BRS-5", "qty": "99999999999"}]}).status_code == 201
    before = f.db_digest(db)
    res = manager.post("/stock/receipts", json={"lines": [{"sku": "LPG-3", "qty": 1}, {"sku": "BRS-5", "qty": "0.999"},
                                                          {"sku": "BRS-5", "qty": "0.001"}]},
                       headers={"Accept-Language": "en"})
    assert res.status_code == 422, res.get_json()
    body = res.get_json()
    assert body["status"] == "stock_too_large"
    assert body["message"] == ("Beras medium would have 100.000.000.000 kg on hand, more than the largest quantity "
                               "the shop can record (99.999.999.999,999).")
    assert body["errors"] == {"json": {"lines.2.qty": [body["message"]]}}  # the line that crosses it
    assert f.db_digest(db) == before
    res = manager.post("/stock/receipts", json={"lines": [{"sku": "BRS-5", "qty": "0.999"}]})
    assert res.status_code == 201 and res.get_json()["movements"][0]["balance_after"] == top  # up to it is fine
    assert manager.post("/stock/write-offs", json={"reason": "lost", "lines": [{"sku": "BRS-5", "qty": top}]}
                        ).status_code == 201


def test_the_stock_list_shows_status_and_filters(manager, session):
    manager.post("/stock/receipts", json={"lines": [{"sku": "BRS-5", "qty": "4"}, {"sku": "LPG-3", "qty": 9}]})
    f.product(session, "OLD", active=False)
    rows = stock(manager)
    assert set(rows) == {"BRS-5", "LPG-3", "PUPUK"}
    assert {s: r["status"] for s, r in rows.items()} == {"BRS-5": "low", "LPG-3": "ok", "PUPUK": "out"}
    assert rows["BRS-5"]["reorder_point"] == "5.000" and rows["BRS-5"]["unit"] == "kg"
    assert set(stock(manager, "?status=out")) == {"PUPUK"}
    assert set(stock(manager, "?category=lpg")) == {"LPG-3"}
    assert set(stock(manager, "?category=lpg&status=out")) == set()


def test_the_stock_list_keeps_the_schemas_field_order(manager):
    """JSON keys come as the schema declares them, unsorted (sorting 2,000 rows' keys cost a third of encoding)."""
    from inventory.schemas import StockRowSchema

    res = manager.get("/stock")
    first = json.loads(res.get_data(), object_pairs_hook=lambda pairs: [key for key, _ in pairs])[0]
    assert first == list(StockRowSchema().fields)


def test_the_ledger_of_a_product_newest_first_with_filters_and_paging(manager):
    for qty in ("5", "3", "2"):
        manager.post("/stock/receipts", json={"lines": [{"sku": "BRS-5", "qty": qty}]})
    manager.post("/stock/write-offs", json={"reason": "damaged", "lines": [{"sku": "BRS-5", "qty": "1"}]})
    manager.post("/stock/receipts", json={"lines": [{"sku": "LPG-3", "qty": 1}]})
    res = manager.get("/stock/BRS-5/movements")
    assert res.status_code == 200
    rows = res.get_json()
    assert [(r["kind"], r["qty"], r["balance_after"]) for r in rows] == [
        ("write_off", "-1.000", "9.000"), ("receipt", "2.000", "10.000"), ("receipt", "3.000", "8.000"),
        ("receipt", "5.000", "5.000")]
    assert json.loads(res.headers["X-Pagination"])["total"] == 4
    assert [r["qty"] for r in manager.get("/stock/BRS-5/movements?kind=receipt&page=2&page_size=2").get_json()] == [
        "5.000"]
    first_at = aware(rows[-1]["at"])
    later = (first_at + timedelta(microseconds=1)).isoformat()
    assert len(manager.get("/stock/BRS-5/movements", query_string={"since": later}).get_json()) == 3
    assert len(manager.get("/stock/BRS-5/movements", query_string={"until": later}).get_json()) == 1
    future = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    assert manager.get("/stock/BRS-5/movements", query_string={"since": future}).get_json() == []


def test_the_ledgers_total_comes_from_the_level_unless_filtered(manager, db):
    """At 9 million movements counting a best seller's rows was the page's cost: the level keeps the number."""
    from sqlalchemy import event

    manager.post("/stock/receipts", json={"lines": [{"sku": "BRS-5", "qty": "5"}, {"sku": "BRS-5", "qty": "2"},
                                                    {"sku": "LPG-3", "qty": 4}]})  # one product on two lines
    manager.post("/stock/counts", json={"lines": [{"sku": "BRS-5", "counted": "6"}, {"sku": "PUPUK", "counted": 0}]})
    manager.post("/stock/write-offs", json={"reason": "lost", "lines": [{"sku": "BRS-5", "qty": "1"}]})
    f.assert_ledger_sound(db)  # movement_count == the number of movements, for every product
    assert f.movement_counts_by_sql(db)[1] == (4, 4)
    counted = []

    def record(_conn, _cursor, statement, *_):
        if "count(" in statement:
            counted.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    app_engine = manager.client.application.extensions["gerai_db"].engine
    event.listen(app_engine, "before_cursor_execute", record)
    try:
        res = manager.get("/stock/BRS-5/movements?page_size=2")
        assert json.loads(res.headers["X-Pagination"])["total"] == 4 and len(res.get_json()) == 2
        assert counted == []
        res = manager.get("/stock/BRS-5/movements?kind=receipt")
        assert json.loads(res.headers["X-Pagination"])["total"] == 2 and len(counted) == 1
    finally:
        event.remove(app_engine, "before_cursor_execute", record)
        event.remove(db.engine, "before_cursor_execute", record)
    assert json.loads(manager.get("/stock/PUPUK/movements").headers["X-Pagination"])["total"] == 0
    assert manager.get("/stock/NOPE/movements").status_code == 404
