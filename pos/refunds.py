"""Refunds: a new document that takes goods back into stock; the sale is never edited.

Never more than was sold (counting earlier refunds of the same sale, which the sale row's lock
keeps in order); the money is each sale line's own price, and the refund that completes a
line returns exactly what is left of that line's amount, so rounding never gives back a Rupiah
more than was paid. A quota'd product's quota is given back, and an LPG refill hands the
buyer's empty cylinder back.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai import audit, outbox
from gerai.db import lock_rows, utcnow, writing
from gerai.errors import Conflict, Invalid
from gerai.numbers import format_qty, qty_str
from inventory.empties import EmptySpec, post_empties
from inventory.ledger import MovementSpec, post_movements
from inventory.models import Product
from inventory.rules import check_qty_for_unit
from pos import counters
from pos.documents import LineDoc, RefundDoc, SaleNotFound, load_refund, load_sale
from pos.models import PAYMENT_METHODS, QuotaRecord, Refund, RefundLine, Sale
from pos.sales import amount_of
from pos.shifts import charge_refund

REFUNDS, REFUND_LINES, SALES, QUOTA = Refund.__table__, RefundLine.__table__, Sale.__table__, QuotaRecord.__table__


class RefundExceedsSale(Conflict):
    reason = "refund_exceeds_sale"
    template = "Only %(left)s %(unit)s of %(name)s can still be refunded on this sale (sold %(sold)s)."


class RefundIdReused(Conflict):
    reason = "refund_id_reused"
    template = "Refund %(id)s was already recorded with different content; a new refund needs a new id."


@dataclass(frozen=True)
class RefundIn:
    id: str
    reason: str
    lines: tuple[tuple[str, Decimal], ...]  # (sku, qty)
    method: str = "cash"


@dataclass(frozen=True)
class Part:
    """Part of one sale line being refunded."""

    line: LineDoc
    qty: Decimal
    amount: int
    empties: Decimal


def refund_fingerprint(sale_id: str, refund: RefundIn, key: bytes) -> str:
    body = [refund.id, sale_id, refund.reason, refund.method, [[sku, qty_str(q)] for sku, q in refund.lines]]
    return hmac.new(key, json.dumps(body, separators=(",", ":")).encode(), hashlib.sha256).hexdigest()


def refund_sale(session: Session, sale_id: str, refund: RefundIn, user_id: int, *, fingerprint: str,
                at: datetime | None = None) -> tuple[RefundDoc, bool]:
    """(the refund, created?): a retry with the same id and body answers the stored refund."""
    try:
        with writing(session):  # the write lock for the refund alone; the answer is read after it
            conn = session.connection()
            head = conn.execute(lock_rows(sa.select(SALES.c.id, SALES.c.shift_id, SALES.c.buyer_nik_hash)
                                          .where(SALES.c.id == sale_id), session)).first()
            if head is None:
                raise SaleNotFound(id=sale_id)
            # after the sale's lock: a concurrent retry of this refund has committed or rolled back by now
            stored = conn.execute(sa.select(REFUNDS.c.fingerprint, REFUNDS.c.sale_id)
                                  .where(REFUNDS.c.id == refund.id)).first()
            if stored is not None:
                if stored.sale_id != sale_id or not hmac.compare_digest(stored.fingerprint, fingerprint):
                    raise RefundIdReused(field="id", id=refund.id)
                return load_refund(session, refund.id), False
            _record(session, head, refund, user_id, fingerprint, at or utcnow())
            session.commit()
        return load_refund(session, refund.id), True
    finally:
        session.rollback()


def _record(session: Session, head, refund: RefundIn, user_id: int, fp: str, at: datetime) -> None:
    if not refund.reason.strip():
        raise Invalid("Say why the goods come back.", field="reason")
    if refund.method not in PAYMENT_METHODS:
        raise Invalid("Unknown payment method %(m)s.", field="method", m=refund.method)
    conn = session.connection()
    parts = allocate(load_sale(session, head.id).lines, refund.lines)
    total = sum(p.amount for p in parts)
    shift_id = charge_refund(conn, user_id, head.shift_id, total, total if refund.method == "cash" else 0)
    number = counters.next_value(conn, "refund")
    conn.execute(REFUNDS.insert(), {"id": refund.id, "number": number, "sale_id": head.id, "at": at, "user_id": user_id,
                                    "shift_id": shift_id, "reason": refund.reason.strip()[:200], "method": refund.method,
                                    "total": total, "fingerprint": fp})
    posted = post_movements(session, [MovementSpec(p.line.product_id, p.qty, "refund", unit_price=p.line.unit_price)
                                      for p in parts], at=at,
                            source_type="refund", source_id=refund.id, reference=f"refund {number}", user_id=user_id)
    conn.execute(REFUND_LINES.insert(), [
        {"refund_id": refund.id, "line_no": i + 1, "sale_id": head.id, "sale_line_no": p.line.line_no,
         "product_id": p.line.product_id, "qty": p.qty, "unit_price": p.line.unit_price, "amount": p.amount,
         "movement_id": m.movement_id} for i, (p, m) in enumerate(zip(parts, posted))])
    _give_back(session, head.buyer_nik_hash, parts, refund.id, number, user_id, at)
    audit.record(session, "refund", head.id, {"refund_id": refund.id, "number": number, "reason": refund.reason.strip()[:200],
                                              "method": refund.method, "total": total,
                                              "lines": [[p.line.sku, p.qty, p.amount] for p in parts]}, user_id=user_id, at=at)
    outbox.emit(session, "refund", {"refund_id": refund.id, "sale_id": head.id, "at": outbox.iso(at), "total": total,
                                    "lines": [{"sku": p.line.sku, "qty": qty_str(p.qty), "amount": p.amount}
                                              for p in parts]}, at)


def _give_back(session: Session, nik_hash: str | None, parts: list[Part], refund_id: str, number: int, user_id: int,
               at: datetime) -> None:
    """The buyer's quota and (LPG) empty cylinders go back with the goods."""
    if nik_hash:
        quota_ids = set(session.scalars(sa.select(Product.id).where(
            Product.id.in_({p.line.product_id for p in parts}), Product.quota_qty.is_not(None))))
        rows = [{"product_id": p.line.product_id, "nik_hash": nik_hash, "qty": -p.qty, "at": at, "refund_id": refund_id}
                for p in parts if p.line.product_id in quota_ids]
        if rows:
            session.connection().execute(QUOTA.insert(), rows)
    empties = [EmptySpec(p.line.product_id, -p.empties) for p in parts if p.empties]
    if empties:
        post_empties(session, empties, kind="refund", at=at, source_type="refund", source_id=refund_id,
                     reference=f"refund {number}", user_id=user_id)


def _empties_back(line: LineDoc, qty: Decimal) -> Decimal:
    """Cylinders that stay sold keep their empties first: give back what no longer has a sale behind it."""
    if not line.empties_returned:
        return Decimal(0)

    def given(refunded: Decimal) -> Decimal:
        return max(Decimal(0), line.empties_returned - (line.qty - refunded))

    return given(line.refunded_qty + qty) - given(line.refunded_qty)


def allocate(lines: list[LineDoc], wanted: tuple[tuple[str, Decimal], ...]) -> list[Part]:
    """Spread each requested (sku, qty) over the sale's lines of that product, first line first."""
    if not wanted:
        raise Invalid("Give at least one line.", field="lines")
    per_sku: dict[str, tuple[int, Decimal]] = {}
    for i, (sku, qty) in enumerate(wanted):
        mine = [ln for ln in lines if ln.sku == sku]
        if not mine:
            raise Invalid("%(sku)s is not on this sale.", field=f"lines.{i}.sku", sku=sku)
        check_qty_for_unit(qty, mine[0].unit, f"lines.{i}.qty")
        first, so_far = per_sku.get(sku, (i, Decimal(0)))
        per_sku[sku] = (first, so_far + qty)
    parts: list[Part] = []
    for sku, (i, qty) in per_sku.items():
        mine = [ln for ln in lines if ln.sku == sku]
        left = sum(ln.qty - ln.refunded_qty for ln in mine)
        if qty > left:
            raise RefundExceedsSale(field=f"lines.{i}.qty", left=format_qty(left), unit=mine[0].unit, name=mine[0].name,
                                    sold=format_qty(sum(ln.qty for ln in mine)))
        parts.extend(_take(mine, qty))
    return parts


def _take(lines: list[LineDoc], qty: Decimal) -> list[Part]:
    parts = []
    for ln in lines:
        share = min(qty, ln.qty - ln.refunded_qty)
        if share <= 0:
            continue
        completes = ln.refunded_qty + share == ln.qty
        amount = ln.amount - ln.refunded_amount if completes else amount_of(ln.unit_price, share)
        parts.append(Part(ln, share, amount, _empties_back(ln, share)))
        qty -= share
        if qty == 0:
            break
    return parts
