"""Restock requests on the hub: listed per supplier (coordinator) or area (monitor), dispatched whole or in part.

A dispatch is recorded in `hub_dispatches`, adds to the lines' `dispatched_qty`, moves a submitted
request to `dispatched`, and goes to the outlet through the feed (`dispatch`), where the shop sees
it as an expected delivery.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.db import transactional, utcnow
from gerai.errors import Conflict, Forbidden, Invalid, NotFound
from gerai.models import User
from gerai.numbers import qty_str
from inventory.rules import check_qty_for_unit
from suppliers.hub import feed
from suppliers.hub.models import HubDispatch, HubOutlet, HubRequest, HubRequestLine

DISPATCHABLE = ("submitted", "dispatched", "partially_received")
MAX_PAGE_SIZE = 200


@dataclass
class Scope:
    """What a user may see: one supplier (coordinator), one area (monitor), or everything (manager, admin)."""

    supplier: str | None = None
    area: str | None = None


def scope_of(user: User) -> Scope:
    if user.role == "coordinator":
        if not user.supplier_code:
            raise Forbidden("Your account belongs to no supplier; ask an admin to set one.")
        return Scope(supplier=user.supplier_code)
    if user.role == "monitor":
        if not user.area:
            raise Forbidden("Your account has no area; ask an admin to set one.")
        return Scope(area=user.area)
    return Scope()


@dataclass
class RequestView:
    id: str
    outlet: str
    outlet_name: str
    kabupaten: str
    provinsi: str
    supplier: str
    status: str
    auto: bool
    note: str
    created_at: datetime
    updated_at: datetime
    lines: list[dict] = field(default_factory=list)
    dispatches: list[dict] = field(default_factory=list)


def _scoped(stmt: sa.Select, scope: Scope) -> sa.Select:
    if scope.supplier is not None:
        stmt = stmt.where(HubRequest.supplier == scope.supplier)
    if scope.area is not None:
        stmt = stmt.where(sa.or_(HubOutlet.kabupaten == scope.area, HubOutlet.provinsi == scope.area))
    return stmt


_COLUMNS = (HubRequest.id, HubOutlet.code, HubOutlet.name, HubOutlet.kabupaten, HubOutlet.provinsi, HubRequest.supplier,
            HubRequest.status, HubRequest.auto, HubRequest.note, HubRequest.created_at, HubRequest.updated_at)


def _lines(session: Session, ids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {i: [] for i in ids}
    for ln in session.execute(sa.select(HubRequestLine).where(HubRequestLine.request_id.in_(ids))
                              .order_by(HubRequestLine.request_id, HubRequestLine.sku)).scalars():
        out[ln.request_id].append({"sku": ln.sku, "name": ln.name, "unit": ln.unit, "qty": ln.qty,
                                   "dispatched_qty": ln.dispatched_qty, "received_qty": ln.received_qty})
    return out


def list_requests(session: Session, scope: Scope, *, status: str | None = None, supplier: str | None = None,
                  page: int = 1, page_size: int = 50) -> tuple[list[RequestView], int]:
    """Requests in scope, newest first, with their lines; and how many there are."""
    if scope.supplier is not None and supplier not in (None, scope.supplier):
        return [], 0
    base = _scoped(sa.select(*_COLUMNS).join(HubOutlet, HubOutlet.id == HubRequest.outlet_id), scope)
    if status:
        base = base.where(HubRequest.status == status)
    if supplier:
        base = base.where(HubRequest.supplier == supplier)
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    rows = session.execute(base.order_by(HubRequest.created_at.desc(), HubRequest.id.desc())
                           .limit(page_size).offset((page - 1) * page_size)).all()
    views = [RequestView(*r) for r in rows]
    lines = _lines(session, [v.id for v in views])
    for v in views:
        v.lines = lines[v.id]
    return views, total


def get_request(session: Session, request_id: str, scope: Scope) -> RequestView:
    row = session.execute(_scoped(sa.select(*_COLUMNS).join(HubOutlet, HubOutlet.id == HubRequest.outlet_id)
                                  .where(HubRequest.id == request_id), scope)).first()
    if row is None:
        raise NotFound("No restock request %(id)s.", id=request_id)
    view = RequestView(*row)
    view.lines = _lines(session, [view.id])[view.id]
    view.dispatches = [{"id": d.id, "at": d.at, "eta": d.eta, "user_id": d.user_id, "lines": json.loads(d.lines)}
                       for d in session.scalars(sa.select(HubDispatch).where(HubDispatch.request_id == request_id)
                                                .order_by(HubDispatch.at, HubDispatch.id))]
    return view


@transactional
def dispatch(session: Session, request_id: str, lines: list[dict[str, Any]], eta: datetime | None, user: User
             ) -> HubDispatch:
    """Send goods against a request (whole or part): only the coordinator of its supplier."""
    if user.role != "coordinator":
        raise Forbidden("Only the supplier's coordinator dispatches restock requests.")
    req = session.scalar(sa.select(HubRequest).where(HubRequest.id == request_id).with_for_update())
    if req is None or req.supplier != user.supplier_code:
        # another supplier's request is not shown to this coordinator at all
        raise NotFound("No restock request %(id)s.", id=request_id)
    if req.status not in DISPATCHABLE:
        raise Conflict("Restock request %(id)s is %(status)s; nothing more can be dispatched.", id=req.id,
                       status=req.status)
    if not lines:
        raise Invalid("Give at least one line.", field="lines")
    have = {ln.sku: ln for ln in session.scalars(sa.select(HubRequestLine).where(
        HubRequestLine.request_id == request_id).with_for_update())}
    seen: set[str] = set()
    sent = []
    for i, given in enumerate(lines):
        sku, qty = given["sku"], Decimal(given["qty"])
        line = have.get(sku)
        if line is None:
            raise Invalid("%(sku)s is not in this request.", field=f"lines.{i}.sku", sku=sku)
        if sku in seen:
            raise Invalid("%(sku)s is given twice.", field=f"lines.{i}.sku", sku=sku)
        seen.add(sku)
        check_qty_for_unit(qty, line.unit, f"lines.{i}.qty")  # more than zero, whole for a whole unit
        left = line.qty - line.dispatched_qty
        if qty > left:
            raise Conflict("Only %(left)s %(unit)s of %(sku)s is still to dispatch, not %(qty)s.",
                           field=f"lines.{i}.qty", left=qty_str(max(left, Decimal(0))), unit=line.unit, sku=sku,
                           qty=qty_str(qty))
        line.dispatched_qty = line.dispatched_qty + qty
        sent.append({"sku": sku, "qty": qty_str(qty), "dispatched_qty": qty_str(line.dispatched_qty)})
    now = utcnow()
    record = HubDispatch(id=str(uuid.uuid4()), request_id=request_id, at=now, eta=eta, user_id=user.id,
                         lines=json.dumps([{"sku": s["sku"], "qty": s["qty"]} for s in sent]))
    session.add(record)
    if req.status == "submitted":
        req.status = "dispatched"
    req.updated_at = now
    feed.append(session, "dispatch", {"request_id": request_id, "dispatch_id": record.id, "supplier": req.supplier,
                                      "eta": eta.isoformat() if eta else None, "lines": sent},
                outlet_id=req.outlet_id, at=now)
    session.flush()
    return record
