"""Each product's demand from its daily history, read in one query and kept for the day.

Two windows of `WINDOW_WEEKS` per product: the "usual" one ending on its last sale day (what
the stall test asks: how often did it sell while it sold?) and the "current" one ending on
the last complete day (what cover and the reorder point use). Both read only complete days,
so within a day they change only when the past is rewritten (`gerai import-sales`, or a
movement posted with a past date, both of which change the history's version stamp): the
estimates are therefore kept per database for (last complete day, version), and a stock page
costs the level rows plus arithmetic, not a pass over the history.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.models import AppSetting
from inventory import demand as dm
from inventory.models import Product, StockMovement
from inventory.sales_history import (HISTORY_VERSION, DailySales, StockOut, day_start, local_day, shop_timezone,
                                     unavailable_days)

WINDOW_DAYS = 7 * dm.WINDOW_WEEKS
SPELL_LOOKBACK_DAYS = 3 * dm.DEAD_AFTER_DAYS  # older out-of-stock spells no longer change any flag
CACHE_KEY = "demand_history"


class History(NamedTuple):
    start: int  # first day the product could sell (its first movement or sale)
    usual_end: int | None  # its last sale day up to the last complete day
    usual: dm.Demand
    current: dm.Demand
    unavailable: tuple[int, ...]  # days out of stock from start to end, sorted

    def unavailable_between(self, first: int, last: int) -> int:
        return bisect_right(self.unavailable, last) - bisect_left(self.unavailable, first) if self.unavailable else 0


# The window bounds are materialised first, so each product's rows are one index range scan
# (inlined, SQLite would re-run the bound's subquery for every history row).
_BUCKETS = sa.text("""
WITH b AS MATERIALIZED (
    SELECT p.id AS pid, (SELECT ds.day FROM daily_sales ds WHERE ds.product_id = p.id AND ds.day <= :ref
                         AND ds.lines > 0 ORDER BY ds.day DESC LIMIT 1) AS usual_end
    FROM products p WHERE p.id IN :ids)
SELECT d.product_id, b.usual_end, CASE WHEN d.day <= b.usual_end THEN (b.usual_end - d.day) / 7 ELSE -1 END AS bu,
       (:ref - d.day) / 7 AS bc, SUM(d.qty), SUM(d.qty * d.qty), SUM(d.lines)
FROM b JOIN daily_sales d ON d.product_id = b.pid AND d.day > b.usual_end - :window AND d.day <= :ref
GROUP BY d.product_id, b.usual_end, bu, bc
""").bindparams(sa.bindparam("ids", expanding=True))


def _sums(session: Session, product_ids: list[int], ref: int) -> tuple[dict[int, list], dict[int, int]]:
    """Per product: [(usual week, current week, milli-units, squared, lines)], and its usual window's end."""
    sums: dict[int, list] = defaultdict(list)
    ends: dict[int, int] = {}
    for pid, end, bu, bc, qty, sq, lines in session.execute(_BUCKETS, {"ref": ref, "window": WINDOW_DAYS,
                                                                      "ids": product_ids}):
        sums[pid].append((bu, bc, int(qty), int(sq), int(lines)))
        ends[pid] = end
    return sums, ends


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


def _weeks(sums: list, index: int, end: int, start: int, unavailable: tuple[int, ...]) -> list[dm.Week]:
    """Weeks (newest first) of the window ending on day `end`, counting days >= `start` that could sell."""
    n = dm.WINDOW_WEEKS
    qty, sq, lines = [0] * n, [0] * n, [0] * n
    for row in sums:
        k = row[index]
        if 0 <= k < n:
            qty[k] += row[2]
            sq[k] += row[3]
            lines[k] += row[4]
    weeks = []
    for k in range(n):
        hi = end - 7 * k
        lo = max(hi - 6, start)
        days = hi - lo + 1 if hi >= lo else 0
        if days and unavailable:
            days -= bisect_right(unavailable, hi) - bisect_left(unavailable, lo)
        if days <= 0 and lines[k]:
            days = 1
        weeks.append(dm.Week(qty[k] / 1000, sq[k] / 1e6, lines[k], max(days, 0)))
    return weeks


def _history(sums: list, usual_end: int | None, spells: list, start: int, ref: int, tz, now: datetime) -> History:
    unavailable = tuple(sorted(unavailable_days(spells, tz, start, ref, now))) if spells else ()
    current = dm.estimate(_weeks(sums, 1, ref, start, unavailable))
    usual = current if usual_end is None or usual_end == ref else dm.estimate(_weeks(sums, 0, usual_end, start, unavailable))
    return History(start, usual_end, usual, current, unavailable)


def version(session: Session) -> str:
    return session.scalar(sa.select(AppSetting.value).where(AppSetting.key == HISTORY_VERSION)) or ""


def _starts(session: Session, product_ids: list[int], tz, default: int) -> dict[int, int]:
    """The first day each product could sell: its first movement, or an earlier imported sale."""
    ds, mv = DailySales.__table__, StockMovement.__table__
    first_day = (sa.select(ds.c.day).where(ds.c.product_id == Product.id).order_by(ds.c.day).limit(1)
                 .scalar_subquery())
    first_move = sa.select(mv.c.at).where(mv.c.product_id == Product.id).order_by(mv.c.id).limit(1).scalar_subquery()
    out = {}
    for pid, day, at in session.execute(sa.select(Product.id, first_day, first_move).where(Product.id.in_(product_ids))):
        candidates = [d for d in (day, local_day(at, tz) if at is not None else None) if d is not None]
        out[pid] = min(candidates) if candidates else default
    return out


def histories(session: Session, product_ids: list[int], ref: int, now: datetime) -> dict[int, History]:
    """{product id: History} as of the last complete day `ref` (kept per database until the past changes)."""
    cache = session.info.get("cache")
    key = (ref, version(session))
    entries = cache.setdefault(CACHE_KEY, {}) if cache is not None else {}
    kept: dict[int, History] = entries.get(key, {})
    missing = [pid for pid in product_ids if pid not in kept]
    if missing:
        tz = shop_timezone(session)
        starts = _starts(session, missing, tz, ref + 1)
        sums, ends = _sums(session, missing, ref)
        spells = _spells(session, day_start(ref - SPELL_LOOKBACK_DAYS, tz), missing)
        fresh = {pid: _history(sums.get(pid, []), ends.get(pid), spells.get(pid, []), starts[pid], ref, tz, now)
                 for pid in missing}
        kept = {**kept, **fresh}
        if len(entries) >= 3:  # today's, and a past day or two a manager looked at
            entries.clear()
        entries[key] = kept
    return {pid: kept[pid] for pid in product_ids}
