"""Sales and refunds as the till reads them back: plain dataclasses, loaded with a few Core queries.

The same `SaleDoc` answers a new sale (built in memory by `pos.sales`), a retried one and
`GET /sales/{id}`, and feeds the receipt.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.errors import NotFound
from gerai.models import User
from inventory.models import Product
from pos.models import Member, Refund, RefundLine, Sale, SaleLine, SalePayment

SALES, LINES, PAYMENTS = Sale.__table__, SaleLine.__table__, SalePayment.__table__
REFUNDS, REFUND_LINES = Refund.__table__, RefundLine.__table__
USERS, MEMBERS, PRODUCTS = User.__table__, Member.__table__, Product.__table__


class SaleNotFound(NotFound):
    reason = "unknown_sale"
    template = "No sale with id %(id)s."


@dataclass(slots=True)
class LineDoc:
    line_no: int
    product_id: int
    sku: str
    name: str
    unit: str
    category: str
    qty: Decimal
    unit_price: int
    catalog_price: int
    amount: int
    empties_returned: Decimal | None = None
    refunded_qty: Decimal = Decimal(0)
    refunded_amount: int = 0


@dataclass(frozen=True)
class PaymentDoc:
    method: str
    amount: int
    reference: str = ""


@dataclass
class SaleDoc:
    id: str
    number: int
    at: datetime
    cashier: str
    cashier_name: str
    shift_id: int
    lines: list[LineDoc]
    payments: list[PaymentDoc]
    total: int
    paid: int
    change: int
    member_no: str | None = None
    member_name: str | None = None
    nik_last4: str | None = None
    buyer_category: str | None = None
    subsidy_reference: str | None = None
    nik_hash: str | None = None
    refunded_total: int = 0
    refunds: list[str] = field(default_factory=list)

    @property
    def cash_paid(self) -> int:
        return sum(p.amount for p in self.payments if p.method == "cash")


_HEADER = (sa.select(SALES, USERS.c.username, USERS.c.full_name, MEMBERS.c.member_no, MEMBERS.c.name.label("member_name"))
           .join(USERS, USERS.c.id == SALES.c.cashier_id).outerjoin(MEMBERS, MEMBERS.c.id == SALES.c.member_id)
           .where(SALES.c.id == sa.bindparam("sid")))
_LINES = (sa.select(LINES, PRODUCTS.c.sku, PRODUCTS.c.name, PRODUCTS.c.unit, PRODUCTS.c.category)
          .join(PRODUCTS, PRODUCTS.c.id == LINES.c.product_id)
          .where(LINES.c.sale_id == sa.bindparam("sid")).order_by(LINES.c.line_no))
_PAYMENTS = sa.select(PAYMENTS).where(PAYMENTS.c.sale_id == sa.bindparam("sid")).order_by(PAYMENTS.c.line_no)
_REFUNDED = (sa.select(REFUND_LINES.c.sale_line_no, sa.func.sum(REFUND_LINES.c.qty).label("qty"),
                       sa.func.sum(REFUND_LINES.c.amount).label("amount"))
             .where(REFUND_LINES.c.sale_id == sa.bindparam("sid")).group_by(REFUND_LINES.c.sale_line_no))
_REFUND_IDS = sa.select(REFUNDS.c.id).where(REFUNDS.c.sale_id == sa.bindparam("sid")).order_by(REFUNDS.c.number)


def load_sale(session: Session, sale_id: str) -> SaleDoc:
    """A stored sale with its lines, payments and what was refunded of it."""
    conn = session.connection()
    h = conn.execute(_HEADER, {"sid": sale_id}).first()
    if h is None:
        raise SaleNotFound(id=sale_id)
    refunded = {r.sale_line_no: r for r in conn.execute(_REFUNDED, {"sid": sale_id})}
    lines = []
    for r in conn.execute(_LINES, {"sid": sale_id}):
        back = refunded.get(r.line_no)
        lines.append(LineDoc(r.line_no, r.product_id, r.sku, r.name, r.unit, r.category, r.qty, r.unit_price,
                             r.catalog_price, r.amount, r.empties_returned,
                             back.qty if back else Decimal(0), int(back.amount) if back else 0))
    payments = [PaymentDoc(p.method, p.amount, p.reference) for p in conn.execute(_PAYMENTS, {"sid": sale_id})]
    return SaleDoc(h.id, h.number, h.at, h.username, h.full_name or h.username, h.shift_id, lines, payments, h.total,
                   h.paid, h.change, h.member_no, h.member_name, h.buyer_nik_last4, h.buyer_category,
                   h.subsidy_reference, h.buyer_nik_hash, sum(ln.refunded_amount for ln in lines),
                   list(conn.scalars(_REFUND_IDS, {"sid": sale_id})))


@dataclass(frozen=True)
class RefundLineDoc:
    line_no: int
    sale_line_no: int
    sku: str
    name: str
    unit: str
    qty: Decimal
    unit_price: int
    amount: int


@dataclass(frozen=True)
class RefundDoc:
    id: str
    number: int
    sale_id: str
    sale_number: int
    at: datetime
    user: str
    reason: str
    method: str
    total: int
    shift_id: int | None
    lines: list[RefundLineDoc]


_REFUND = (sa.select(REFUNDS, SALES.c.number.label("sale_number"), USERS.c.username)
           .join(SALES, SALES.c.id == REFUNDS.c.sale_id).join(USERS, USERS.c.id == REFUNDS.c.user_id)
           .where(REFUNDS.c.id == sa.bindparam("rid")))
_REFUND_LINES = (sa.select(REFUND_LINES, PRODUCTS.c.sku, PRODUCTS.c.name, PRODUCTS.c.unit)
                 .join(PRODUCTS, PRODUCTS.c.id == REFUND_LINES.c.product_id)
                 .where(REFUND_LINES.c.refund_id == sa.bindparam("rid")).order_by(REFUND_LINES.c.line_no))


def load_refund(session: Session, refund_id: str) -> RefundDoc:
    conn = session.connection()
    h = conn.execute(_REFUND, {"rid": refund_id}).first()
    if h is None:
        raise NotFound("No refund with id %(id)s.", id=refund_id)
    lines = [RefundLineDoc(r.line_no, r.sale_line_no, r.sku, r.name, r.unit, r.qty, r.unit_price, r.amount)
             for r in conn.execute(_REFUND_LINES, {"rid": refund_id})]
    return RefundDoc(h.id, h.number, h.sale_id, h.sale_number, h.at, h.username, h.reason, h.method, h.total,
                     h.shift_id, lines)
