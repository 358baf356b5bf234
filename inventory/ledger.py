"""The stock ledger: append movements and move levels, in the caller's transaction.

Every change of stock goes through `post_movements`. It locks the level rows it touches
(PostgreSQL `FOR UPDATE` in product order, so two writers never deadlock or lose an update;
SQLite already holds its single write lock from `BEGIN IMMEDIATE`), appends immutable
movements with their running balance, and updates the levels, so that for every product
`stock_levels.on_hand == SUM(stock_movements.qty)` at every commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.db import lock_rows
from gerai.numbers import format_qty
from inventory import events, sales_history
from inventory.models import Product, StockLevel, StockMovement
from inventory.rules import InsufficientStock, moving_average_cost

LEVELS = StockLevel.__table__
MOVEMENTS = StockMovement.__table__


@dataclass(frozen=True)
class MovementSpec:
    product_id: int
    qty: Decimal
    kind: str
    unit_cost: int | None = None
    field: str | None = None  # the input field to name if this line is refused
    unit_price: int | None = None  # a sale's selling price, kept in the daily sales history


@dataclass(frozen=True)
class Posted:
    movement_id: int
    product_id: int
    qty: Decimal
    balance_after: Decimal


def _lock_levels(session: Session, product_ids: list[int]) -> dict[int, dict]:
    stmt = (sa.select(LEVELS.c.product_id, LEVELS.c.on_hand, LEVELS.c.avg_cost)
            .where(LEVELS.c.product_id.in_(product_ids)).order_by(LEVELS.c.product_id))
    return {row.product_id: dict(row._mapping) for row in session.execute(lock_rows(stmt, session))}


def _refuse_shortage(session: Session, spec: MovementSpec, on_hand: Decimal) -> InsufficientStock:
    name, unit = session.execute(sa.select(Product.name, Product.unit).where(Product.id == spec.product_id)).one()
    return InsufficientStock(field=spec.field, name=name, unit=unit, on_hand=format_qty(on_hand),
                             wanted=format_qty(-spec.qty))


def post_movements(session: Session, specs: list[MovementSpec], *, at: datetime, source_type: str, source_id: str,
                   reference: str = "", user_id: int | None = None, allow_negative: bool = False,
                   sold: bool = False) -> list[Posted]:
    """Append `specs` to the ledger and update levels; refuse (raise) if stock would go below zero."""
    levels = _lock_levels(session, sorted({s.product_id for s in specs}))
    before = {pid: level["on_hand"] for pid, level in levels.items()}
    rows, balances = [], []
    for spec in specs:
        level = levels.get(spec.product_id)
        if level is None:
            raise LookupError(f"product {spec.product_id} has no stock level row")
        new_on_hand = level["on_hand"] + spec.qty
        if new_on_hand < 0 and spec.qty < 0 and not allow_negative:
            raise _refuse_shortage(session, spec, level["on_hand"])
        if spec.qty > 0:
            level["avg_cost"] = moving_average_cost(level["on_hand"], level["avg_cost"], spec.qty, spec.unit_cost)
        level["on_hand"] = new_on_hand
        balances.append(new_on_hand)
        rows.append({"product_id": spec.product_id, "at": at, "kind": spec.kind, "qty": spec.qty,
                     "balance_after": new_on_hand, "unit_cost": spec.unit_cost, "source_type": source_type,
                     "source_id": source_id, "reference": reference[:100], "user_id": user_id})
    ids = list(session.scalars(sa.insert(MOVEMENTS).returning(MOVEMENTS.c.id, sort_by_parameter_order=True), rows))
    last_id = {spec.product_id: mid for spec, mid in zip(specs, ids)}
    session.execute(
        LEVELS.update().where(LEVELS.c.product_id == sa.bindparam("pid")).values(
            on_hand=sa.bindparam("on_hand"), avg_cost=sa.bindparam("avg_cost"),
            last_movement_id=sa.bindparam("last_id"), updated_at=sa.bindparam("at"),
            **({"last_sold_at": sa.bindparam("at")} if sold else {})),
        [{"pid": pid, "on_hand": lv["on_hand"], "avg_cost": lv["avg_cost"], "last_id": last_id[pid], "at": at}
         for pid, lv in levels.items()])
    after = {pid: lv["on_hand"] for pid, lv in levels.items()}
    sales_history.record(session, specs, before, after, at)
    if events.has_listeners(session, events.STOCK_POSTED):
        events.announce(session, events.STOCK_POSTED, at=at,
                        changes=[events.LevelChange(pid, before[pid], after[pid]) for pid in sorted(levels)])
    return [Posted(mid, s.product_id, s.qty, bal) for mid, s, bal in zip(ids, specs, balances)]


def ledger_differences(session: Session) -> list[tuple[str, Decimal, Decimal]]:
    """(sku, level, sum of movements) for every product where the two disagree."""
    sums = (sa.select(MOVEMENTS.c.product_id, sa.func.sum(MOVEMENTS.c.qty).label("total"))
            .group_by(MOVEMENTS.c.product_id).subquery())
    stmt = (sa.select(Product.sku, LEVELS.c.on_hand, sa.func.coalesce(sums.c.total, 0).label("total"))
            .select_from(Product).join(LEVELS, LEVELS.c.product_id == Product.id, isouter=True)
            .join(sums, sums.c.product_id == Product.id, isouter=True).order_by(Product.sku))
    return [(sku, level, total) for sku, level, total in session.execute(stmt) if level is None or level != total]
