"""The demand model: pure functions, no I/O (floats inside, rounded at the edge).

Expected daily sales come from the product's own history over `WINDOW_WEEKS`, each week
weighted `0.5 ** (weeks_ago / HALF_LIFE_WEEKS)` so recent weeks count more (a seasonal
seller's new season shows within a week or two), and measured only over the days it could
sell (days it was out of stock from start to end are left out, so a week without stock does
not read as a week without demand).

Not selling: sales are events (sale lines) arriving at a rate r per day; under a Poisson
model the chance of n silent days is exp(-r n). Restock: reorder point
= daily demand x lead time + z x sigma x sqrt(lead time); order up to the cover of lead time
plus review period (the periodic-review order-up-to policy).
"""
from __future__ import annotations

import math
from typing import Iterable, NamedTuple, Sequence

WINDOW_WEEKS = 8
HALF_LIFE_WEEKS = 2.0
SLOW_PROBABILITY = 0.01  # a silence less likely than this under the product's own rate is `slow`
MIN_HISTORY_DAYS = 14  # fewer days that could sell: too little history to call a product slow
MIN_SALE_LINES = 3  # fewer sale events: the rate is a guess, not evidence
DEAD_AFTER_DAYS = 60  # stock that sat this long with no sale is `dead`
OVERSTOCK_FACTOR = 4  # cover beyond 4 x (lead time + review period) is `overstock`
REVIEW_PERIOD_DAYS = 7
SERVICE_Z = 1.65  # about a 95% chance of not running out before the delivery comes


class Day(NamedTuple):
    """One day of history: net units sold, sale lines, and whether the product could sell."""

    qty: float = 0.0
    lines: int = 0
    available: bool = True


class Week(NamedTuple):
    """Totals of one week of history (index 0 = the most recent week) over its available days."""

    qty: float = 0.0
    qty_sq: float = 0.0  # sum of squared daily quantities, for the variance
    lines: int = 0
    days: int = 0  # days that could sell


class Demand(NamedTuple):
    daily_qty: float  # expected units per day
    daily_lines: float  # expected sale events per day
    sigma: float  # standard deviation of daily units
    days: int  # days of history that could sell
    lines: int  # sale events seen

    @property
    def enough_history(self) -> bool:
        return self.days >= MIN_HISTORY_DAYS and self.lines >= MIN_SALE_LINES


NO_DEMAND = Demand(0.0, 0.0, 0.0, 0, 0)


def week_weight(weeks_ago: int) -> float:
    return 0.5 ** (weeks_ago / HALF_LIFE_WEEKS)


def weeks_from_days(days: Sequence[Day]) -> list[Week]:
    """Group a daily history (oldest first, the last item is the reference day) into weeks, newest first."""
    weeks: list[Week] = []
    for end in range(len(days), 0, -7):
        chunk = [d for d in days[max(0, end - 7):end] if d.available or d.lines]
        weeks.append(Week(sum(d.qty for d in chunk), sum(d.qty * d.qty for d in chunk), sum(d.lines for d in chunk),
                          len(chunk)))
    return weeks[:WINDOW_WEEKS]


WEIGHTS = tuple(week_weight(k) for k in range(WINDOW_WEEKS))


def estimate(weeks: Iterable[Week]) -> Demand:
    """Recency-weighted daily rate, sale-event rate and spread over the days that could sell."""
    w_days = w_qty = w_sq = w_lines = 0.0
    days = lines = 0
    for w, (qty, qty_sq, n, d) in zip(WEIGHTS, weeks):
        if not d:
            continue
        w_days += w * d
        w_qty += w * qty
        w_sq += w * qty_sq
        w_lines += w * n
        days += d
        lines += n
    if not w_days:
        return NO_DEMAND
    rate = w_qty / w_days
    variance = max(w_sq / w_days - rate * rate, 0.0)
    if days < MIN_HISTORY_DAYS:
        variance = max(variance, rate)  # little history: assume at least Poisson spread
    return Demand(rate, w_lines / w_days, math.sqrt(variance), days, lines)


def stall_probability(daily_lines: float, silent_days: int) -> float:
    """Chance of `silent_days` days with no sale at all, for a product selling `daily_lines` times a day."""
    if silent_days <= 0 or daily_lines <= 0:
        return 1.0
    return math.exp(-daily_lines * silent_days)


def is_stalled(usual: Demand, silent_days: int) -> bool:
    return usual.enough_history and stall_probability(usual.daily_lines, silent_days) < SLOW_PROBABILITY


def reorder_point(demand: Demand, lead_days: int, z: float = SERVICE_Z) -> float:
    """Units that cover the lead time, plus safety stock z x sigma x sqrt(lead time)."""
    lead = max(lead_days, 0)
    return demand.daily_qty * lead + z * demand.sigma * math.sqrt(lead)


def order_up_to(demand: Demand, lead_days: int, review_days: int = REVIEW_PERIOD_DAYS, z: float = SERVICE_Z) -> float:
    """Stock to hold after ordering: the cover of lead time plus review period, with its safety stock."""
    horizon = max(lead_days, 0) + max(review_days, 0)
    return demand.daily_qty * horizon + z * demand.sigma * math.sqrt(horizon)


def days_of_cover(on_hand: float, demand: Demand) -> float | None:
    if demand.daily_qty <= 0:
        return None
    return max(on_hand, 0.0) / demand.daily_qty


def overstock_limit(lead_days: int, shelf_life_days: int | None, review_days: int = REVIEW_PERIOD_DAYS) -> tuple[int, str]:
    """(days of cover beyond which stock is `overstock`, why): the shelf life, or 4 x (lead + review)."""
    by_review = OVERSTOCK_FACTOR * (max(lead_days, 0) + review_days)
    if shelf_life_days is not None and shelf_life_days < by_review:
        return shelf_life_days, "shelf_life"
    return by_review, "review"
