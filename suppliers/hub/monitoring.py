"""Regional monitoring (the cooperative office, read-only): per kecamatan, how many gerai are
registered, synced lately, transacting, what they sold and how many requests are open; and which
gerai have stalled, with the reasons.

A monitor's area (users.area) is a kabupaten or a provinsi name: an outlet is in it when either
matches. `area=None` is an admin's view of everything. Sales come from hub_sales_daily (one row per
outlet and shop-local day).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from suppliers.hub.tables import outlets_t, requests_t, sales_daily_t, stock_t
from suppliers.models import OPEN_STATUSES

SYNC_DAYS = 3  # synced within this many days counts as synced
TRANSACTING_DAYS = 7  # a sale within this many days (today included) counts as transacting
NOT_SELLING_DAYS = 14  # stock on hand with no sale for this long is not selling
NOT_SELLING_MANY = 5  # this many products not selling stalls a gerai


def in_area(area: str | None):
    """The outlets a monitor of `area` may see (None: all, an admin; "": none)."""
    o = outlets_t()
    if area is None:
        return sa.true()
    if not area:  # a monitor given no area sees nothing (not the outlets whose area is blank)
        return sa.false()
    return sa.or_(o.c.kabupaten == area, o.c.provinsi == area)


def day_value(d: date):
    """A local date as hub_sales_daily.day stores it (a DATE, or a day number since 1970-01-01)."""
    column = sales_daily_t().c.day
    return d if isinstance(column.type, sa.Date) else (d - date(1970, 1, 1)).days


def as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date(1970, 1, 1) + timedelta(days=int(value))


@dataclass
class AreaFigures:
    provinsi: str
    kabupaten: str
    kecamatan: str
    registered: int = 0
    synced: int = 0
    transacting: int = 0
    sales_count: int = 0
    sales_total: int = 0
    open_requests: int = 0


def _key(row) -> tuple[str, str, str]:
    return (row.provinsi or "", row.kabupaten or "", row.kecamatan or "")


def per_kecamatan(session: Session, area: str | None, now: datetime, today: date, first: date, last: date
                  ) -> list[AreaFigures]:
    """The figures the office reports upward, per kecamatan of its area, for the days first..last."""
    o, sd, r = outlets_t(), sales_daily_t(), requests_t()
    place = (o.c.provinsi, o.c.kabupaten, o.c.kecamatan)
    scope = sa.and_(in_area(area), o.c.active.is_(True))
    figures: dict[tuple, AreaFigures] = {}
    for row in session.execute(
            sa.select(*place, sa.func.count().label("registered"),
                      sa.func.count().filter(o.c.last_push_at >= now - timedelta(days=SYNC_DAYS)).label("synced"))
            .where(scope).group_by(*place)):
        figures[_key(row)] = AreaFigures(*_key(row), registered=row.registered, synced=row.synced)

    def grouped(select, join, where):
        return session.execute(select.select_from(o.join(*join)).where(scope, *where).group_by(*place))

    since = day_value(today - timedelta(days=TRANSACTING_DAYS - 1))
    for row in grouped(sa.select(*place, sa.func.count(sa.distinct(o.c.id)).label("n")), (sd, sd.c.outlet_id == o.c.id),
                       (sd.c.day >= since, sd.c.sales_count > 0)):
        figures[_key(row)].transacting = row.n
    for row in grouped(sa.select(*place, sa.func.sum(sd.c.sales_count).label("n"), sa.func.sum(sd.c.total).label("money")),
                       (sd, sd.c.outlet_id == o.c.id), (sd.c.day >= day_value(first), sd.c.day <= day_value(last))):
        figures[_key(row)].sales_count, figures[_key(row)].sales_total = int(row.n or 0), int(row.money or 0)
    for row in grouped(sa.select(*place, sa.func.count().label("n")), (r, r.c.outlet_id == o.c.id),
                       (r.c.status.in_(OPEN_STATUSES),)):
        figures[_key(row)].open_requests = row.n
    return [figures[k] for k in sorted(figures)]


def totals(rows: list[AreaFigures]) -> AreaFigures:
    out = AreaFigures("", "", "")
    for row in rows:
        for name in ("registered", "synced", "transacting", "sales_count", "sales_total", "open_requests"):
            setattr(out, name, getattr(out, name) + getattr(row, name))
    return out


@dataclass
class Stalled:
    code: str
    name: str
    kecamatan: str
    kabupaten: str
    last_sale: date | None  # None: no sale ever reached the hub
    last_push_at: datetime | None
    not_selling: int
    reasons: list[str] = field(default_factory=list)  # no_sales, not_synced, not_selling


def stalled(session: Session, area: str | None, now: datetime, today: date) -> list[Stalled]:
    """Gerai with no sale in 7 days, no sync in 3 days, or many products not selling; worst first."""
    o, sd, st = outlets_t(), sales_daily_t(), stock_t()
    last_sale = (sa.select(sa.func.max(sd.c.day)).where(sd.c.outlet_id == o.c.id, sd.c.sales_count > 0)
                 .scalar_subquery())
    not_selling = (sa.select(sa.func.count()).where(st.c.outlet_id == o.c.id, *not_selling_clauses(now))
                   .scalar_subquery())
    rows = session.execute(sa.select(o.c.code, o.c.name, o.c.kecamatan, o.c.kabupaten, o.c.last_push_at,
                                     last_sale.label("last_sale"), not_selling.label("not_selling"))
                           .where(in_area(area), o.c.active.is_(True)).order_by(o.c.kabupaten, o.c.kecamatan, o.c.code))
    out = []
    for row in rows:
        item = Stalled(row.code, row.name or "", row.kecamatan or "", row.kabupaten or "", as_date(row.last_sale),
                       row.last_push_at, int(row.not_selling or 0))
        if item.last_sale is None or (today - item.last_sale).days >= TRANSACTING_DAYS:
            item.reasons.append("no_sales")
        if item.last_push_at is None or now - item.last_push_at >= timedelta(days=SYNC_DAYS):
            item.reasons.append("not_synced")
        if item.not_selling >= NOT_SELLING_MANY:
            item.reasons.append("not_selling")
        if item.reasons:
            out.append(item)
    out.sort(key=lambda s: (-len(s.reasons), s.kabupaten, s.kecamatan, s.code))
    return out


def not_selling_clauses(now: datetime) -> tuple:
    """Stock on hand that has not sold for NOT_SELLING_DAYS, or never sold."""
    st = stock_t()
    return (st.c.on_hand > 0, sa.or_(st.c.last_sold_at.is_(None),
                                     st.c.last_sold_at <= now - timedelta(days=NOT_SELLING_DAYS)))
