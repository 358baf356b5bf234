"""Restock requests: draft -> submitted -> dispatched -> (partially_)received, or cancelled.

Created by hand or from the suggestions, idempotent by the client's UUID (the same body
again answers with the stored request; another body under the same id is a conflict).
Goods receipts that name a request are recorded against it by a listener on inventory's
`goods_received` event, inside the receipt's own transaction: a receipt against an unknown
or closed request is refused whole. Every change leaves a history row.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gerai import outbox
from gerai.db import lock_rows, transactional, utcnow
from gerai.errors import Conflict, Invalid, NotFound
from gerai.numbers import qty_str
from inventory import events
from inventory.catalog import ProductNotFound
from inventory.models import Product, StockDocument, StockDocumentLine, Supplier
from inventory.rules import check_qty_for_unit
from suppliers.models import OPEN_STATUSES, REQUEST_STATUSES, RestockRequest, RestockRequestEvent, RestockRequestLine

CANCELLABLE = ("draft", "submitted", "dispatched", "partially_received")


class RequestNotFound(NotFound):
    reason = "unknown_restock_request"
    template = "No restock request %(id)s."


class WrongRequestState(Conflict):
    reason = "restock_request_state"
    template = "Restock request %(id)s is %(status)s; it cannot change like this."


class NotADraft(WrongRequestState):
    template = "Restock request %(id)s is %(status)s; only a draft can be submitted."


class NotCancellable(WrongRequestState):
    template = "Restock request %(id)s is %(status)s; it can no longer be cancelled."


class NotSubmitted(WrongRequestState):
    template = "Restock request %(id)s is %(status)s; only a submitted request can be dispatched."


class NotOpen(WrongRequestState):
    template = "Restock request %(id)s is %(status)s; goods can no longer be received against it."


def fingerprint(supplier: str, lines: list[dict[str, Any]], note: str) -> str:
    body = {"supplier": supplier, "lines": [[ln["sku"], qty_str(ln["qty"])] for ln in lines], "note": note}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _history(req: RestockRequest, status: str, user_id: int | None, note: str = "", at: datetime | None = None,
             document_id: int | None = None) -> None:
    req.status = status
    req.updated_at = at or utcnow()
    req.history.append(RestockRequestEvent(at=req.updated_at, status=status, user_id=user_id, note=note[:500],
                                           stock_document_id=document_id))


def _lines(session: Session, supplier: str, lines: list[dict[str, Any]]) -> list[RestockRequestLine]:
    if not lines:
        raise Invalid("Give at least one line.", field="lines")
    skus = {ln["sku"] for ln in lines}
    products = {p.sku: p for p in session.scalars(sa.select(Product).where(Product.sku.in_(skus)))}
    out, seen = [], set()
    for i, ln in enumerate(lines):
        product = products.get(ln["sku"])
        if product is None:
            raise ProductNotFound(field=f"lines.{i}.sku", sku=ln["sku"])
        if product.id in seen:
            raise Invalid("%(sku)s is listed twice.", field=f"lines.{i}.sku", sku=product.sku)
        if product.supplier_code and product.supplier_code != supplier:
            raise Invalid("%(sku)s comes from %(theirs)s, not %(supplier)s.", field=f"lines.{i}.sku", sku=product.sku,
                          theirs=product.supplier_code, supplier=supplier)
        check_qty_for_unit(ln["qty"], product.unit, f"lines.{i}.qty")
        seen.add(product.id)
        out.append(RestockRequestLine(product=product, product_id=product.id, position=i, qty=ln["qty"]))
    return out


def create_request(session: Session, request_id: str, supplier: str, lines: list[dict[str, Any]], *, note: str = "",
                   user_id: int | None = None, auto: bool = False, draft: bool = False,
                   at: datetime | None = None) -> tuple[RestockRequest, bool]:
    """(the request, True if it was created now). Commits; a repeat with the same body changes nothing."""
    try:
        return _create(session, str(request_id), supplier, lines, note=note, user_id=user_id, auto=auto, draft=draft,
                       at=at)
    except IntegrityError:  # another writer created the same id between our check and our insert
        session.rollback()
        return _create(session, str(request_id), supplier, lines, note=note, user_id=user_id, auto=auto, draft=draft,
                       at=at)


@transactional
def _create(session: Session, request_id: str, supplier: str, lines: list[dict[str, Any]], *, note: str,
            user_id: int | None, auto: bool, draft: bool, at: datetime | None) -> tuple[RestockRequest, bool]:
    print_ = fingerprint(supplier, lines, note)
    existing = session.get(RestockRequest, request_id)
    if existing is not None:
        if existing.fingerprint != print_:
            raise Conflict("Restock request %(id)s already exists with other content.", field="id", id=request_id)
        return existing, False
    return add_request(session, request_id, supplier, lines, note=note, user_id=user_id, auto=auto, draft=draft,
                       at=at), True


def add_request(session: Session, request_id: str, supplier: str, lines: list[dict[str, Any]], *, note: str = "",
                user_id: int | None = None, auto: bool = False, draft: bool = False,
                at: datetime | None = None) -> RestockRequest:
    """Add a request in the caller's transaction (no commit)."""
    if session.get(Supplier, supplier) is None:
        raise Invalid("No supplier with code %(code)s.", field="supplier", code=supplier)
    at = at or utcnow()
    req = RestockRequest(id=request_id, supplier_code=supplier, status="draft", auto=auto, note=note,
                         fingerprint=fingerprint(supplier, lines, note), user_id=user_id, created_at=at, updated_at=at,
                         lines=_lines(session, supplier, lines), history=[])
    session.add(req)
    _history(req, "draft" if draft else "submitted", user_id, note, at)
    session.flush()
    emit_snapshot(session, req)
    return req


def get_request(session: Session, request_id: str, supplier: str | None = None) -> RestockRequest:
    """One request; `supplier` limits a coordinator to their own supplier's requests."""
    req = session.get(RestockRequest, str(request_id))
    if req is None or (supplier is not None and req.supplier_code != supplier):
        raise RequestNotFound(id=str(request_id))
    return req


def list_requests(session: Session, *, status: str | None = None, supplier: str | None = None,
                  limit: int = 500) -> list[RestockRequest]:
    stmt = sa.select(RestockRequest).order_by(RestockRequest.created_at.desc(), RestockRequest.id).limit(limit)
    if status:
        stmt = stmt.where(RestockRequest.status == status)
    if supplier:
        stmt = stmt.where(RestockRequest.supplier_code == supplier)
    return list(session.scalars(stmt))


def _locked(session: Session, request_id: str) -> RestockRequest:
    req = session.scalar(lock_rows(sa.select(RestockRequest).where(RestockRequest.id == str(request_id)), session))
    if req is None:
        raise RequestNotFound(id=str(request_id))
    return req


@transactional
def submit_request(session: Session, request_id: str, *, user_id: int | None = None) -> RestockRequest:
    req = _locked(session, request_id)
    if req.status != "draft":
        raise NotADraft(id=req.id, status=req.status)
    _history(req, "submitted", user_id)
    emit_snapshot(session, req)
    return req


@transactional
def cancel_request(session: Session, request_id: str, reason: str, *, user_id: int | None = None) -> RestockRequest:
    """Nothing more will come: what was received stays recorded, the rest is no longer on order."""
    req = _locked(session, request_id)
    if req.status not in CANCELLABLE:
        raise NotCancellable(id=req.id, status=req.status)
    req.cancel_reason = reason[:200]
    _history(req, "cancelled", user_id, reason)
    emit_snapshot(session, req)
    return req


@transactional
def dispatch_request(session: Session, request_id: str, lines: list[dict[str, Any]], *, eta: datetime | None = None,
                     user_id: int | None = None, note: str = "") -> RestockRequest:
    """The supplier sends goods (the hub's coordinator): what is on its way, per line."""
    req = _locked(session, request_id)
    if req.status != "submitted":
        raise NotSubmitted(id=req.id, status=req.status)
    by_sku = {ln.sku: ln for ln in req.lines}
    for i, given in enumerate(lines):
        line = by_sku.get(given["sku"])
        if line is None:
            raise Invalid("%(sku)s is not in this request.", field=f"lines.{i}.sku", sku=given["sku"])
        check_qty_for_unit(given["qty"], line.product.unit, f"lines.{i}.qty", positive=False)
        line.dispatched_qty = given["qty"]
    req.eta = eta
    _history(req, "dispatched", user_id, note)
    emit_snapshot(session, req)
    return req


def apply_dispatch(session: Session, request_id: str, lines: list[dict[str, Any]], *, eta: datetime | None = None,
                   dispatch_id: str = "", at: datetime | None = None) -> RestockRequest | None:
    """A dispatch the hub's coordinator made (pulled from the hub), in the caller's transaction: the
    request is dispatched and what is on its way is added per line, so it shows as an expected delivery.
    A second (part) dispatch adds to the first. None for a request this shop does not have, or one
    already cancelled or fully received (nothing is expected any more)."""
    req = session.scalar(lock_rows(sa.select(RestockRequest).where(RestockRequest.id == str(request_id)), session))
    if req is None or req.status not in OPEN_STATUSES:
        return None
    by_sku = {ln.sku: ln for ln in req.lines}
    for given in lines:
        line = by_sku.get(given["sku"])
        if line is None:
            product = session.scalar(sa.select(Product).where(Product.sku == given["sku"]))
            if product is None:
                continue
            line = RestockRequestLine(product=product, product_id=product.id, position=len(req.lines), qty=Decimal(0),
                                      received_qty=Decimal(0))
            req.lines.append(line)
            by_sku[product.sku] = line
        so_far = (line.dispatched_qty or Decimal(0)) + given["qty"]
        if given.get("dispatched_qty") is not None:  # the hub's running total: the same dispatch twice adds nothing
            so_far = max(line.dispatched_qty or Decimal(0), given["dispatched_qty"])
        line.dispatched_qty = so_far
    if eta is not None:
        req.eta = eta
    status = "dispatched" if req.status == "submitted" else req.status
    _history(req, status, None, f"dispatch {dispatch_id}".strip(), at)
    emit_snapshot(session, req)
    return req


def expected_deliveries(session: Session) -> list[dict[str, Any]]:
    """Requests the supplier dispatched and the shop has not fully received: what to receive against
    (the receive-goods page lists them; inventory asks through the app, never importing this package)."""
    reqs = session.scalars(sa.select(RestockRequest).where(RestockRequest.status.in_(("dispatched", "partially_received")))
                           .order_by(RestockRequest.eta.is_(None), RestockRequest.eta, RestockRequest.created_at))
    out = []
    for req in reqs:
        lines = []
        for ln in req.lines:
            coming = (ln.dispatched_qty if ln.dispatched_qty is not None else ln.qty) - ln.received_qty
            if coming > 0:
                lines.append({"sku": ln.sku, "name": ln.product.name, "unit": ln.product.unit, "qty": coming})
        if lines:
            out.append({"id": req.id, "supplier": req.supplier_code, "eta": req.eta, "status": req.status,
                        "created_at": req.created_at, "lines": lines})
    return out


def record_receipt(session: Session, document: StockDocument) -> None:
    """Listener: a goods receipt naming a request records what arrived against what was asked."""
    if not document.restock_request_id:
        return
    req = session.scalar(lock_rows(sa.select(RestockRequest).where(RestockRequest.id == document.restock_request_id),
                                   session))
    if req is None:
        raise Invalid("No restock request %(id)s.", field="restock_request_id", id=document.restock_request_id)
    if req.status not in OPEN_STATUSES:
        raise NotOpen(field="restock_request_id", id=req.id, status=req.status)
    if document.supplier_code is None:
        document.supplier_code = req.supplier_code
    elif document.supplier_code != req.supplier_code:
        raise Invalid("Restock request %(id)s is to %(theirs)s, not %(supplier)s.", field="supplier", id=req.id,
                      theirs=req.supplier_code, supplier=document.supplier_code)
    session.flush()
    received = session.execute(sa.select(StockDocumentLine.product_id, StockDocumentLine.qty)
                               .where(StockDocumentLine.document_id == document.id).order_by(StockDocumentLine.id))
    by_product = {ln.product_id: ln for ln in req.lines}
    for product_id, qty in received:
        line = by_product.get(product_id)
        if line is None:  # came without being asked: recorded as an over-delivery of nothing asked
            line = RestockRequestLine(product=session.get(Product, product_id), product_id=product_id,
                                      position=len(req.lines), qty=Decimal(0), received_qty=Decimal(0))
            req.lines.append(line)
            by_product[product_id] = line
        line.received_qty = line.received_qty + qty
    complete = all(ln.received_qty >= ln.qty for ln in req.lines)
    _history(req, "received" if complete else "partially_received", document.user_id,
             receipt_note(document.reference, req.lines), document.at, document.id)
    emit_snapshot(session, req)


def snapshot(req: RestockRequest) -> dict[str, Any]:
    """The request as the hub keeps it (notes/SYNC.md, `restock_request`)."""
    return {"request_id": req.id, "supplier": req.supplier_code, "status": req.status, "auto": req.auto,
            "note": req.note, "created_at": outbox.iso(req.created_at), "updated_at": outbox.iso(req.updated_at),
            "lines": [{"sku": ln.product.sku, "name": ln.product.name, "unit": ln.product.unit, "qty": qty_str(ln.qty),
                       "dispatched_qty": None if ln.dispatched_qty is None else qty_str(ln.dispatched_qty),
                       "received_qty": qty_str(ln.received_qty)} for ln in req.lines]}


def emit_snapshot(session: Session, req: RestockRequest) -> None:
    """Every change of a request reaches the hub as its full snapshot, in the change's transaction.
    A draft is the shop's own until submitted: the hub hears of it from its submission on."""
    if req.status == "draft" or (req.status == "cancelled" and not any(h.status == "submitted" for h in req.history)):
        return
    outbox.emit(session, "restock_request", snapshot(req), req.updated_at)


def receipt_note(reference: str, lines: list[RestockRequestLine]) -> str:
    """`SJ-7: GULA 10/12, MINYAK 5/4`: received so far against asked, per line."""
    parts = [f"{ln.sku} {_plain(ln.received_qty)}/{_plain(ln.qty)}" for ln in lines]
    return f"{reference}: " + ", ".join(parts) if reference else ", ".join(parts)


def _plain(qty: Decimal) -> str:
    return f"{Decimal(qty).normalize():f}"


def check_status(value: str | None) -> None:
    if value is not None and value not in REQUEST_STATUSES:
        raise Invalid("Unknown status %(status)s.", field="status", status=value)


def install(db: Any) -> None:
    """Called at app start: receipts against requests, and automatic requests when the shop enables them."""
    from suppliers import auto

    events.listen(db, events.GOODS_RECEIVED, record_receipt)
    events.listen(db, events.STOCK_POSTED, auto.raise_auto_requests)
