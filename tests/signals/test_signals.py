"""Signals on a real shop database: synthetic histories posted through the ledger, a frozen clock."""
from datetime import timedelta
from decimal import Decimal

import pytest

import factories as f
from inventory import signals
from inventory.sales_history import StockOut
from signal_helpers import NOW, TODAY, days_before, history, sell, stock_in


def signal_of(session, product, **kw):
    session.expire_all()
    return next(s for s in signals.compute(session, now=NOW, **kw) if s.sku == product.sku)


def english(reason):
    return reason.text(lambda template, **params: template % params if params else template)


def test_a_daily_seller_that_stops_is_slow_with_its_reason(session):
    p = f.product(session)
    history(session, p, [9] * 46 + [0] * 10, lines=3)  # 9 a day in 3 sales, then 10 silent days
    s = signal_of(session, p)
    assert s.status == "slow"
    assert s.days_since_sale == 11 and s.silent_days == 10  # today is not over: it does not count yet
    assert s.expected_daily_sales == Decimal("9.000")
    assert s.stall_probability == pytest.approx(2.8e-14, rel=0.1)
    assert english(s.reason) == "Usually sells 9/day; no sale for 11 days"
    assert s.money_tied_up == int(s.on_hand) * 8000


def test_a_weekly_seller_that_sold_four_days_ago_is_not_slow(session):
    p = f.product(session)
    daily = [0] * 56
    for i in range(52, 0, -7):
        daily[i] = 7  # once a week, the last time 4 days before today
    history(session, p, daily, opening=sum(daily) + 20)
    s = signal_of(session, p)
    assert s.days_since_sale == 4
    assert s.status == "ok"
    assert s.stall_probability > 0.5


def test_a_seasonal_seller_s_demand_follows_the_season(session):
    p = f.product(session)
    history(session, p, [2] * 42 + [10] * 14, opening=224 + 60)
    s = signal_of(session, p)
    assert 6.2 < s.current.daily_qty < 6.3  # recent weeks weigh more: not the flat mean of 4
    assert s.status == "ok"


def test_a_week_out_of_stock_does_not_read_as_no_demand(session):
    p = f.product(session)
    start = days_before(56)
    stock_in(session, p, 5 * 21, start - timedelta(days=1))
    for i in range(21):
        sell(session, p, 5, start + timedelta(days=i), hour=12)
    # the 21st sale emptied the shelf at noon; nothing on hand for the next seven whole days
    refill = start + timedelta(days=28)
    stock_in(session, p, 5 * 28 + 20, refill, hour=6)
    for i in range(28, 56):
        sell(session, p, 5, start + timedelta(days=i), hour=12)
    session.commit()
    spells = session.query(StockOut).all()
    assert [(sp.product_id, sp.ended_at is not None) for sp in spells] == [(p.id, True)]
    s = signal_of(session, p)
    assert s.current.daily_qty == pytest.approx(5)
    assert s.current.days == 56 - 7  # the seven days out of stock left out
    assert s.status == "ok"


def test_a_new_product_with_little_history_is_neither_slow_nor_dead(session):
    p = f.product(session)
    history(session, p, [2, 2, 2, 0, 0, 0])
    s = signal_of(session, p)
    assert s.usual.daily_qty == pytest.approx(2)  # over its three days up to the last sale
    assert s.current.daily_qty == pytest.approx(1)  # over its six days
    assert not s.usual.enough_history
    assert s.status in ("ok", "low")


def test_stock_that_never_sold_for_sixty_days_is_dead_with_the_money_tied_up(session):
    p = f.product(session)
    stock_in(session, p, 30, days_before(70), cost=12000)
    session.commit()
    s = signal_of(session, p)
    assert s.status == "dead"
    assert s.money_tied_up == 360000
    assert english(s.reason) == "No sale in the 70 days it has been in stock; Rp360.000 tied up"


def test_stock_covering_far_more_than_the_review_period_is_overstock(session):
    p = f.product(session)
    history(session, p, [1] * 56, opening=300)
    s = signal_of(session, p)
    assert s.days_of_cover == pytest.approx(244)
    assert s.status == "overstock"
    assert english(s.reason) == "Stock lasts 244 days at 1/day, far beyond 40 days"


def test_a_short_shelf_life_makes_overstock_sooner(session):
    p = f.product(session, shelf_life_days=10)
    history(session, p, [2] * 56, opening=150)
    s = signal_of(session, p)
    assert s.days_of_cover == pytest.approx(19)
    assert s.status == "overstock"
    assert "shelf life is 10 days" in english(s.reason)


def test_low_and_out_follow_the_reorder_point(session):
    low, out = f.product(session), f.product(session)
    history(session, low, [10] * 56, opening=575)  # 15 left, reorder point ~30 (3 days lead)
    history(session, out, [10] * 56, opening=560)
    s_low, s_out = signal_of(session, low), signal_of(session, out)
    assert s_low.reorder_point == Decimal(30) and s_low.status == "low"
    assert s_out.status == "out"


def test_a_manual_reorder_min_max_overrides_the_computed_one(session):
    p = f.product(session, reorder={"min": Decimal(40), "max": Decimal(100)})
    history(session, p, [10] * 56, opening=600)
    s = signal_of(session, p)
    assert (s.reorder_point, s.order_up_to, s.status) == (Decimal(40), Decimal(100), "low")


def test_a_report_on_a_past_day_uses_the_stock_of_that_day(session):
    p = f.product(session)
    history(session, p, [9] * 56, opening=1000, lines=3)
    past = TODAY - timedelta(days=20)
    s = next(x for x in signals.compute(session, as_of=past, now=NOW) if x.sku == p.sku)
    assert s.on_hand == Decimal(1000 - 9 * 37)  # 37 days of sales, that day's included
    assert s.days_since_sale == 0
    assert s.status == "overstock"  # 667 at 9 a day


def test_not_selling_lists_slow_dead_and_overstock_most_money_first(session):
    slow, dead, fine = f.product(session), f.product(session), f.product(session)
    history(session, slow, [9] * 46 + [0] * 10, opening=600, lines=3)
    stock_in(session, dead, 10, days_before(90), cost=1000)
    history(session, fine, [5] * 56, opening=300)
    session.commit()
    session.expire_all()
    flagged = signals.not_selling(session, now=NOW)
    assert [(s.sku, s.status) for s in flagged] == [(slow.sku, "slow"), (dead.sku, "dead")]
