"""Refunds (a new document returning stock) and shifts (open, sell, close -> Z report)."""
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from gerai.errors import Forbidden, Invalid
from inventory.ledger import ledger_differences
from pos import refunds, shifts
from pos.models import QuotaRecord
from pos_helpers import KEY, NIK_A, sale_in, sell, snapshot
from pos_helpers import any_shop, api, open_shifts, shop  # noqa: F401 (fixtures)


def refund(db, user, sale_id, lines, reason="rusak", method="cash", refund_id=None):
    body = refunds.RefundIn(refund_id or str(uuid.uuid4()), reason, tuple((sku, Decimal(str(q))) for sku, q in lines),
                            method)
    with db.session() as s:
        return refunds.refund_sale(s, sale_id, body, user, fingerprint=refunds.refund_fingerprint(sale_id, body, KEY))


def level(db, sku):
    with db.session() as s:
        return s.execute(sa.text("SELECT on_hand FROM stock_levels l JOIN products p ON p.id = l.product_id "
                                 "WHERE sku = :s"), {"s": sku}).scalar()


def test_a_refund_returns_stock_with_refund_movements_and_the_money_of_the_line(open_shifts):
    shop = open_shifts
    sale = sell(shop.db, shop.cashier, sale_in([(shop.gula, 3), (shop.beras, "1.5")])).sale
    doc, created = refund(shop.db, shop.manager, sale.id, [(shop.beras, "0.5"), (shop.gula, 1)])
    assert created and doc.number == 1 and doc.sale_number == sale.number
    assert [(ln.sku, ln.qty, ln.amount) for ln in doc.lines] == [(shop.beras, Decimal("0.5"), 6500),
                                                                  (shop.gula, Decimal(1), 18000)]
    assert doc.total == 24500
    assert level(shop.db, shop.gula) == 48000 and level(shop.db, shop.beras) == 49000
    with shop.db.session() as s:
        kinds = s.execute(sa.text("SELECT kind, qty FROM stock_movements WHERE source_type = 'refund' ORDER BY id")).all()
        assert kinds == [("refund", 500), ("refund", 1000)]
        assert ledger_differences(s) == []


def test_never_more_than_was_sold_counting_earlier_refunds(open_shifts):
    shop = open_shifts
    sale = sell(shop.db, shop.cashier, sale_in([(shop.gula, 2)])).sale
    refund(shop.db, shop.manager, sale.id, [(shop.gula, 1)])
    before = snapshot(shop.db)
    with pytest.raises(refunds.RefundExceedsSale) as err:
        refund(shop.db, shop.manager, sale.id, [(shop.gula, 2)])
    assert err.value.status == 409 and err.value.field == "lines.0.qty"
    assert "Only 1 pcs of Gula pasir 1 kg can still be refunded" in err.value.message
    assert snapshot(shop.db) == before


def test_refunding_a_line_in_parts_gives_back_exactly_its_amount(open_shifts):
    shop = open_shifts
    sale = sell(shop.db, shop.cashier, sale_in([(shop.beras, "1.001")])).sale  # 13.013
    parts = [refund(shop.db, shop.manager, sale.id, [(shop.beras, q)])[0].total for q in ("0.333", "0.333", "0.335")]
    assert sum(parts) == sale.total == 13013


@pytest.mark.parametrize("lines, reason, error", [
    ([("GULA-1KG", 1)], "  ", Invalid),
    ([("BERAS-KG", 1)], "rusak", Invalid),  # not on this sale
    ([("GULA-1KG", "0.5")], "rusak", Invalid),  # whole units
])
def test_refusals_change_nothing(open_shifts, lines, reason, error):
    shop = open_shifts
    sale = sell(shop.db, shop.cashier, sale_in([(shop.gula, 2)])).sale
    before = snapshot(shop.db)
    with pytest.raises(error):
        refund(shop.db, shop.manager, sale.id, lines, reason=reason)
    assert snapshot(shop.db) == before


def test_a_refund_retry_answers_the_stored_refund(open_shifts):
    shop = open_shifts
    sale = sell(shop.db, shop.cashier, sale_in([(shop.gula, 2)])).sale
    rid = str(uuid.uuid4())
    first, created = refund(shop.db, shop.manager, sale.id, [(shop.gula, 1)], refund_id=rid)
    again, created_again = refund(shop.db, shop.manager, sale.id, [(shop.gula, 1)], refund_id=rid)
    assert created and not created_again and again.number == first.number
    with pytest.raises(refunds.RefundIdReused):
        refund(shop.db, shop.manager, sale.id, [(shop.gula, 2)], refund_id=rid)
    assert level(shop.db, shop.gula) == 49000


def test_a_refund_gives_the_buyers_quota_back(open_shifts):
    shop = open_shifts
    lpg = dict(buyer_nik=NIK_A, buyer_category="nelayan")
    sale = sell(shop.db, shop.cashier, sale_in([(shop.lpg, 2)], **lpg)).sale
    refund(shop.db, shop.manager, sale.id, [(shop.lpg, 1)], reason="bocor")
    with shop.db.session() as s:
        assert s.scalar(sa.select(sa.func.sum(QuotaRecord.qty))) == 1
    sell(shop.db, shop.cashier, sale_in([(shop.lpg, 1)], **lpg))  # one left again


def test_open_sell_close_gives_the_z_report(open_shifts):
    shop = open_shifts
    sell(shop.db, shop.cashier, sale_in([(shop.gula, 2)], [("cash", 50000)]))  # 36.000, change 14.000
    sell(shop.db, shop.cashier, sale_in([(shop.gula, 1)], [("qris", 18000)]))
    sale = sell(shop.db, shop.cashier, sale_in([(shop.gula, 1)], [("transfer", 10000), ("cash", 8000)])).sale
    refund(shop.db, shop.manager, sale.id, [(shop.gula, 1)])  # the manager's own shift takes the cash out
    with shop.db.session() as s:
        sid = shifts.current_shift(s, shop.cashier).id
    with shop.db.session() as s:
        z = shifts.close_shift(s, sid, shop.cashier, 140000)
    assert (z.sales_count, z.sales_total, z.refunds_count) == (3, 72000, 0)
    assert z.totals_by_method == {"cash": 44000, "qris": 18000, "transfer": 10000}
    assert (z.expected_cash, z.counted_cash, z.difference) == (144000, 140000, -4000)
    with shop.db.session() as s:
        mgr = shifts.current_shift(s, shop.manager)
    assert (mgr.refunds_count, mgr.refunds_total, mgr.expected_cash) == (1, 18000, -18000)


def test_one_open_shift_per_cashier_and_closing_twice_is_refused(open_shifts):
    shop = open_shifts
    with shop.db.session() as s, pytest.raises(shifts.ShiftAlreadyOpen):
        shifts.open_shift(s, shop.cashier, 0)
    with shop.db.session() as s:
        sid = shifts.current_shift(s, shop.cashier).id
    with shop.db.session() as s, pytest.raises(Forbidden):
        shifts.close_shift(s, sid, shop.manager + 1000, 0)
    with shop.db.session() as s:
        shifts.close_shift(s, sid, shop.manager, 100000, may_close_any=True)
    with shop.db.session() as s, pytest.raises(shifts.ShiftClosed):
        shifts.close_shift(s, sid, shop.cashier, 100000)
    with shop.db.session() as s, pytest.raises(shifts.NoShiftOpen):
        shifts.current_shift(s, shop.cashier)
    with shop.db.session() as s:
        assert shifts.open_shift(s, shop.cashier, 5000).opening_cash == 5000


def test_no_sale_slips_into_a_closed_shift(open_shifts):
    shop = open_shifts
    with shop.db.session() as s:
        sid = shifts.current_shift(s, shop.cashier).id
    with shop.db.session() as s:
        shifts.close_shift(s, sid, shop.cashier, 100000)
    with pytest.raises(Exception) as err:
        sell(shop.db, shop.cashier, sale_in([(shop.gula, 1)]))
    assert getattr(err.value, "reason", None) == "no_open_shift"
