"""Restock suggestions: what will run out before the next delivery, and how much to ask for.

Built on `inventory.signals` (which owns the reorder point, because the stock list shows it):
a product is suggested when what it has plus what is already on order is at or below its
reorder point; the quantity brings it up to its order-up-to level (lead time plus review
period of cover), rounded up to the supplier's pack size. Products that are not selling
(`slow`, `dead`) are never suggested, whatever their level.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.numbers import Quantity, format_qty
from inventory import signals
from inventory.models import Supplier
from suppliers.models import OPEN_STATUSES, RestockRequest, RestockRequestLine

NEVER_SUGGESTED = ("slow", "dead")


@dataclass(frozen=True)
class Suggestion:
    signal: signals.ProductSignal
    pack_size: Decimal | None
    on_order: Decimal
    suggested_qty: Decimal
    reason: signals.Reason

    @property
    def sku(self) -> str:
        return self.signal.sku

    @property
    def supplier(self) -> str | None:
        return self.signal.supplier


def round_to_pack(qty: Decimal, pack_size: Decimal | None) -> Decimal:
    """Up to a whole number of the supplier's packs; without one, up to a whole unit (kg, litre, sack)."""
    if qty <= 0:
        return Decimal(0)
    step = pack_size or Decimal(1)
    return (qty / step).to_integral_value(ROUND_CEILING) * step


def on_order(session: Session, product_ids: list[int] | None = None) -> dict[int, Decimal]:
    """What open requests still ask for, per product (received quantities deducted, never below zero)."""
    line, req = RestockRequestLine, RestockRequest
    outstanding = sa.case((line.qty > line.received_qty, line.qty - line.received_qty), else_=0)
    stmt = (sa.select(line.product_id, sa.type_coerce(sa.func.sum(outstanding), Quantity))
            .join(req, req.id == line.request_id).where(req.status.in_(OPEN_STATUSES)).group_by(line.product_id))
    if product_ids is not None:
        stmt = stmt.where(line.product_id.in_(product_ids))
    return {pid: qty for pid, qty in session.execute(stmt) if qty}


def _reason(sig: signals.ProductSignal, ordered: Decimal) -> signals.Reason:
    params = {"on_hand": format_qty(sig.on_hand), "unit": sig.unit, "rop": format_qty(sig.reorder_point),
              "up_to": format_qty(sig.order_up_to), "rate": signals.rate_text(sig.current.daily_qty),
              "lead": sig.lead_time_days, "on_order": format_qty(ordered)}
    if ordered:
        template = signals.N_("%(on_hand)s %(unit)s on hand and %(on_order)s on order, at or below the reorder point "
                              "%(rop)s (sells %(rate)s/day, delivery takes %(lead)s days); order up to %(up_to)s")
    else:
        template = signals.N_("%(on_hand)s %(unit)s on hand, at or below the reorder point %(rop)s (sells %(rate)s/day, "
                              "delivery takes %(lead)s days); order up to %(up_to)s")
    return signals.Reason(template, params)


def suggest(sig: signals.ProductSignal, ordered: Decimal, pack: Decimal | None) -> Suggestion | None:
    """The suggestion for one product, or None (enough stock, enough on order, or not selling)."""
    if sig.status in NEVER_SUGGESTED:
        return None
    have = max(sig.on_hand, Decimal(0)) + ordered
    if have > sig.reorder_point or sig.order_up_to <= 0:
        return None
    qty = round_to_pack(sig.order_up_to - have, pack)
    if qty <= 0:
        return None
    return Suggestion(sig, pack, ordered, qty, _reason(sig, ordered))


def suggestions(session: Session, *, supplier: str | None = None, as_of: date | None = None,
                now: datetime | None = None, product_ids: list[int] | None = None,
                computed: list[signals.ProductSignal] | None = None) -> list[Suggestion]:
    """Per supplier, what to order now, the shortest cover first (`computed`: signals already at hand)."""
    sigs = computed if computed is not None else signals.compute(session, as_of=as_of, now=now, product_ids=product_ids)
    if supplier is not None:
        sigs = [s for s in sigs if s.supplier == supplier]
    ordered = on_order(session, product_ids)
    packs = dict(session.execute(sa.select(Supplier.code, Supplier.pack_size)).all())
    out = [s for s in (suggest(sig, ordered.get(sig.product_id, Decimal(0)), packs.get(sig.supplier))
                       for sig in sigs) if s is not None]
    return sorted(out, key=lambda s: (s.supplier or "", s.signal.days_of_cover or 0.0, s.sku))


def by_supplier(items: list[Suggestion]) -> dict[str | None, list[Suggestion]]:
    grouped: dict[str | None, list[Suggestion]] = defaultdict(list)
    for item in items:
        grouped[item.supplier].append(item)
    return dict(grouped)
