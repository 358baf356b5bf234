"""Stock use cases: receive goods, count stock (opname), write off. One transaction each.

A client may give a document its own UUID (`client_id`): a retry after a lost answer is then
recognised, like a sale's. The same id with the same content answers the stored document
(`created` False, nothing changed); the same id with other content is refused (409). Under
SQLite's write lock the look-up is final; on PostgreSQL two twins racing both miss it, the second
one's insert waits on the unique index and fails once the first commits, and its one retry finds it.
"""
from __future__ import annotations

import functools
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, ParamSpec

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai import audit
from gerai.db import SERVICE_DEPTH, lock_rows, transactional, utcnow
from gerai.errors import Conflict, Invalid
from gerai.numbers import format_qty, qty_str
from inventory import events
from inventory.catalog import ProductNotFound
from inventory.empties import EmptyCylinderMovement, send_back_empties
from inventory.ledger import MovementSpec, post_movements
from inventory.models import Product, StockDocument, StockDocumentLine, StockLevel, Supplier
from inventory.rules import WRITE_OFF_REASONS, check_qty_for_unit


class DocumentIdReused(Conflict):
    reason = "document_id_reused"
    template = "Stock document %(id)s was already recorded with different content; a new document needs a new id."


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return qty_str(value)
    if isinstance(value, (uuid.UUID, datetime)):
        return str(value)
    raise TypeError(f"not in a stock document: {type(value).__name__}")


def _canonical(value: Any) -> Any:
    """Absent and None are the same (a line without a unit cost); keys in order."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items()) if v is not None}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def fingerprint(kind: str, **body: Any) -> str:
    """Hash of what a stock document says (its kind and the request's fields, quantities normalised)."""
    text = json.dumps([kind, _canonical(body)], default=_plain, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _stored(session: Session, client_id: str | None, fp: str) -> StockDocument | None:
    """The document a retry refers to (marked `created` False), or None: record it now."""
    if client_id is None:
        return None
    doc = session.scalar(sa.select(StockDocument).where(StockDocument.client_id == client_id))
    if doc is None:
        return None
    if doc.fingerprint != fp:
        raise DocumentIdReused(field="id", id=client_id)
    doc.created = False
    doc.empties_returned = [
        {"sku": sku, "qty": -qty} for sku, qty in session.execute(
            sa.select(Product.sku, EmptyCylinderMovement.qty).join(Product, Product.id == EmptyCylinderMovement.product_id)
            .where(EmptyCylinderMovement.source_type == "stock_document",
                   EmptyCylinderMovement.source_id == str(doc.id), EmptyCylinderMovement.kind == "agent_return")
            .order_by(EmptyCylinderMovement.id))]
    return doc


P = ParamSpec("P")


def once(service: Callable[P, StockDocument]) -> Callable[P, StockDocument]:
    """A stock service with a client id: when a concurrent twin committed first (PostgreSQL: the
    unique index refused this one's insert, and the transaction was rolled back), run it once more,
    and it finds the twin. Only as the outermost service: a joined transaction cannot be retried."""

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> StockDocument:
        try:
            return service(*args, **kwargs)
        except sa.exc.IntegrityError:
            session: Session = args[0]  # type: ignore[assignment]
            if kwargs.get("client_id") is None or session.info.get(SERVICE_DEPTH, 0):
                raise
            return service(*args, **kwargs)

    return run


@dataclass(frozen=True)
class Line:
    product: Product
    qty: Decimal
    unit_cost: int | None = None


def _products_by_sku(session: Session, lines: list[dict[str, Any]]) -> dict[str, Product]:
    skus = {line["sku"] for line in lines}
    found = {p.sku: p for p in session.scalars(sa.select(Product).where(Product.sku.in_(skus)))}
    for i, line in enumerate(lines):
        if line["sku"] not in found:
            raise ProductNotFound(field=f"lines.{i}.sku", sku=line["sku"])
    return found


def _resolve(session: Session, lines: list[dict[str, Any]], qty_key: str, positive: bool = True) -> list[Line]:
    if not lines:
        raise Invalid("Give at least one line.", field="lines")
    products = _products_by_sku(session, lines)
    out = []
    for i, line in enumerate(lines):
        product = products[line["sku"]]
        check_qty_for_unit(line[qty_key], product.unit, f"lines.{i}.{qty_key}", positive=positive)
        out.append(Line(product, line[qty_key], line.get("unit_cost")))
    return out


def _new_document(session: Session, kind: str, user_id: int | None, at: datetime, **fields: Any) -> StockDocument:
    doc = StockDocument(kind=kind, user_id=user_id, at=at, **fields)
    doc.created = True
    session.add(doc)
    session.flush()
    return doc


def _post(session: Session, doc: StockDocument, specs: list[MovementSpec], doc_lines: list[StockDocumentLine],
          reference: str) -> None:
    posted = post_movements(session, specs, at=doc.at, source_type="stock_document", source_id=str(doc.id),
                            reference=reference, user_id=doc.user_id) if specs else []
    if len(posted) == len(doc_lines):  # one movement per line (receipts, write-offs)
        for line, p in zip(doc_lines, posted):
            line.movement_id = p.movement_id
    else:  # a count: movements only where the count differs, one line per product
        by_product = {p.product_id: p.movement_id for p in posted}
        for line in doc_lines:
            line.movement_id = by_product.get(line.product_id)
    session.add_all(doc_lines)


@once
@transactional
def receive_goods(session: Session, supplier: str | None, reference: str, lines: list[dict[str, Any]], *,
                  user_id: int | None = None, note: str = "", restock_request_id: str | None = None,
                  at: datetime | None = None, empties_returned: list[dict[str, Any]] | None = None,
                  client_id: str | None = None) -> StockDocument:
    """Goods in from a supplier: one `receipt` movement per line, moving-average cost updated; the
    LPG agent may take empty cylinders back in the same document."""
    fp = fingerprint("receipt", supplier=supplier, reference=reference, lines=lines, note=note,
                     restock_request_id=restock_request_id, empties_returned=empties_returned or [])
    if (stored := _stored(session, client_id, fp)) is not None:
        return stored
    if supplier is not None and session.get(Supplier, supplier) is None:
        raise Invalid("No supplier with code %(code)s.", field="supplier", code=supplier)
    resolved = _resolve(session, lines, "qty")
    doc = _new_document(session, "receipt", user_id, at or utcnow(), supplier_code=supplier, reference=reference,
                        note=note, restock_request_id=restock_request_id, client_id=client_id,
                        fingerprint=fp)
    specs = [MovementSpec(ln.product.id, ln.qty, "receipt", ln.unit_cost, f"lines.{i}.qty") for i, ln in enumerate(resolved)]
    doc_lines = [StockDocumentLine(document_id=doc.id, product_id=ln.product.id, qty=ln.qty, unit_cost=ln.unit_cost)
                 for ln in resolved]
    _post(session, doc, specs, doc_lines, reference or f"receipt #{doc.id}")
    events.announce(session, events.GOODS_RECEIVED, document=doc)  # e.g. against a restock request
    if empties_returned:
        send_back_empties(session, empties_returned, at=doc.at, source_type="stock_document", source_id=str(doc.id),
                          reference=reference or f"receipt #{doc.id}", user_id=user_id, prefix="empties_returned")
    doc.empties_returned = empties_returned or []
    return doc


class CountBelowZero(Conflict):
    reason = "count_below_zero"
    template = ("The sheet showed %(book)s %(unit)s of %(name)s and %(counted)s were counted, but since then stock "
                "went down to %(on_hand)s: the count would leave %(after)s. Count it again.")


@once
@transactional
def count_stock(session: Session, lines: list[dict[str, Any]], *, note: str = "", user_id: int | None = None,
                at: datetime | None = None, client_id: str | None = None) -> StockDocument:
    """Stock opname: one adjustment per product whose count differs from its book quantity.

    A line may carry `book`, the quantity the count sheet showed when it was printed or opened:
    the shop keeps selling while people count, so the adjustment is `counted - book`, applied to
    the level as it is now (the sales since the sheet stay). Without `book` the count replaces the
    current level (`counted - current`). The line's `expected` is the book quantity used."""
    fp = fingerprint("count", lines=lines, note=note)
    if (stored := _stored(session, client_id, fp)) is not None:
        return stored
    resolved = _resolve(session, lines, "counted", positive=False)
    if len({ln.product.id for ln in resolved}) != len(resolved):
        raise Invalid("Each product may be counted once per count sheet.", field="lines")
    sheet = [line.get("book") for line in lines]
    for i, (ln, book) in enumerate(zip(resolved, sheet)):
        if book is not None:
            check_qty_for_unit(book, ln.product.unit, f"lines.{i}.book", positive=False)
    doc = _new_document(session, "count", user_id, at or utcnow(), note=note, client_id=client_id, fingerprint=fp)
    ids = sorted(ln.product.id for ln in resolved)
    current = dict(session.execute(lock_rows(  # in product order, as post_movements locks: never a deadlock
        sa.select(StockLevel.product_id, StockLevel.on_hand).where(StockLevel.product_id.in_(ids))
        .order_by(StockLevel.product_id), session)).all())
    specs, doc_lines = [], []
    for i, (ln, book) in enumerate(zip(resolved, sheet)):
        on_hand = current[ln.product.id]
        expected = on_hand if book is None else book
        diff = ln.qty - expected
        if on_hand + diff < 0:
            raise CountBelowZero(field=f"lines.{i}.counted", name=ln.product.name, unit=ln.product.unit,
                                 book=format_qty(expected), counted=format_qty(ln.qty), on_hand=format_qty(on_hand),
                                 after=format_qty(on_hand + diff))
        if diff != 0:
            specs.append(MovementSpec(ln.product.id, diff, "adjustment", field=f"lines.{i}.counted"))
        doc_lines.append(StockDocumentLine(document_id=doc.id, product_id=ln.product.id, qty=ln.qty, expected=expected))
    _post(session, doc, specs, doc_lines, f"opname #{doc.id}" + (f" {note}" if note else ""))
    if specs:
        audit.record(session, "stock_count", f"opname #{doc.id}", {"note": note, "lines": [
            [ln.product.sku, dl.expected, dl.qty, dl.qty - dl.expected] for ln, dl in zip(resolved, doc_lines)
            if dl.qty != dl.expected]}, user_id=user_id, at=doc.at)
    return doc


@once
@transactional
def write_off(session: Session, reason: str, lines: list[dict[str, Any]], *, note: str = "",
              user_id: int | None = None, at: datetime | None = None, client_id: str | None = None) -> StockDocument:
    """Stock gone (damaged, expired, lost): never more than is on hand."""
    fp = fingerprint("write_off", reason=reason, lines=lines, note=note)
    if (stored := _stored(session, client_id, fp)) is not None:
        return stored
    if reason not in WRITE_OFF_REASONS:
        raise Invalid("The reason must be one of: %(reasons)s.", field="reason", reasons=", ".join(WRITE_OFF_REASONS))
    resolved = _resolve(session, lines, "qty")
    doc = _new_document(session, "write_off", user_id, at or utcnow(), reason=reason, note=note,
                        client_id=client_id, fingerprint=fp)
    specs = [MovementSpec(ln.product.id, -ln.qty, "write_off", field=f"lines.{i}.qty") for i, ln in enumerate(resolved)]
    doc_lines = [StockDocumentLine(document_id=doc.id, product_id=ln.product.id, qty=ln.qty) for ln in resolved]
    _post(session, doc, specs, doc_lines, f"{reason} #{doc.id}")
    audit.record(session, "write_off", f"write-off #{doc.id}", {"reason": reason, "note": note, "lines": [
        [ln.product.sku, ln.qty] for ln in resolved]}, user_id=user_id, at=doc.at)
    return doc
