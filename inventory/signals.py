"""What is not selling and what will run out: every active product's status, with its reason.

Each product's demand comes from `inventory.demand_history` (its daily history, kept per
database for the day); this module adds what changes by the minute: the level row (on hand,
last sale), the supplier's lead time, and from them the silence since the last sale, the
reorder point, the days of cover and the status (`out`, `dead`, `slow`, `low`, `overstock`,
`ok`, in that order of precedence). It never reads the ledger, so a stock page costs the same
after five years as after five days (a report on a past day reads one balance per product).

Reasons are English msgids with parameters, translated at the edge (`Reason.text(gettext)`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.db import utcnow
from gerai.numbers import format_qty, format_rupiah
from inventory import demand as dm
from inventory.models import Product, StockLevel, StockMovement, Supplier
from inventory.demand_history import History, histories
from inventory.sales_history import day_date, day_number, day_start, local_day, shop_timezone

NOT_SELLING = ("slow", "dead", "overstock")


def N_(template: str) -> str:  # noqa: N802 (marks a msgid for extraction; translated at the edge)
    return template


@dataclass(frozen=True)
class Reason:
    template: str
    params: dict = field(default_factory=dict)

    def text(self, gettext: Callable[..., str]) -> str:
        return gettext(self.template, **self.params) if self.params else gettext(self.template)


@dataclass(slots=True)
class ProductSignal:
    product_id: int
    sku: str
    name: str
    category: str
    unit: str
    supplier: str | None
    lead_time_days: int
    on_hand: Decimal
    avg_cost: int | None
    last_sold_at: datetime | None
    last_sale_day: date | None
    days_since_sale: int | None
    silent_days: int  # days that could sell since the last sale (or since the stock came)
    usual: dm.Demand  # up to the last sale: what the product "usually" sells
    current: dm.Demand  # up to the last complete day: what it sells now
    stall_probability: float
    days_of_cover: float | None
    reorder_point: Decimal
    order_up_to: Decimal
    status: str
    reason: Reason | None

    @property
    def money_tied_up(self) -> int:
        return money_tied_up(self.on_hand, self.avg_cost)

    @property
    def expected_daily_sales(self) -> Decimal:
        return Decimal(repr(round(self.usual.daily_qty, 3)))


def money_tied_up(on_hand: Decimal, avg_cost: int | None) -> int:
    """Stock at its moving-average cost, whole Rupiah."""
    return int((max(on_hand, Decimal(0)) * (avg_cost or 0)).to_integral_value(ROUND_HALF_UP))


def _round_up(value: float) -> Decimal:
    """Up to a whole unit (a kg, a litre, a sack): planning figures, not weighings (float noise forgiven)."""
    return Decimal(max(math.ceil(value - 1e-9), 0))


def rate_text(rate: float) -> str:
    """`9`, `0,3`, `2,5`: a daily rate as a person reads it."""
    if rate >= 10:
        return format_qty(Decimal(round(rate)))
    return format_qty(Decimal(repr(round(rate, 1))))


def _days_text(days: float | None) -> str:
    return "-" if days is None else format_qty(Decimal(repr(round(days, 1))))


# --- reading ----------------------------------------------------------------------------------

class _Row(NamedTuple):
    id: int
    sku: str
    name: str
    category: str
    unit: str
    supplier_code: str | None
    shelf_life_days: int | None
    reorder_min: Decimal | None
    reorder_max: Decimal | None
    on_hand: Decimal
    avg_cost: int | None
    last_sold_at: datetime | None
    lead_time_days: int | None


def _product_rows(session: Session, category: str | None, product_ids: list[int] | None) -> list[_Row]:
    """Active products with their level row and supplier lead time: one indexed join, no history.

    Quantities are read as their stored thousandths and made Decimals here: this runs on every
    stock page, for every product, and the generic column conversion costs more than the query."""
    raw = sa.BigInteger
    stmt = (sa.select(Product.id, Product.sku, Product.name, Product.category, Product.unit, Product.supplier_code,
                      Product.shelf_life_days, sa.type_coerce(Product.reorder_min, raw),
                      sa.type_coerce(Product.reorder_max, raw), sa.type_coerce(StockLevel.on_hand, raw),
                      StockLevel.avg_cost, StockLevel.last_sold_at, Supplier.lead_time_days)
            .join(StockLevel, StockLevel.product_id == Product.id)
            .outerjoin(Supplier, Supplier.code == Product.supplier_code)
            .where(Product.active.is_(True)).order_by(Product.category, Product.name))
    if category:
        stmt = stmt.where(Product.category == category)
    if product_ids is not None:
        stmt = stmt.where(Product.id.in_(product_ids))
    return [_Row(pid, sku, name, cat, unit, sup, shelf, _qty(rmin), _qty(rmax), _qty(on_hand), cost, sold, lead)
            for pid, sku, name, cat, unit, sup, shelf, rmin, rmax, on_hand, cost, sold, lead in session.execute(stmt)]


def _qty(milli: int | None) -> Decimal | None:
    return None if milli is None else Decimal(milli).scaleb(-3)


def _status(on_hand: Decimal, silent: int, stalled: bool, rop: Decimal, cover: float | None, limit: int) -> str:
    if on_hand <= 0:
        return "out"
    if silent >= dm.DEAD_AFTER_DAYS:
        return "dead"
    if stalled:
        return "slow"
    if on_hand <= rop:
        return "low"
    if cover is not None and cover > limit:
        return "overstock"
    return "ok"


def _reason(status: str, row, sig: dict) -> Reason | None:
    usual, unit = sig["usual"], row.unit
    if status == "out":
        return Reason(N_("Out of stock; usually sells %(rate)s %(unit)s/day"), {"rate": rate_text(usual.daily_qty),
                      "unit": unit}) if usual.daily_qty > 0 else Reason(N_("Out of stock"))
    if status == "dead":
        money = format_rupiah(sig["money"])
        if sig["since"] is None:
            return Reason(N_("No sale in the %(days)s days it has been in stock; %(money)s tied up"),
                          {"days": sig["silent"], "money": money})
        return Reason(N_("No sale for %(days)s days; %(money)s tied up"), {"days": sig["since"], "money": money})
    if status == "slow":
        return Reason(N_("Usually sells %(rate)s/day; no sale for %(days)s days"),
                      {"rate": rate_text(usual.daily_qty), "days": sig["since"]})
    if status == "low":
        return Reason(N_("%(on_hand)s %(unit)s left, at or below the reorder point %(rop)s; lasts about %(cover)s days"),
                      {"on_hand": format_qty(row.on_hand), "unit": unit, "rop": format_qty(sig["rop"]),
                       "cover": _days_text(sig["cover"])})
    if status == "overstock":
        template = (N_("Stock lasts %(cover)s days at %(rate)s/day; the shelf life is %(limit)s days")
                    if sig["limit_basis"] == "shelf_life" else
                    N_("Stock lasts %(cover)s days at %(rate)s/day, far beyond %(limit)s days"))
        return Reason(template, {"cover": _days_text(sig["cover"]), "rate": rate_text(sig["current"].daily_qty),
                                 "limit": sig["limit"]})
    return None


def _plan(plans: dict, current: dm.Demand, lead: int, row: _Row, review_days: int) -> tuple:
    """(reorder point, order-up-to, overstock limit, its basis): a pure function of these inputs, so kept
    in `plans` (the database's cache) and computed once a day per product rather than once a request."""
    key = (current, lead, row.reorder_min, row.reorder_max, row.shelf_life_days, review_days)
    plan = plans.get(key)
    if plan is None:
        if row.reorder_max is not None:
            rop, up_to = row.reorder_min or Decimal(0), row.reorder_max
        else:
            rop = _round_up(dm.reorder_point(current, lead))
            up_to = max(_round_up(dm.order_up_to(current, lead, review_days)), rop)
        plan = plans[key] = (rop, up_to, *dm.overstock_limit(lead, row.shelf_life_days, review_days))
    return plan


def _signal(row: _Row, hist: History, ref: int, as_of: int, tz, review_days: int, reasons: bool,
            plans: dict) -> ProductSignal:
    last = hist.usual_end  # the last sale up to the last complete day; today's come from the level row
    if as_of > ref and row.last_sold_at is not None:
        sold_day = local_day(row.last_sold_at, tz)
        if sold_day <= as_of and (last is None or sold_day > last):
            last = sold_day
    # a sale today (after the last complete day) makes its usual window the current one
    usual = hist.current if last is not None and last > ref else hist.usual
    current = hist.current
    quiet_from = max(last + 1, hist.start) if last is not None else hist.start
    silent = max(ref - quiet_from + 1, 0) - hist.unavailable_between(quiet_from, ref)
    stalled = last is not None and dm.is_stalled(usual, silent)
    lead = row.lead_time_days if row.lead_time_days is not None else 0
    rop, up_to, limit, basis = _plan(plans, current, lead, row, review_days)
    on_hand = row.on_hand
    cover = dm.days_of_cover(float(on_hand), current)
    status = _status(on_hand, silent, stalled, rop, cover, limit)
    since = as_of - last if last is not None else None
    reason = None
    if reasons and status != "ok":
        reason = _reason(status, row, {"usual": usual, "current": current, "silent": silent, "since": since, "rop": rop,
                                       "cover": cover, "limit": limit, "limit_basis": basis,
                                       "money": money_tied_up(on_hand, row.avg_cost)})
    return ProductSignal(
        product_id=row.id, sku=row.sku, name=row.name, category=row.category, unit=row.unit, supplier=row.supplier_code,
        lead_time_days=lead, on_hand=on_hand, avg_cost=row.avg_cost, last_sold_at=row.last_sold_at,
        last_sale_day=day_date(last) if last is not None else None, days_since_sale=since, silent_days=silent,
        usual=usual, current=current,
        stall_probability=dm.stall_probability(usual.daily_lines, silent) if last is not None else 1.0,
        days_of_cover=cover, reorder_point=rop, order_up_to=up_to, status=status, reason=reason)


# --- the entry points ---------------------------------------------------------------------------

def reference_days(session: Session, as_of: date | None, now: datetime) -> tuple[int, int, datetime]:
    """(as_of day, last complete day, the moment the report is taken) in the shop's local days."""
    tz = shop_timezone(session)
    today = local_day(now, tz)
    day = min(day_number(as_of), today) if as_of else today
    if day < today:
        return day, day, day_start(day + 1, tz)
    return day, today - 1, now


def compute(session: Session, *, as_of: date | None = None, now: datetime | None = None, category: str | None = None,
            product_ids: list[int] | None = None, review_days: int = dm.REVIEW_PERIOD_DAYS,
            reasons: bool = True) -> list[ProductSignal]:
    """Every active product's signals as of a local day (default today; today's sales so far count as sales,
    but only complete days feed the rates). `reasons=False` leaves out the words (the stock list)."""
    tz = shop_timezone(session)
    now = now or utcnow()
    day, ref, moment = reference_days(session, as_of, now)
    rows = _product_rows(session, category, product_ids)
    if moment < now:  # a past day: the stock as it stood then
        rows = _levels_at(session, rows, moment)
    hist = histories(session, [r.id for r in rows], ref, moment) if rows else {}
    cache = session.info.get("cache")
    plans = cache.setdefault("reorder_plans", {}) if cache is not None else {}
    if len(plans) > 50_000:
        plans.clear()
    return [_signal(r, hist[r.id], ref, day, tz, review_days, reasons, plans) for r in rows]


def _levels_at(session: Session, rows: list, moment: datetime) -> list:
    """For a report on a past day: on hand as the ledger stood at the end of that day."""
    mv = StockMovement.__table__
    out = []
    for row in rows:
        balance = session.scalar(sa.select(mv.c.balance_after).where(mv.c.product_id == row.id, mv.c.at < moment)
                                 .order_by(mv.c.id.desc()).limit(1))
        out.append(row._replace(on_hand=balance if balance is not None else Decimal(0)))
    return out


def not_selling(session: Session, *, as_of: date | None = None, now: datetime | None = None) -> list[ProductSignal]:
    """Slow, dead and overstocked products, the most money tied up first."""
    flagged = [s for s in compute(session, as_of=as_of, now=now) if s.status in NOT_SELLING]
    return sorted(flagged, key=lambda s: (-s.money_tied_up, s.sku))

