"""Recording a sale through the service, on a real SQLite database."""
from decimal import Decimal

import pytest
import sqlalchemy as sa

from gerai.errors import Invalid
from inventory.catalog import ProductNotFound
from inventory.ledger import ledger_differences
from inventory.rules import InsufficientStock, PriceAboveHet
from pos import sales
from pos.models import Sale, SaleLine, SalePayment, Shift
from pos_helpers import sale_in, sell, snapshot
from pos_helpers import any_shop, api, open_shifts, shop  # noqa: F401 (fixtures)


def on_hand(db, sku):
    with db.session() as s:
        return s.execute(sa.text("SELECT l.on_hand FROM stock_levels l JOIN products p ON p.id = l.product_id "
                                 "WHERE p.sku = :sku"), {"sku": sku}).scalar() / Decimal(1000)


def test_a_sale_takes_stock_writes_its_lines_and_payments_and_gives_change(open_shifts):
    shop = open_shifts
    out = sell(shop.db, shop.cashier, sale_in([(shop.gula, 2), (shop.beras, "2.345")], [("cash", 100000)]))
    doc = out.sale
    assert out.created and doc.number == 1
    # 2 x 18.000 + 2,345 kg x 13.000 = 36.000 + 30.485
    assert [ln.amount for ln in doc.lines] == [36000, 30485]
    assert (doc.total, doc.paid, doc.change) == (66485, 100000, 33515)
    assert on_hand(shop.db, shop.gula) == 48 and on_hand(shop.db, shop.beras) == Decimal("47.655")
    with shop.db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(SaleLine)) == 2
        assert s.execute(sa.select(SalePayment.method, SalePayment.amount)).all() == [("cash", 100000)]
        moves = s.execute(sa.text("SELECT kind, qty, source_type, source_id FROM stock_movements "
                                  "WHERE kind = 'sale' ORDER BY id")).all()
        assert moves == [("sale", -2000, "sale", doc.id), ("sale", -2345, "sale", doc.id)]
        assert s.scalar(sa.select(Sale.at)).tzinfo is not None
        shift = s.scalar(sa.select(Shift).where(Shift.cashier_id == shop.cashier))
        assert (shift.sales_count, shift.sales_total, shift.cash_in) == (1, 66485, 66485)
        assert ledger_differences(s) == []


def test_split_payment_cash_takes_the_change(open_shifts):
    shop = open_shifts
    doc = sell(shop.db, shop.cashier, sale_in([(shop.gula, 3)], [("qris", 40000), ("cash", 20000)])).sale
    assert (doc.total, doc.paid, doc.change) == (54000, 60000, 6000)
    with shop.db.session() as s:
        assert s.scalar(sa.select(Shift.cash_in).where(Shift.cashier_id == shop.cashier)) == 14000


@pytest.mark.parametrize("payments, reason, field", [
    ([("cash", 10000)], "underpaid", "payments"),
    ([], "underpaid", "payments"),
    ([("qris", 20000)], "invalid", "payments"),  # only cash can exceed the total
    ([("transfer", 10000), ("qris", 10000)], "invalid", "payments"),
])
def test_payments_that_do_not_settle_the_total_are_refused_and_change_nothing(open_shifts, payments, reason, field):
    shop = open_shifts
    before = snapshot(shop.db)
    with pytest.raises(Invalid) as err:
        sell(shop.db, shop.cashier, sale_in([(shop.gula, 1)], payments))
    assert (err.value.reason, err.value.field) == (reason, field)
    assert snapshot(shop.db) == before


def test_whole_units_cannot_be_sold_in_fractions(open_shifts):
    shop = open_shifts
    with pytest.raises(Invalid) as err:
        sell(shop.db, shop.cashier, sale_in([(shop.beras, 1), (shop.gula, "1.5")]))
    assert err.value.field == "lines.1.qty"


def test_unknown_product_names_the_line(open_shifts):
    shop = open_shifts
    with pytest.raises(ProductNotFound) as err:
        sell(shop.db, shop.cashier, sale_in([(shop.gula, 1), ("NO-SUCH", 1)]))
    assert err.value.field == "lines.1.sku"


def test_short_stock_is_refused_naming_the_line_and_changes_nothing(open_shifts):
    shop = open_shifts
    before = snapshot(shop.db)
    with pytest.raises(InsufficientStock) as err:
        sell(shop.db, shop.cashier, sale_in([(shop.gula, 1), (shop.beras, 51)]))
    assert err.value.field == "lines.1.qty" and err.value.status == 409
    assert snapshot(shop.db) == before


def test_a_sale_needs_an_open_shift(shop):
    before = snapshot(shop.db)
    with pytest.raises(sales.NoOpenShift) as err:
        sell(shop.db, shop.cashier, sale_in([(shop.gula, 1)]))
    assert err.value.status == 409 and err.value.reason == "no_open_shift"
    assert snapshot(shop.db) == before


def test_a_lower_price_needs_a_manager_and_is_recorded_beside_the_catalog_price(open_shifts):
    shop = open_shifts
    with pytest.raises(sales.DiscountNotAllowed) as err:
        sell(shop.db, shop.cashier, sale_in([(shop.gula, 1, 17000)]))
    assert err.value.status == 403 and err.value.field == "lines.0.unit_price"
    doc = sell(shop.db, shop.cashier, sale_in([(shop.gula, 2, 17000)]), approver=shop.manager).sale
    assert (doc.lines[0].unit_price, doc.lines[0].catalog_price, doc.total) == (17000, 18000, 34000)
    with shop.db.session() as s:
        assert s.scalar(sa.select(Sale.discount_by)) == shop.manager


def test_a_price_is_never_above_the_catalog_nor_the_het(open_shifts):
    shop = open_shifts
    with pytest.raises(Invalid) as err:
        sell(shop.db, shop.cashier, sale_in([(shop.gula, 1, 19000)]), approver=shop.manager)
    assert err.value.field == "lines.0.unit_price"
    with pytest.raises(PriceAboveHet) as err:
        sell(shop.db, shop.cashier, sale_in([(shop.beras, 1, 14000)]), approver=shop.manager)
    assert err.value.status == 409 and err.value.reason == "price_above_het"


def test_receipt_numbers_stay_gapless_when_sales_are_refused(open_shifts):
    shop = open_shifts
    numbers = [sell(shop.db, shop.cashier, sale_in([(shop.gula, 1)])).sale.number]
    for bad in ([(shop.gula, 1000)], [("NO-SUCH", 1)], [(shop.gula, "0.5")]):
        with pytest.raises(Exception):
            sell(shop.db, shop.cashier, sale_in(bad))
    numbers.append(sell(shop.db, shop.cashier, sale_in([(shop.gula, 1)])).sale.number)
    assert numbers == [1, 2]


def test_amounts_round_half_up_to_the_rupiah():
    assert sales.amount_of(13000, Decimal("0.0005")) == 7  # 6.5 -> 7
    assert sales.amount_of(13000, Decimal("1.234")) == 16042
    assert sales.amount_of(0, Decimal(5)) == 0


def test_each_line_points_at_its_own_ledger_movement(open_shifts):
    """The movement ids come back in line order (on SQLite, the rowids of one executemany)."""
    shop = open_shifts
    sell(shop.db, shop.cashier, sale_in([(shop.gula, 1)]))
    doc = sell(shop.db, shop.cashier, sale_in([(shop.beras, "0.25"), (shop.gula, 3), (shop.beras, 2)])).sale
    with shop.db.session() as s:
        rows = s.execute(sa.text("SELECT l.line_no, l.product_id, l.qty, m.product_id, m.qty, m.balance_after "
                                 "FROM sale_lines l JOIN stock_movements m ON m.id = l.movement_id "
                                 "WHERE l.sale_id = :s ORDER BY l.line_no"), {"s": doc.id}).all()
        last = s.execute(sa.text("SELECT product_id, last_movement_id FROM stock_levels")).all()
    assert [(r[1] == r[3], -r[2] == r[4]) for r in rows] == [(True, True)] * 3
    assert [r[5] for r in rows] == [49750, 46000, 47750]  # running balances: beras 50-0.25, gula 49-3, beras -2
    beras_id = rows[0][1]
    with shop.db.session() as s:  # the level points at the product's newest movement
        newest = s.execute(sa.text("SELECT max(id) FROM stock_movements WHERE product_id = :p"), {"p": beras_id}).scalar()
    assert dict(last)[beras_id] == newest


def test_sales_and_refunds_reach_the_daily_sales_history_at_their_selling_price(open_shifts):
    from pos.refunds import RefundIn, refund_fingerprint, refund_sale
    from pos_helpers import KEY

    shop = open_shifts
    doc = sell(shop.db, shop.cashier, sale_in([(shop.beras, "2.5", 12000)]), approver=shop.manager).sale
    body = RefundIn("5b0f0c39-1e84-4d8a-9a27-5a7a0c3e0d11", "basah", ((shop.beras, Decimal("0.5")),))
    with shop.db.session() as s:
        refund_sale(s, doc.id, body, shop.manager, fingerprint=refund_fingerprint(doc.id, body, KEY))
    with shop.db.session() as s:
        qty, lines, amount = s.execute(sa.text("SELECT sum(qty), sum(lines), sum(amount) FROM daily_sales d "
                                               "JOIN products p ON p.id = d.product_id WHERE p.sku = :s"),
                                       {"s": shop.beras}).one()
    assert (qty, lines, amount) == (2000, 1, 30000 - 6000)  # 2.5 kg x Rp12.000 sold, 0.5 kg back
