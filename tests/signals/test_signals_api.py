"""GET /stock with status, cover and reorder point; GET /stock/slow-movers with reasons in Indonesian."""
from datetime import datetime, timedelta

import factories as f
from signal_helpers import JAKARTA, history, stock_in
from signal_helpers import app_session  # noqa: F401 (fixtures)


def today():
    return datetime.now(JAKARTA).date()


def test_stock_rows_carry_status_cover_and_reorder_point(api, app_session):
    low, slow = f.product(app_session, sku="LOW"), f.product(app_session, sku="SLOW")
    history(app_session, low, [10] * 56, end=today(), opening=575)
    history(app_session, slow, [9] * 46 + [0] * 10, end=today(), opening=9 * 46 + 200, lines=3)
    rows = {r["sku"]: r for r in api("cashier").get("/stock").get_json()}
    assert (rows["LOW"]["status"], rows["LOW"]["reorder_point"], rows["LOW"]["days_of_cover"]) == ("low", "30.000", "1.5")
    assert rows["SLOW"]["status"] == "slow"
    assert [r["sku"] for r in api("cashier").get("/stock?status=slow").get_json()] == ["SLOW"]


def test_slow_movers_say_why_in_indonesian_and_english(api, app_session):
    p = f.product(app_session, sku="KOPI")
    history(app_session, p, [9] * 46 + [0] * 10, end=today(), opening=9 * 46 + 200, lines=3)
    dead = f.product(app_session, sku="PUPUK")
    stock_in(app_session, dead, 4, today() - timedelta(days=80), cost=100000)
    app_session.commit()
    res = api("manager").get("/stock/slow-movers")
    assert res.status_code == 200
    rows = {r["sku"]: r for r in res.get_json()}
    assert rows["KOPI"]["reason"] == "Biasanya terjual 9/hari; 11 hari tidak terjual"
    assert rows["KOPI"]["expected_daily_sales"] == "9.000" and rows["KOPI"]["days_since_sale"] == 11
    assert rows["KOPI"]["stall_probability"] == 0.0 and rows["KOPI"]["money_tied_up"] == 200 * 8000
    assert rows["PUPUK"]["status"] == "dead" and rows["PUPUK"]["money_tied_up"] == 400000
    assert [r["sku"] for r in res.get_json()] == ["KOPI", "PUPUK"]  # the most money tied up first
    en = api("manager").get("/stock/slow-movers", headers={"Accept-Language": "en"}).get_json()
    assert en[0]["reason"] == "Usually sells 9/day; no sale for 11 days"


def test_slow_movers_as_of_a_past_day_and_bad_dates(api, app_session):
    p = f.product(app_session, sku="KOPI")
    history(app_session, p, [9] * 46 + [0] * 10, end=today(), opening=9 * 46 + 200, lines=3)
    past = (today() - timedelta(days=12)).isoformat()
    assert api("manager").get(f"/stock/slow-movers?as_of={past}").get_json() == []  # it still sold then
    res = api("manager").get("/stock/slow-movers?as_of=kemarin")
    assert res.status_code == 422 and "as_of" in res.get_json()["errors"]["query"]
    assert api("cashier").get("/stock/slow-movers").status_code == 403


def test_suggestions_endpoint_lists_what_to_order_with_reason(api, app_session):
    p = f.product(app_session, sku="GULA")
    history(app_session, p, [10] * 56, end=today(), opening=575)
    res = api("manager").get("/restock/suggestions")
    assert res.status_code == 200
    [row] = res.get_json()
    assert {k: row[k] for k in ("sku", "supplier", "on_hand", "reorder_point", "order_up_to", "suggested_qty")} == {
        "sku": "GULA", "supplier": "BULOG", "on_hand": "15.000", "reorder_point": "30.000", "order_up_to": "100.000",
        "suggested_qty": "85.000"}
    assert row["reason"].startswith("15 pcs di gudang")


def test_the_stock_list_s_fast_shape_is_the_schema_s_shape(app_session):
    from inventory.queries import stock_rows
    from inventory.schemas import StockRowSchema, stock_row_json

    sold = f.product(app_session, sku="SOLD")
    f.product(app_session, sku="FRESH", unit="kg")
    history(app_session, sold, [3] * 20, end=today())
    from inventory import signals

    rows = stock_rows(app_session)
    assert {r.sku for r in rows} == {"SOLD", "FRESH"}
    fast = [stock_row_json(s) for s in signals.compute(app_session, reasons=False)]  # what GET /stock sends
    assert fast == StockRowSchema(many=True).dump(rows)
