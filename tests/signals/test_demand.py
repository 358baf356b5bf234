"""The demand model on histories with known answers (pure functions, no database)."""
import math

import pytest
from hypothesis import given, strategies as st

from inventory import demand as dm
from inventory.demand import Day


def days(*chunks):
    """days((7 * 8, Day(9, 3))) -> 56 days of 9 units in 3 sales, oldest first."""
    return [day for count, day in chunks for _ in range(count)]


def test_a_steady_daily_seller_reads_its_rate_with_no_spread():
    d = dm.estimate(dm.weeks_from_days(days((56, Day(9, 3)))))
    assert d.daily_qty == pytest.approx(9)
    assert d.daily_lines == pytest.approx(3)
    assert d.sigma == pytest.approx(0, abs=1e-9)
    assert d.days == 56 and d.enough_history


def test_a_daily_seller_that_stops_is_stalled_after_a_silence_its_rate_makes_improbable():
    usual = dm.estimate(dm.weeks_from_days(days((56, Day(9, 3)))))  # the window up to its last sale
    assert dm.stall_probability(usual.daily_lines, 10) == pytest.approx(math.exp(-30))
    assert dm.is_stalled(usual, 10)
    assert dm.is_stalled(usual, 2)  # exp(-6) = 0.25%
    assert not dm.is_stalled(usual, 1)  # exp(-3) = 5%: could happen


def test_a_weekly_seller_four_days_after_its_last_sale_is_not_stalled():
    week = [Day(7, 1)] + [Day()] * 6
    usual = dm.estimate(dm.weeks_from_days(week * 8))
    assert usual.daily_qty == pytest.approx(1)
    assert usual.daily_lines == pytest.approx(1 / 7)
    assert dm.stall_probability(usual.daily_lines, 4) == pytest.approx(math.exp(-4 / 7))
    assert not dm.is_stalled(usual, 4)
    assert not dm.is_stalled(usual, 20)  # exp(-20/7) = 5.7%
    assert dm.is_stalled(usual, 33)  # exp(-33/7) = 0.9%


def _weights():
    return [dm.week_weight(k) for k in range(8)]


def test_a_seasonal_seller_is_read_by_its_recent_weeks():
    # six weeks at 2 a day, then the season: two weeks at 10 a day (the newest)
    d = dm.estimate(dm.weeks_from_days(days((42, Day(2, 2)), (14, Day(10, 5)))))
    w = _weights()
    expected = (10 * (w[0] + w[1]) + 2 * sum(w[2:])) / sum(w)
    assert d.daily_qty == pytest.approx(expected)
    assert 6.2 < d.daily_qty < 6.3  # the flat mean would say 4
    # and when the season ends, the estimate falls as fast
    after = dm.estimate(dm.weeks_from_days(days((42, Day(10, 5)), (14, Day(2, 2)))))
    assert after.daily_qty == pytest.approx((2 * (w[0] + w[1]) + 10 * sum(w[2:])) / sum(w))
    assert after.daily_qty < 5.8


def test_a_week_out_of_stock_does_not_read_as_a_week_without_demand():
    history = days((21, Day(5, 5)), (7, Day(0, 0, available=False)), (28, Day(5, 5)))
    d = dm.estimate(dm.weeks_from_days(history))
    assert d.daily_qty == pytest.approx(5)
    assert d.days == 49
    # had those days counted as selling days with no sales, the rate would have dropped
    counted = dm.estimate(dm.weeks_from_days(days((21, Day(5, 5)), (7, Day()), (28, Day(5, 5)))))
    assert counted.daily_qty < 4.8


def test_a_new_product_with_little_history_has_a_rate_but_is_never_called_stalled():
    d = dm.estimate(dm.weeks_from_days([Day(2, 2)] * 3))
    assert d.daily_qty == pytest.approx(2)
    assert d.days == 3 and not d.enough_history
    assert d.sigma == pytest.approx(math.sqrt(2))  # little history: at least Poisson spread
    assert not dm.is_stalled(d, 10)


def test_no_history_means_no_demand():
    assert dm.estimate([]) == dm.NO_DEMAND
    assert dm.estimate(dm.weeks_from_days([Day(0, 0, available=False)] * 10)) == dm.NO_DEMAND
    assert dm.days_of_cover(10, dm.NO_DEMAND) is None


def test_reorder_point_and_order_up_to_follow_the_formulas():
    d = dm.Demand(daily_qty=8, daily_lines=4, sigma=3, days=56, lines=200)
    assert dm.reorder_point(d, 4, z=1.65) == pytest.approx(8 * 4 + 1.65 * 3 * 2)
    assert dm.order_up_to(d, 4, 5, z=1.65) == pytest.approx(8 * 9 + 1.65 * 3 * 3)
    assert dm.reorder_point(d, 0) == 0


def test_overstock_limit_is_the_shelf_life_when_that_is_shorter():
    assert dm.overstock_limit(3, None) == (40, "review")
    assert dm.overstock_limit(3, 14) == (14, "shelf_life")
    assert dm.overstock_limit(3, 365) == (40, "review")


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 5), st.booleans()), min_size=1, max_size=120))
def test_the_rate_lies_between_the_smallest_and_largest_day_that_could_sell(raw):
    history = [Day(q, n, a) for q, n, a in raw]
    d = dm.estimate(dm.weeks_from_days(history))
    counted = [x.qty for x in history[-56:] if x.available or x.lines]
    if not counted:
        assert d == dm.NO_DEMAND
        return
    assert min(counted) - 1e-9 <= d.daily_qty <= max(counted) + 1e-9
    assert d.sigma >= 0


@given(st.floats(0.01, 50), st.integers(0, 100), st.integers(0, 100))
def test_a_longer_silence_is_never_more_likely(rate, a, b):
    short, long_ = sorted((a, b))
    assert dm.stall_probability(rate, long_) <= dm.stall_probability(rate, short)
