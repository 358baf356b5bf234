"""Shifts: open with a float, sell, close with a cash count -> the Z report.

A shift's row carries running totals (sales, net cash in, refunds, cash out) that every sale
and refund updates in its own transaction under the row's lock; closing takes the same lock,
so no sale can slip into a shift after its Z report was drawn.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.db import transactional, utcnow
from gerai.errors import Conflict, Forbidden, NotFound
from gerai.models import User
from pos.models import PAYMENT_METHODS, Refund, Sale, SalePayment, Shift

SHIFTS, SALES, PAYMENTS, REFUNDS, USERS = (Shift.__table__, Sale.__table__, SalePayment.__table__, Refund.__table__,
                                           User.__table__)


class ShiftAlreadyOpen(Conflict):
    reason = "shift_already_open"
    template = "You already have an open shift (#%(id)s); close it before opening another."


class ShiftClosed(Conflict):
    reason = "shift_closed"
    template = "Shift #%(id)s is already closed."


class ShiftNotFound(NotFound):
    reason = "unknown_shift"
    template = "No shift #%(id)s."


class NoShiftOpen(NotFound):
    reason = "no_open_shift"
    template = "You have no open shift."


@dataclass
class ShiftDoc:
    id: int
    cashier: str
    cashier_name: str
    opened_at: datetime
    closed_at: datetime | None
    opening_cash: int
    sales_count: int
    sales_total: int
    cash_in: int
    refunds_count: int
    refunds_total: int
    cash_out: int
    expected_cash: int
    counted_cash: int | None
    closed_by: str | None = None
    totals_by_method: dict[str, int] = field(default_factory=dict)
    refunds_by_method: dict[str, int] = field(default_factory=dict)

    @property
    def difference(self) -> int | None:
        return None if self.counted_cash is None else self.counted_cash - self.expected_cash

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


_CLOSER = USERS.alias("closer")
_SHIFT = (sa.select(SHIFTS, USERS.c.username, USERS.c.full_name, _CLOSER.c.username.label("closer"))
          .join(USERS, USERS.c.id == SHIFTS.c.cashier_id).outerjoin(_CLOSER, _CLOSER.c.id == SHIFTS.c.closed_by))
_BY_METHOD = (sa.select(PAYMENTS.c.method, sa.func.sum(PAYMENTS.c.amount)).join(SALES, SALES.c.id == PAYMENTS.c.sale_id)
              .where(SALES.c.shift_id == sa.bindparam("sid")).group_by(PAYMENTS.c.method))
_CHANGE = sa.select(sa.func.coalesce(sa.func.sum(SALES.c.change), 0)).where(SALES.c.shift_id == sa.bindparam("sid"))
_REFUNDS_BY_METHOD = (sa.select(REFUNDS.c.method, sa.func.sum(REFUNDS.c.total))
                      .where(REFUNDS.c.shift_id == sa.bindparam("sid")).group_by(REFUNDS.c.method))


def _doc(session: Session, row) -> ShiftDoc:
    conn = session.connection()
    by_method = {m: 0 for m in PAYMENT_METHODS} | {m: int(v) for m, v in conn.execute(_BY_METHOD, {"sid": row.id})}
    by_method["cash"] -= int(conn.execute(_CHANGE, {"sid": row.id}).scalar())
    refunds = {m: 0 for m in PAYMENT_METHODS} | {m: int(v) for m, v in conn.execute(_REFUNDS_BY_METHOD, {"sid": row.id})}
    expected = row.expected_cash if row.expected_cash is not None else row.opening_cash + row.cash_in - row.cash_out
    return ShiftDoc(row.id, row.username, row.full_name or row.username, row.opened_at, row.closed_at, row.opening_cash,
                    row.sales_count, row.sales_total, row.cash_in, row.refunds_count, row.refunds_total, row.cash_out,
                    expected, row.counted_cash, row.closer, by_method, refunds)


def load_shift(session: Session, shift_id: int) -> ShiftDoc:
    row = session.connection().execute(_SHIFT.where(SHIFTS.c.id == shift_id)).first()
    if row is None:
        raise ShiftNotFound(id=shift_id)
    return _doc(session, row)


def current_shift(session: Session, user_id: int) -> ShiftDoc:
    row = session.connection().execute(_SHIFT.where(SHIFTS.c.cashier_id == user_id, SHIFTS.c.closed_at.is_(None))).first()
    if row is None:
        raise NoShiftOpen()
    return _doc(session, row)


@transactional
def open_shift(session: Session, user_id: int, opening_cash: int, at: datetime | None = None) -> ShiftDoc:
    """Open the cashier's shift with the float in the drawer; one open shift per cashier."""
    conn = session.connection()
    open_id = conn.execute(sa.select(SHIFTS.c.id).where(SHIFTS.c.cashier_id == user_id,
                                                        SHIFTS.c.closed_at.is_(None))).scalar()
    if open_id is not None:
        raise ShiftAlreadyOpen(id=open_id)
    try:
        with session.begin_nested():
            new_id = conn.execute(SHIFTS.insert().returning(SHIFTS.c.id), {
                "cashier_id": user_id, "opened_at": at or utcnow(), "opening_cash": opening_cash, "sales_count": 0,
                "sales_total": 0, "cash_in": 0, "refunds_count": 0, "refunds_total": 0, "cash_out": 0}).scalar_one()
    except sa.exc.IntegrityError:  # PostgreSQL: the same cashier opened one at another till just now
        raise ShiftAlreadyOpen(id=conn.execute(sa.select(SHIFTS.c.id).where(
            SHIFTS.c.cashier_id == user_id, SHIFTS.c.closed_at.is_(None))).scalar()) from None
    return load_shift(session, new_id)


@transactional
def close_shift(session: Session, shift_id: int, user_id: int, counted_cash: int, *, may_close_any: bool = False,
                at: datetime | None = None) -> ShiftDoc:
    """Close with the counted cash: expected = float + net cash from sales - cash refunds."""
    conn = session.connection()
    owner = conn.execute(sa.select(SHIFTS.c.cashier_id).where(SHIFTS.c.id == shift_id)).scalar()
    if owner is None:
        raise ShiftNotFound(id=shift_id)
    if owner != user_id and not may_close_any:
        raise Forbidden("Only the shift's cashier or a manager may close shift #%(id)s.", id=shift_id)
    closed = conn.execute(
        SHIFTS.update().where(SHIFTS.c.id == shift_id, SHIFTS.c.closed_at.is_(None))
        .values(closed_at=at or utcnow(), closed_by=user_id, counted_cash=counted_cash,
                expected_cash=SHIFTS.c.opening_cash + SHIFTS.c.cash_in - SHIFTS.c.cash_out).returning(SHIFTS.c.id)).scalar()
    if closed is None:
        raise ShiftClosed(id=shift_id)
    return load_shift(session, shift_id)


def charge_refund(conn: sa.Connection, user_id: int, sale_shift_id: int, total: int, cash: int) -> int | None:
    """Put a refund on the refunder's open shift, else on the sale's shift if still open, else on none."""
    values = dict(refunds_count=SHIFTS.c.refunds_count + 1, refunds_total=SHIFTS.c.refunds_total + total,
                  cash_out=SHIFTS.c.cash_out + cash)
    for condition in (SHIFTS.c.cashier_id == user_id, SHIFTS.c.id == sale_shift_id):
        shift_id = conn.execute(SHIFTS.update().where(condition, SHIFTS.c.closed_at.is_(None)).values(**values)
                                .returning(SHIFTS.c.id)).scalar()
        if shift_id is not None:
            return shift_id
    return None
