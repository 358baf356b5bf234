"""Restock suggestions: reorder point, order-up-to, pack rounding, on order, and never what is not selling."""
import uuid
from datetime import timedelta
from decimal import Decimal

import factories as f
from signal_helpers import NOW, days_before, history, stock_in
from suppliers import requests, restock
from signal_helpers import shop  # noqa: F401 (fixtures)


def suggestion_for(session, product):
    session.expire_all()
    return next((s for s in restock.suggestions(session, now=NOW) if s.sku == product.sku), None)


def test_a_product_at_its_reorder_point_is_suggested_up_to_its_target_cover(shop):
    p = f.product(shop)
    history(shop, p, [10] * 56, opening=575)  # 15 left; 10 a day, lead time 3 days, review 7
    s = suggestion_for(shop, p)
    assert s.signal.reorder_point == 30 and s.signal.order_up_to == 100
    assert s.suggested_qty == 85
    assert s.reason.template.startswith("%(on_hand)s %(unit)s on hand, at or below the reorder point")


def test_suggestions_round_up_to_the_supplier_s_pack_size(shop):
    f.supplier(shop, "DUS", pack_size=Decimal(12))
    p = f.product(shop, supplier="DUS")
    history(shop, p, [10] * 56, opening=575)
    s = suggestion_for(shop, p)
    assert s.pack_size == 12 and s.suggested_qty == 96  # 85 -> 8 packs of 12
    assert restock.round_to_pack(Decimal("0.5"), None) == 1  # loose rice is ordered by the kg
    assert restock.round_to_pack(Decimal("2.1"), None) == 3
    assert restock.round_to_pack(Decimal("25"), Decimal(12)) == 36
    assert restock.round_to_pack(Decimal("24"), Decimal(12)) == 24
    assert restock.round_to_pack(Decimal("-3"), Decimal(12)) == 0


def test_what_is_already_on_order_is_counted_and_a_cancelled_request_is_not(shop):
    p = f.product(shop)
    history(shop, p, [10] * 56, opening=575)
    rid = str(uuid.uuid4())
    requests.create_request(shop, rid, "BULOG", [{"sku": p.sku, "qty": Decimal(10)}])
    s = suggestion_for(shop, p)
    assert s.on_order == 10 and s.suggested_qty == 75
    requests.create_request(shop, str(uuid.uuid4()), "BULOG", [{"sku": p.sku, "qty": Decimal(10)}])
    assert suggestion_for(shop, p) is None  # 15 + 20 on order is above the reorder point
    requests.cancel_request(shop, rid, "salah pesan")
    s = suggestion_for(shop, p)
    assert (s.on_order, s.suggested_qty) == (10, 75)


def test_suggestions_never_include_slow_or_dead_products(shop):
    slow = f.product(shop)
    history(shop, slow, [9] * 46 + [0] * 10, opening=9 * 46 + 5, lines=3)  # stopped selling, 5 left
    dead = f.product(shop, reorder={"min": Decimal(10), "max": Decimal(30)})
    stock_in(shop, dead, 5, days_before(90))
    fine = f.product(shop)
    history(shop, fine, [10] * 56, opening=575)
    shop.commit()
    shop.expire_all()
    from inventory import signals

    statuses = {s.sku: s for s in signals.compute(shop, now=NOW)}
    assert statuses[slow.sku].status == "slow" and statuses[slow.sku].on_hand <= statuses[slow.sku].reorder_point
    assert statuses[dead.sku].status == "dead" and statuses[dead.sku].on_hand <= statuses[dead.sku].reorder_point
    assert [s.sku for s in restock.suggestions(shop, now=NOW)] == [fine.sku]


def test_an_out_of_stock_product_with_demand_is_suggested(shop):
    p = f.product(shop)
    history(shop, p, [10] * 56, opening=560)
    s = suggestion_for(shop, p)
    assert s.signal.status == "out" and s.suggested_qty == 100


def test_a_product_with_no_history_and_no_reorder_levels_is_not_suggested(shop):
    p = f.product(shop)
    stock_in(shop, p, 1, NOW.date() - timedelta(days=2))
    shop.commit()
    assert suggestion_for(shop, p) is None
