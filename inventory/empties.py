"""Empty LPG cylinders: a second, smaller ledger beside the stock of full ones.

A refill sale swaps a full cylinder (the product's stock, in the main ledger) for the buyer's
empty one (here); the agent takes empties back when he delivers full ones. Same shape as the
main ledger: immutable movements with their balance, a level row updated in the same
transaction under a row lock, never below zero.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from gerai.db import Base, UTCDateTime, lock_rows, transactional, utcnow
from gerai.errors import Conflict, Invalid
from gerai.numbers import Quantity, format_qty
from inventory.models import Product
from inventory.rules import check_qty_for_unit

EMPTY_KINDS = ("refill_swap", "agent_return", "count", "refund")


class InsufficientEmpties(Conflict):
    reason = "insufficient_empties"
    template = "Only %(on_hand)s empty cylinders of %(name)s are in the shop, %(wanted)s wanted."


class EmptyCylinderLevel(Base):
    __tablename__ = "empty_cylinder_levels"
    __table_args__ = (sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),)

    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    on_hand: Mapped[Decimal] = mapped_column(Quantity)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EmptyCylinderMovement(Base):
    __tablename__ = "empty_cylinder_movements"
    __table_args__ = (
        sa.CheckConstraint("qty <> 0", name="qty_not_zero"),
        sa.CheckConstraint(f"kind IN {EMPTY_KINDS!r}", name="kind_known"),
        sa.Index("ix_empty_cylinder_movements_product_id_id", "product_id", "id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(sa.String(20))
    qty: Mapped[Decimal] = mapped_column(Quantity)
    balance_after: Mapped[Decimal] = mapped_column(Quantity)
    source_type: Mapped[str] = mapped_column(sa.String(20))
    source_id: Mapped[str] = mapped_column(sa.String(36))
    reference: Mapped[str] = mapped_column(sa.String(100), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


LEVELS = EmptyCylinderLevel.__table__
MOVES = EmptyCylinderMovement.__table__


def takes_empties(category: str, unit: str) -> bool:
    """Cylinders of gas are refilled: the buyer hands in an empty for each full one."""
    return category == "lpg" and unit == "tabung"


@dataclass(frozen=True)
class EmptySpec:
    product_id: int
    qty: Decimal  # signed: + an empty came in, - one went out
    field: str | None = None


def _locked_levels(session: Session, product_ids: list[int], at: datetime) -> dict[int, Decimal]:
    existing = set(session.scalars(sa.select(LEVELS.c.product_id).where(LEVELS.c.product_id.in_(product_ids))))
    missing = [pid for pid in product_ids if pid not in existing]
    if missing:
        session.execute(LEVELS.insert(), [{"product_id": pid, "on_hand": Decimal(0), "updated_at": at} for pid in missing])
    stmt = (sa.select(LEVELS.c.product_id, LEVELS.c.on_hand).where(LEVELS.c.product_id.in_(product_ids))
            .order_by(LEVELS.c.product_id))
    return dict(session.execute(lock_rows(stmt, session)).all())


def post_empties(session: Session, specs: list[EmptySpec], *, kind: str, at: datetime, source_type: str,
                 source_id: str, reference: str = "", user_id: int | None = None) -> None:
    """Append empty-cylinder movements and move their levels, in the caller's transaction."""
    specs = [s for s in specs if s.qty != 0]
    if not specs:
        return
    levels = _locked_levels(session, sorted({s.product_id for s in specs}), at)
    rows = []
    for spec in specs:
        balance = levels[spec.product_id] + spec.qty
        if balance < 0:
            name = session.scalar(sa.select(Product.name).where(Product.id == spec.product_id))
            raise InsufficientEmpties(field=spec.field, name=name, on_hand=format_qty(levels[spec.product_id]),
                                      wanted=format_qty(-spec.qty))
        levels[spec.product_id] = balance
        rows.append({"product_id": spec.product_id, "at": at, "kind": kind, "qty": spec.qty, "balance_after": balance,
                     "source_type": source_type, "source_id": source_id, "reference": reference[:100],
                     "user_id": user_id})
    session.execute(MOVES.insert(), rows)
    session.execute(LEVELS.update().where(LEVELS.c.product_id == sa.bindparam("pid"))
                    .values(on_hand=sa.bindparam("on_hand"), updated_at=sa.bindparam("at")),
                    [{"pid": pid, "on_hand": on_hand, "at": at} for pid, on_hand in levels.items()])


def empties_on_hand(session: Session, product_ids: list[int] | None = None) -> dict[int, Decimal]:
    stmt = sa.select(LEVELS.c.product_id, LEVELS.c.on_hand)
    if product_ids is not None:
        stmt = stmt.where(LEVELS.c.product_id.in_(product_ids))
    return dict(session.execute(stmt).all())


def empties_differences(session: Session) -> list[tuple[int, Decimal, Decimal]]:
    """(product id, level, sum of movements) wherever the two disagree."""
    sums = dict(session.execute(sa.select(MOVES.c.product_id, sa.func.sum(MOVES.c.qty)).group_by(MOVES.c.product_id)).all())
    levels = empties_on_hand(session)
    return [(pid, levels.get(pid, Decimal(0)), sums.get(pid) or Decimal(0)) for pid in sorted(set(sums) | set(levels))
            if levels.get(pid, Decimal(0)) != (sums.get(pid) or Decimal(0))]


def _refill_products(session: Session, lines: list[dict], field_qty: str,
                     prefix: str = "lines") -> list[tuple[Product, Decimal, str]]:
    skus = {ln["sku"] for ln in lines}
    found = {p.sku: p for p in session.scalars(sa.select(Product).where(Product.sku.in_(skus)))}
    out = []
    for i, ln in enumerate(lines):
        product = found.get(ln["sku"])
        if product is None or not takes_empties(product.category, product.unit):
            raise Invalid("%(sku)s is not an LPG cylinder product.", field=f"{prefix}.{i}.sku", sku=ln["sku"])
        check_qty_for_unit(ln[field_qty], product.unit, f"{prefix}.{i}.{field_qty}", positive=field_qty == "qty")
        out.append((product, ln[field_qty], f"{prefix}.{i}.{field_qty}"))
    return out


def send_back_empties(session: Session, lines: list[dict], *, at: datetime, source_type: str, source_id: str,
                      reference: str = "", user_id: int | None = None, prefix: str = "lines") -> None:
    """Empties handed to the agent (with a delivery, or on their own), in the caller's transaction."""
    specs = [EmptySpec(p.id, -qty, field) for p, qty, field in _refill_products(session, lines, "qty", prefix)]
    post_empties(session, specs, kind="agent_return", at=at, source_type=source_type, source_id=source_id,
                 reference=reference, user_id=user_id)


@transactional
def return_empties(session: Session, lines: list[dict], *, reference: str = "", user_id: int | None = None,
                   at: datetime | None = None) -> dict[int, Decimal]:
    """Empties collected by the agent without a delivery."""
    at = at or utcnow()
    send_back_empties(session, lines, at=at, source_type="agent_return", source_id=at.strftime("%Y%m%d%H%M%S"),
                      reference=reference or "empties to agent", user_id=user_id)
    return empties_on_hand(session)


@transactional
def count_empties(session: Session, lines: list[dict], *, note: str = "", user_id: int | None = None,
                  at: datetime | None = None) -> dict[int, Decimal]:
    """Set the empties on hand to what was counted, by one `count` movement per difference."""
    at = at or utcnow()
    resolved = _refill_products(session, lines, "counted")
    have = empties_on_hand(session, [p.id for p, _, _ in resolved])
    specs = [EmptySpec(p.id, counted - have.get(p.id, Decimal(0)), field) for p, counted, field in resolved]
    post_empties(session, specs, kind="count", at=at, source_type="count", source_id=at.strftime("%Y%m%d%H%M%S"),
                 reference=note or "count of empties", user_id=user_id)
    return empties_on_hand(session)
