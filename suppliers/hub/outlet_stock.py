"""One shop as the hub sees it: its stock and what is not selling there (so nobody ships more of it).

Who may look: an admin any shop; a coordinator a shop that has asked its supplier for something;
a monitor a shop in its area. Any other shop is not found (the same answer as a wrong code).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.errors import NotFound
from suppliers.hub.monitoring import NOT_SELLING_DAYS, in_area, not_selling_clauses
from suppliers.hub.tables import outlets_t, requests_t, stock_t


class OutletNotFound(NotFound):
    reason = "unknown_outlet"
    template = "No shop %(code)s."


@dataclass(frozen=True)
class Viewer:
    """Who is looking, reduced to what limits them."""

    supplier: str | None = None  # a coordinator's supplier
    area: str | None = None  # a monitor's kabupaten/provinsi
    everything: bool = False  # an admin

    @classmethod
    def of(cls, user) -> "Viewer":
        if user.role == "admin":
            return cls(everything=True)
        if user.role == "coordinator":
            return cls(supplier=user.supplier_code or "")
        return cls(area=user.area or "")


def get_outlet(session: Session, code: str, viewer: Viewer):
    o, r = outlets_t(), requests_t()
    stmt = sa.select(o).where(o.c.code == code)
    if not viewer.everything:
        if viewer.supplier is not None:
            stmt = stmt.where(sa.exists().where(r.c.outlet_id == o.c.id, r.c.supplier == viewer.supplier))
        else:
            stmt = stmt.where(in_area(viewer.area))
    row = session.execute(stmt).first()
    if row is None:
        raise OutletNotFound(code=code)
    return row


@dataclass(frozen=True)
class StockItem:
    sku: str
    name: str
    unit: str
    on_hand: Decimal
    last_sold_at: datetime | None
    days_since_sale: int | None  # None: never sold
    not_selling: bool


def stock(session: Session, outlet_id: int, now: datetime) -> list[StockItem]:
    """The shop's stock as last synced, with days since each product last sold."""
    st = stock_t()
    rows = session.execute(sa.select(st.c.sku, st.c.name, st.c.unit, st.c.on_hand, st.c.last_sold_at)
                           .where(st.c.outlet_id == outlet_id).order_by(st.c.sku))
    out = []
    for row in rows:
        days = None if row.last_sold_at is None else (now - row.last_sold_at).days
        idle = row.on_hand > 0 and (days is None or days >= NOT_SELLING_DAYS)
        out.append(StockItem(row.sku, row.name or "", row.unit or "", row.on_hand, row.last_sold_at, days, idle))
    return out


def not_selling(items: list[StockItem]) -> list[StockItem]:
    """Never sold first, then the longest without a sale."""
    return sorted((i for i in items if i.not_selling),
                  key=lambda i: (i.days_since_sale is not None, -(i.days_since_sale or 0), i.sku))


def not_selling_count(session: Session, outlet_id: int, now: datetime) -> int:
    st = stock_t()
    return session.scalar(sa.select(sa.func.count()).where(st.c.outlet_id == outlet_id, *not_selling_clauses(now)))
