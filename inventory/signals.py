"""What is not selling and what will run out: one pass over the levels and the daily history.

For every active product this reads its level row, its daily sales over two windows of
`WINDOW_WEEKS` (the "usual" one ending on its last sale day, which the stall test uses, and
the "current" one ending on the last complete day, which cover and the reorder point use)
and the out-of-stock spells of the last months. It never reads the ledger beyond one row per
product (its first movement), so its cost does not grow with years of history.

Reasons are English msgids with parameters, translated at the edge (`Reason.text(gettext)`).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Callable, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.db import utcnow
from gerai.numbers import format_qty, format_rupiah
from inventory import demand as dm
from inventory.models import Product, StockLevel, StockMovement, Supplier
from inventory.rules import allows_fractions
from inventory.sales_history import (DailySales, StockOut, day_date, day_number, day_start, local_day, shop_timezone,
                                     unavailable_days)

STATUSES = ("ok", "low", "out", "slow", "overstock", "dead")
NOT_SELLING = ("slow", "dead", "overstock")
WINDOW_DAYS = 7 * dm.WINDOW_WEEKS
SPELL_LOOKBACK_DAYS = 3 * dm.DEAD_AFTER_DAYS  # older out-of-stock spells no longer change any flag


def N_(template: str) -> str:  # noqa: N802 (marks a msgid for extraction; translated at the edge)
    return template


@dataclass(frozen=True)
class Reason:
    template: str
    params: dict = field(default_factory=dict)

    def text(self, gettext: Callable[..., str]) -> str:
        return gettext(self.template, **self.params) if self.params else gettext(self.template)


@dataclass(frozen=True)
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
        return int((max(self.on_hand, Decimal(0)) * (self.avg_cost or 0)).to_integral_value(ROUND_HALF_UP))

    @property
    def expected_daily_sales(self) -> Decimal:
        return Decimal(repr(round(self.usual.daily_qty, 3)))


def _round_up(value: float, unit: str) -> Decimal:
    step = Decimal("0.001") if allows_fractions(unit) else Decimal(1)
    return (Decimal(repr(value)) / step).to_integral_value(ROUND_CEILING) * step


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
    last_day: int | None
    first_day: int | None
    first_move: datetime | None


def _product_rows(session: Session, as_of: int, category: str | None, product_ids: list[int] | None) -> list[_Row]:
    ds, mv = DailySales.__table__, StockMovement.__table__
    last_day = (sa.select(ds.c.day).where(ds.c.product_id == Product.id, ds.c.day <= as_of, ds.c.lines > 0)
                .order_by(ds.c.day.desc()).limit(1).scalar_subquery())
    first_day = sa.select(ds.c.day).where(ds.c.product_id == Product.id).order_by(ds.c.day).limit(1).scalar_subquery()
    first_move = sa.select(mv.c.at).where(mv.c.product_id == Product.id).order_by(mv.c.id).limit(1).scalar_subquery()
    stmt = (sa.select(Product.id, Product.sku, Product.name, Product.category, Product.unit, Product.supplier_code,
                      Product.shelf_life_days, Product.reorder_min, Product.reorder_max, StockLevel.on_hand,
                      StockLevel.avg_cost, StockLevel.last_sold_at, Supplier.lead_time_days,
                      last_day.label("last_day"), first_day.label("first_day"), first_move.label("first_move"))
            .join(StockLevel, StockLevel.product_id == Product.id)
            .outerjoin(Supplier, Supplier.code == Product.supplier_code)
            .where(Product.active.is_(True)).order_by(Product.category, Product.name))
    if category:
        stmt = stmt.where(Product.category == category)
    if product_ids is not None:
        stmt = stmt.where(Product.id.in_(product_ids))
    return [_Row(*row) for row in session.execute(stmt)]


_BUCKETS = sa.text("""
SELECT d.product_id, CASE WHEN d.day <= b.usual_end THEN (b.usual_end - d.day) / 7 ELSE -1 END AS bu,
       (:ref - d.day) / 7 AS bc, SUM(d.qty), SUM(d.qty * d.qty), SUM(d.lines)
FROM (SELECT p.id AS pid, (SELECT ds.day FROM daily_sales ds WHERE ds.product_id = p.id AND ds.day <= :ref
                           AND ds.lines > 0 ORDER BY ds.day DESC LIMIT 1) AS usual_end
      FROM products p WHERE p.id IN :ids) b
JOIN daily_sales d ON d.product_id = b.pid AND d.day > b.usual_end - :window AND d.day <= :ref
GROUP BY d.product_id, bu, bc
""").bindparams(sa.bindparam("ids", expanding=True))


def _buckets(session: Session, product_ids: list[int], ref: int) -> dict[int, list[tuple[int, int, int, int, int]]]:
    """Per product: (usual week, current week, milli-units, squared milli-units, lines) sums."""
    out: dict[int, list] = defaultdict(list)
    if not product_ids:
        return out
    for pid, bu, bc, qty, sq, lines in session.execute(_BUCKETS, {"ref": ref, "window": WINDOW_DAYS, "ids": product_ids}):
        out[pid].append((bu, bc, int(qty), int(sq), int(lines)))
    return out


def _spells(session: Session, since: datetime, product_ids: list[int]) -> dict[int, list]:
    table = StockOut.__table__
    stmt = sa.select(table.c.product_id, table.c.started_at, table.c.ended_at).where(
        sa.or_(table.c.ended_at.is_(None), table.c.ended_at >= since))
    out: dict[int, list] = defaultdict(list)
    wanted = set(product_ids)
    for pid, started, ended in session.execute(stmt):
        if pid in wanted:
            out[pid].append((started, ended))
    return out


# --- the model over one product -----------------------------------------------------------------

def _weeks(sums: list, index: int, end: int, start: int, unavailable: set[int]) -> list[dm.Week]:
    """Weeks (newest first) of the window ending on day `end`, counting days >= `start` that could sell."""
    qty = [0] * dm.WINDOW_WEEKS
    sq = [0] * dm.WINDOW_WEEKS
    lines = [0] * dm.WINDOW_WEEKS
    for row in sums:
        k = row[index]
        if 0 <= k < dm.WINDOW_WEEKS:
            qty[k] += row[2]
            sq[k] += row[3]
            lines[k] += row[4]
    weeks = []
    for k in range(dm.WINDOW_WEEKS):
        hi, lo = end - 7 * k, max(end - 7 * k - 6, start)
        days = max(hi - lo + 1, 0)
        if days and unavailable:
            days -= sum(1 for d in unavailable if lo <= d <= hi)
        weeks.append(dm.Week(qty[k] / 1000, sq[k] / 1e6, lines[k], max(days, 1 if lines[k] else 0)))
    return weeks


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
        if row.last_day is None:
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


def _signal(row, sums: list, spells: list, ref: int, as_of: int, tz, now: datetime, review_days: int) -> ProductSignal:
    starts = [d for d in (row.first_day, local_day(row.first_move, tz) if row.first_move else None) if d is not None]
    start = min(starts) if starts else as_of
    unavailable = unavailable_days(spells, tz, start, as_of, now) if spells else set()
    last = row.last_day
    usual_end = min(last, ref) if last is not None else ref
    usual = dm.estimate(_weeks(sums, 0, usual_end, start, unavailable))
    current = dm.estimate(_weeks(sums, 1, ref, start, unavailable))
    quiet_from = max(last + 1 if last is not None else start, start)
    silent = max(ref - quiet_from + 1, 0) - sum(1 for d in unavailable if quiet_from <= d <= ref)
    stalled = last is not None and dm.is_stalled(usual, silent)
    lead = row.lead_time_days if row.lead_time_days is not None else 0
    if row.reorder_max is not None:
        rop, up_to = row.reorder_min or Decimal(0), row.reorder_max
    else:
        rop = _round_up(dm.reorder_point(current, lead), row.unit)
        up_to = max(_round_up(dm.order_up_to(current, lead, review_days), row.unit), rop)
    cover = dm.days_of_cover(float(row.on_hand), current)
    limit, basis = dm.overstock_limit(lead, row.shelf_life_days, review_days)
    status = _status(row.on_hand, silent, stalled, rop, cover, limit)
    money = int((max(row.on_hand, Decimal(0)) * (row.avg_cost or 0)).to_integral_value(ROUND_HALF_UP))
    since = as_of - last if last is not None else None
    sig = {"usual": usual, "current": current, "silent": silent, "since": since, "rop": rop, "cover": cover,
           "limit": limit, "limit_basis": basis, "money": money}
    return ProductSignal(
        product_id=row.id, sku=row.sku, name=row.name, category=row.category, unit=row.unit, supplier=row.supplier_code,
        lead_time_days=lead, on_hand=row.on_hand, avg_cost=row.avg_cost, last_sold_at=row.last_sold_at,
        last_sale_day=day_date(last) if last is not None else None, days_since_sale=since, silent_days=silent,
        usual=usual, current=current,
        stall_probability=dm.stall_probability(usual.daily_lines, silent) if last is not None else 1.0,
        days_of_cover=cover, reorder_point=rop, order_up_to=up_to, status=status, reason=_reason(status, row, sig))


# --- the entry points ---------------------------------------------------------------------------

def reference_days(session: Session, as_of: date | None, now: datetime | None) -> tuple[int, int, datetime]:
    """(as_of day, last complete day, the moment the report is taken) in the shop's local days."""
    tz = shop_timezone(session)
    now = now or utcnow()
    today = local_day(now, tz)
    day = min(day_number(as_of), today) if as_of else today
    if day < today:
        return day, day, day_start(day + 1, tz)
    return day, today - 1, now


def compute(session: Session, *, as_of: date | None = None, now: datetime | None = None, category: str | None = None,
            product_ids: list[int] | None = None, review_days: int = dm.REVIEW_PERIOD_DAYS) -> list[ProductSignal]:
    """Every active product's signals as of a local day (default today; today's sales so far count as sales,
    but only complete days feed the rates)."""
    tz = shop_timezone(session)
    day, ref, moment = reference_days(session, as_of, now)
    rows = _product_rows(session, day, category, product_ids)
    if moment < (now or utcnow()):
        rows = _levels_at(session, rows, moment)
    ids = [r.id for r in rows]
    sums = _buckets(session, ids, ref)
    spells = _spells(session, day_start(ref - SPELL_LOOKBACK_DAYS, tz), ids)
    return [_signal(r, sums.get(r.id, []), spells.get(r.id, []), ref, day, tz, moment, review_days) for r in rows]


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

