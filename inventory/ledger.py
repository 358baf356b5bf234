"""The stock ledger: append movements and move levels, in the caller's transaction.

Every change of stock goes through `post_movements`. It locks the level rows it touches
(PostgreSQL `FOR UPDATE` in product order, so two writers never deadlock or lose an update;
SQLite already holds its single write lock from `BEGIN IMMEDIATE`), appends immutable
movements with their running balance, and updates the levels, so that for every product
`stock_levels.on_hand == SUM(stock_movements.qty)` at every commit (and `movement_count` their
number, kept in the same UPDATE: the ledger page's total without counting).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai import outbox
from gerai.fastsql import Prepared, PreparedIn, last_rowids
from gerai.numbers import QTY_MAX, format_qty, qty_str
from inventory import events, sales_history
from inventory.models import Product, StockLevel, StockMovement
from inventory.rules import InsufficientStock, StockTooLarge, moving_average_cost

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


# Built once: the sale hot path posts through here (DESIGN.md, Targets), and building and
# caching a statement costs more than running it on SQLite.
# The level rows with their product's sku, name and unit (the hub's movement events name them).
PRODUCTS = Product.__table__
_LEVEL_COLUMNS = (LEVELS.c.product_id, LEVELS.c.on_hand, LEVELS.c.avg_cost, PRODUCTS.c.sku, PRODUCTS.c.name,
                  PRODUCTS.c.unit)
_LEVELS_OF = LEVELS.join(PRODUCTS, PRODUCTS.c.id == LEVELS.c.product_id)
_LEVELS = PreparedIn(lambda ids: sa.select(*_LEVEL_COLUMNS).select_from(_LEVELS_OF)
                    .where(LEVELS.c.product_id.in_(ids)).order_by(LEVELS.c.product_id))
_LOCK_LEVELS = (sa.select(*_LEVEL_COLUMNS).select_from(_LEVELS_OF)
                .where(LEVELS.c.product_id.in_(sa.bindparam("p_ids", expanding=True)))
                .order_by(LEVELS.c.product_id).with_for_update(of=LEVELS))
# On SQLite the movements go in with one executemany on the driver (gerai.fastsql) and their ids
# are the consecutive rowids it assigned; elsewhere one INSERT ... RETURNING in parameter order.
_INSERT_MOVES = Prepared(sa.insert(MOVEMENTS))
_INSERT_MOVES_RETURNING = sa.insert(MOVEMENTS).returning(MOVEMENTS.c.id, sort_by_parameter_order=True)
_SET_LEVEL = dict(on_hand=sa.bindparam("on_hand"), avg_cost=sa.bindparam("avg_cost"),
                  last_movement_id=sa.bindparam("last_id"), updated_at=sa.bindparam("at"),
                  movement_count=LEVELS.c.movement_count + sa.bindparam("moves", type_=sa.BigInteger))
_UPDATE_LEVELS = {sold: Prepared(LEVELS.update().where(LEVELS.c.product_id == sa.bindparam("pid")).values(
    **_SET_LEVEL, **({"last_sold_at": sa.bindparam("at")} if sold else {}))) for sold in (False, True)}


def _insert_movements(conn: sa.Connection, rows: list[dict]) -> list[int]:
    if conn.dialect.name == "sqlite":
        _INSERT_MOVES.executemany(conn, rows)
        return last_rowids(conn, len(rows))
    return list(conn.scalars(_INSERT_MOVES_RETURNING, rows))


def _lock_levels(conn: sa.Connection, product_ids: list[int]) -> dict[int, dict]:
    """The levels, locked: FOR UPDATE in product order; SQLite already holds its write lock."""
    rows = (_LEVELS.all(conn, product_ids) if conn.dialect.name == "sqlite"
            else conn.execute(_LOCK_LEVELS, {"p_ids": product_ids}).all())
    return {pid: {"on_hand": on_hand, "avg_cost": avg_cost, "product": (sku, name, unit)}
            for pid, on_hand, avg_cost, sku, name, unit in rows}


def _refuse_shortage(session: Session, spec: MovementSpec, on_hand: Decimal) -> InsufficientStock:
    name, unit = session.execute(sa.select(Product.name, Product.unit).where(Product.id == spec.product_id)).one()
    return InsufficientStock(field=spec.field, name=name, unit=unit, on_hand=format_qty(on_hand),
                             wanted=format_qty(-spec.qty))


def _refuse_overflow(session: Session, spec: MovementSpec, on_hand: Decimal) -> StockTooLarge:
    """Past QTY_MAX the level could never be counted, written off or sold back down through the API."""
    name, unit = session.execute(sa.select(Product.name, Product.unit).where(Product.id == spec.product_id)).one()
    return StockTooLarge(field=spec.field, name=name, unit=unit, on_hand=format_qty(on_hand), max=format_qty(QTY_MAX))


def post_movements(session: Session, specs: list[MovementSpec], *, at: datetime, source_type: str, source_id: str,
                   reference: str = "", user_id: int | None = None, allow_negative: bool = False,
                   sold: bool = False) -> list[Posted]:
    """Append `specs` to the ledger and update levels; refuse (raise) if stock would go below zero or
    above the largest quantity the API accepts (QTY_MAX), naming the spec's field."""
    session.flush()  # objects the caller added (a new product's level row) reach the connection first
    conn = session.connection()
    levels = _lock_levels(conn, sorted({s.product_id for s in specs}))
    before = {pid: level["on_hand"] for pid, level in levels.items()}
    rows, balances = [], []
    for spec in specs:
        level = levels.get(spec.product_id)
        if level is None:
            raise LookupError(f"product {spec.product_id} has no stock level row")
        new_on_hand = level["on_hand"] + spec.qty
        if new_on_hand < 0 and spec.qty < 0 and not allow_negative:
            raise _refuse_shortage(session, spec, level["on_hand"])
        if new_on_hand > QTY_MAX and spec.qty > 0:
            raise _refuse_overflow(session, spec, new_on_hand)
        if spec.qty > 0:
            level["avg_cost"] = moving_average_cost(level["on_hand"], level["avg_cost"], spec.qty, spec.unit_cost)
        level["on_hand"] = new_on_hand
        balances.append(new_on_hand)
        rows.append({"product_id": spec.product_id, "at": at, "kind": spec.kind, "qty": spec.qty,
                     "balance_after": new_on_hand, "unit_cost": spec.unit_cost, "source_type": source_type,
                     "source_id": source_id, "reference": reference[:100], "user_id": user_id})
    ids = _insert_movements(conn, rows)
    last_id = {spec.product_id: mid for spec, mid in zip(specs, ids)}
    moves = Counter(spec.product_id for spec in specs)
    _UPDATE_LEVELS[sold].executemany(conn, [{"pid": pid, "on_hand": lv["on_hand"], "avg_cost": lv["avg_cost"],
                                             "last_id": last_id[pid], "at": at, "moves": moves[pid]}
                                            for pid, lv in levels.items()])
    outbox.emit_many(session, _movement_events(rows, ids, levels), at)
    after = {pid: lv["on_hand"] for pid, lv in levels.items()}
    sales_history.record(session, specs, before, after, at)
    if events.has_listeners(session, events.STOCK_POSTED):
        events.announce(session, events.STOCK_POSTED, at=at,
                        changes=[events.LevelChange(pid, before[pid], after[pid]) for pid in sorted(levels)])
    return [Posted(mid, s.product_id, s.qty, bal) for mid, s, bal in zip(ids, specs, balances)]


def _movement_events(rows: list[dict], ids: list[int], levels: dict[int, dict]) -> list[tuple[str, str]]:
    """One `movement` event per new stock_movements row (notes/SYNC.md), for the outbox. Their JSON is
    written here from pieces encoded once per call (the sale's time, its source, each product's
    names): eleven `json.dumps` of whole events cost a sale more than inserting them."""
    if not rows:
        return []
    enc = outbox.encode
    common = (f'"at":{enc(outbox.iso(rows[0]["at"]))},"source_type":{enc(rows[0]["source_type"])},'
              f'"source_id":{enc(rows[0]["source_id"])}}}')
    names = {pid: '"sku":{},"name":{},"unit":{},'.format(*map(enc, level["product"])) for pid, level in levels.items()}
    return [("movement", f'{{"movement_id":{mid},{names[row["product_id"]]}"kind":{enc(row["kind"])},'
                         f'"qty":"{qty_str(row["qty"])}","balance_after":"{qty_str(row["balance_after"])}",{common}')
            for row, mid in zip(rows, ids)]


def ledger_differences(session: Session) -> list[tuple[str, Decimal, Decimal]]:
    """(sku, level, sum of movements) for every product where the two disagree."""
    sums = (sa.select(MOVEMENTS.c.product_id, sa.func.sum(MOVEMENTS.c.qty).label("total"))
            .group_by(MOVEMENTS.c.product_id).subquery())
    stmt = (sa.select(Product.sku, LEVELS.c.on_hand, sa.func.coalesce(sums.c.total, 0).label("total"))
            .select_from(Product).join(LEVELS, LEVELS.c.product_id == Product.id, isouter=True)
            .join(sums, sums.c.product_id == Product.id, isouter=True).order_by(Product.sku))
    return [(sku, level, total) for sku, level, total in session.execute(stmt) if level is None or level != total]
