"""Retries and races between tills, on SQLite (the shop) and PostgreSQL (a hub or a big shop).

Each till is a thread with its own session; a barrier releases them together so that both
transactions are in flight at once.
"""
import threading
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from inventory.ledger import ledger_differences
from inventory.rules import InsufficientStock
from pos import sales
from pos.regulated import QuotaExceeded
from pos_helpers import NIK_A, new_cashier, sale_in, sell, snapshot
from pos.shifts import open_shift
from pos_helpers import any_shop, api, open_shifts, shop  # noqa: F401 (fixtures)


def together(*calls):
    """Run the calls in threads released at the same moment; (results, errors) in call order."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as err:  # noqa: BLE001 (the test inspects it)
            errors[i] = err

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def second_till(shop, name="t-kasir-2"):
    uid = new_cashier(shop.db, name)
    with shop.db.session() as s:
        open_shift(s, uid, 0)
    return uid


def count(db, table):
    with db.session() as s:
        return s.scalar(sa.text(f"SELECT count(*) FROM {table}"))


def test_a_retry_with_the_same_body_answers_the_stored_sale_and_changes_nothing(any_shop):
    shop = any_shop
    sale = sale_in([(shop.gula, 2)], [("cash", 50000)])
    first = sell(shop.db, shop.cashier, sale)
    before = snapshot(shop.db)
    again = sell(shop.db, shop.cashier, sale)
    assert first.created and not again.created
    assert (again.sale.number, again.sale.total, again.sale.change) == (first.sale.number, 36000, 14000)
    assert snapshot(shop.db) == before


def test_the_same_id_with_another_body_is_refused(any_shop):
    shop = any_shop
    sale = sale_in([(shop.gula, 2)])
    sell(shop.db, shop.cashier, sale)
    before = snapshot(shop.db)
    with pytest.raises(sales.SaleIdReused) as err:
        sell(shop.db, shop.cashier, sale_in([(shop.gula, 3)], sale_id=sale.id))
    assert err.value.status == 409 and err.value.field == "id"
    assert snapshot(shop.db) == before


def test_a_retry_after_the_stock_ran_out_still_answers_the_stored_sale(any_shop):
    shop = any_shop
    sale = sale_in([(shop.gula, 50)])  # all of it
    sell(shop.db, shop.cashier, sale)
    assert not sell(shop.db, shop.cashier, sale).created


def test_two_concurrent_retries_of_one_sale_make_one_sale(any_shop):
    shop = any_shop
    sale = sale_in([(shop.gula, 1), (shop.beras, "0.5")])
    results, errors = together(lambda: sell(shop.db, shop.cashier, sale), lambda: sell(shop.db, shop.cashier, sale))
    assert errors == [None, None]
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].sale.number == results[1].sale.number
    assert count(shop.db, "sales") == 1 and count(shop.db, "sale_lines") == 2
    assert count(shop.db, "stock_movements WHERE kind = 'sale'") == 2


def test_receipt_numbers_are_gapless_with_four_tills_selling_at_once(any_shop):
    shop = any_shop
    sellers = [shop.cashier, shop.manager, second_till(shop, "t-k2"), second_till(shop, "t-k3")]

    def till(uid):
        return lambda: [sell(shop.db, uid, sale_in([(shop.gula, 1)])).sale.number for _ in range(5)]

    results, errors = together(*(till(uid) for uid in sellers))
    assert errors == [None] * 4
    numbers = sorted(n for per_till in results for n in per_till)
    assert numbers == list(range(1, 21))
    with shop.db.session() as s:
        assert ledger_differences(s) == []


def test_two_tills_selling_the_last_unit_one_wins(any_shop):
    shop = any_shop
    other = second_till(shop)
    sell(shop.db, shop.cashier, sale_in([(shop.gula, 49)]))
    results, errors = together(lambda: sell(shop.db, shop.cashier, sale_in([(shop.gula, 1)])),
                               lambda: sell(shop.db, other, sale_in([(shop.gula, 1)])))
    assert sum(r is not None for r in results) == 1
    assert [type(e) for e in errors if e is not None] == [InsufficientStock]
    with shop.db.session() as s:
        assert s.execute(sa.text("SELECT on_hand FROM stock_levels l JOIN products p ON p.id = l.product_id "
                                 "WHERE sku = :s"), {"s": shop.gula}).scalar() == 0
        assert ledger_differences(s) == []


def test_two_tills_selling_the_last_of_a_buyers_quota_one_wins(any_shop):
    shop = any_shop
    other = second_till(shop)
    lpg = dict(buyer_nik=NIK_A, buyer_category="rumah_tangga")
    sell(shop.db, shop.cashier, sale_in([(shop.lpg, 1)], **lpg))  # quota 2 per 30 days: 1 left
    results, errors = together(lambda: sell(shop.db, shop.cashier, sale_in([(shop.lpg, 1)], **lpg)),
                               lambda: sell(shop.db, other, sale_in([(shop.lpg, 1)], **lpg)))
    assert sum(r is not None for r in results) == 1
    refused = [e for e in errors if e is not None]
    assert [type(e) for e in refused] == [QuotaExceeded]
    assert "bought 2" in refused[0].message and "0 tabung are left" in refused[0].message
    with shop.db.session() as s:
        assert s.scalar(sa.text("SELECT sum(qty) FROM quota_records")) == 2000
        assert s.scalar(sa.text("SELECT on_hand FROM stock_levels l JOIN products p ON p.id = l.product_id "
                                "WHERE sku = :s"), {"s": shop.lpg}) == 48000


def test_quota_race_on_different_products_of_the_same_buyer_both_win(any_shop):
    shop = any_shop
    other = second_till(shop)
    results, errors = together(
        lambda: sell(shop.db, shop.cashier, sale_in([(shop.lpg, 2)], buyer_nik=NIK_A, buyer_category="petani")),
        lambda: sell(shop.db, other, sale_in([(shop.sphp, 2)], buyer_nik=NIK_A)))
    assert errors == [None, None]
    assert Decimal(sum(r.sale.lines[0].qty for r in results)) == 4
