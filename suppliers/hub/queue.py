"""The coordinators' request queue on the hub: filtered, newest first, a page at a time (keyset), and
the demand still open per product per kabupaten.

Plain Core statements over the hub tables (no ORM objects: a page is a few dozen rows read from
a million). A coordinator's queries always carry its supplier (`supplier=None` only for an admin);
the scope is part of the WHERE clause, never a filter applied afterwards.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.numbers import Quantity
from suppliers.hub.tables import lines_t, outlets_t, requests_t
from suppliers.models import OPEN_STATUSES

HUB_STATUSES = ("submitted", "dispatched", "partially_received", "received", "cancelled")
STATUS_CHOICES = ("open", *HUB_STATUSES)  # `open`: still waiting for goods (submitted .. partially_received)
PAGE_SIZE = 50
NO_SUPPLIER = ""  # a coordinator without a supplier: matches no request (every request names one)


@dataclass(frozen=True)
class QueueFilter:
    supplier: str | None  # None: every supplier (an admin)
    status: str = ""
    provinsi: str = ""
    kabupaten: str = ""
    kecamatan: str = ""
    sku: str = ""
    outlet: str = ""  # the shop's code
    before: tuple[datetime, str] | None = None  # keyset: the last row of the previous page

    def args(self, **overrides: str) -> dict[str, str]:
        """The filter as URL arguments (for links and the CSV export), empty ones left out, `overrides` on top.
        The supplier is an admin's choice (a coordinator's own is ignored in the URL anyway)."""
        keys = ("supplier", "status", "provinsi", "kabupaten", "kecamatan", "sku", "outlet")
        found = {k: getattr(self, k) for k in keys if getattr(self, k)}
        return {k: v for k, v in {**found, **overrides}.items() if v}


def clean_filter(supplier: str | None, args: dict[str, str]) -> QueueFilter:
    """Read the filter from a page's arguments: unknown statuses and a broken cursor are ignored."""
    get = lambda k: (args.get(k) or "").strip()[:120]  # noqa: E731
    status = get("status")
    return QueueFilter(supplier=supplier, status=status if status in STATUS_CHOICES else "",
                       provinsi=get("provinsi"), kabupaten=get("kabupaten"), kecamatan=get("kecamatan"),
                       sku=get("sku"), outlet=get("outlet"), before=parse_cursor(get("before")))


def cursor_of(row) -> str:
    return f"{row.created_at.isoformat()}~{row.id}"


def parse_cursor(text: str) -> tuple[datetime, str] | None:
    at, _, request_id = text.partition("~")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return None
    return (moment, request_id[:36]) if moment.tzinfo is not None and request_id else None


def open_clause():
    """`status IN ('submitted', ...)` with the values written into the SQL: PostgreSQL then matches the
    partial index over open requests (suppliers/hub/indexes.py) whatever plan it keeps for the statement."""
    return requests_t().c.status.in_(sa.bindparam("open_statuses", OPEN_STATUSES, expanding=True, literal_execute=True))


def _status_clause(status: str):
    r = requests_t()
    if status == "open":
        return open_clause()
    return r.c.status == status if status else None


def _where(f: QueueFilter, *, with_status: bool = True) -> list:
    r, o, ln = requests_t(), outlets_t(), lines_t()
    clauses = []
    if f.supplier is not None:
        clauses.append(r.c.supplier == f.supplier)
    if with_status and (clause := _status_clause(f.status)) is not None:
        clauses.append(clause)
    for column in ("provinsi", "kabupaten", "kecamatan"):
        if getattr(f, column):
            clauses.append(o.c[column] == getattr(f, column))
    if f.outlet:
        clauses.append(o.c.code == f.outlet)
    if f.sku:
        clauses.append(sa.exists().where(ln.c.request_id == r.c.id, ln.c.sku == f.sku))
    return clauses


def queue_statement(f: QueueFilter, limit: int) -> sa.Select:
    r, o = requests_t(), outlets_t()
    stmt = (sa.select(r.c.id, r.c.supplier, r.c.status, r.c.auto, r.c.note, r.c.created_at, r.c.updated_at,
                      o.c.code.label("outlet_code"), o.c.name.label("outlet_name"), o.c.kecamatan, o.c.kabupaten,
                      o.c.provinsi)
            .join(o, o.c.id == r.c.outlet_id).where(*_where(f))
            .order_by(r.c.created_at.desc(), r.c.id.desc()).limit(limit))
    if f.before is not None:
        at, request_id = f.before
        stmt = stmt.where(sa.or_(r.c.created_at < at, sa.and_(r.c.created_at == at, r.c.id < request_id)))
    return stmt


@dataclass
class QueuePage:
    rows: list
    lines: dict[str, list]  # request id -> its lines
    next_cursor: str | None


def queue_page(session: Session, f: QueueFilter, size: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue, newest first, with the lines of the requests on it."""
    rows = session.execute(queue_statement(f, size + 1)).all()
    more = len(rows) > size
    rows = rows[:size]
    return QueuePage(rows, request_lines(session, [row.id for row in rows]), cursor_of(rows[-1]) if more else None)


def request_lines(session: Session, request_ids: list[str]) -> dict[str, list]:
    if not request_ids:
        return {}
    ln = lines_t()
    out: dict[str, list] = {rid: [] for rid in request_ids}
    for row in session.execute(sa.select(ln).where(ln.c.request_id.in_(request_ids)).order_by(ln.c.request_id, ln.c.sku)):
        out[row.request_id].append(row)
    return out


def iter_queue(session: Session, f: QueueFilter, chunk: int = 1000):
    """Every request matching the filter (the CSV export), a keyset page at a time."""
    while True:
        page = queue_page(session, f, chunk)
        yield from ((row, page.lines[row.id]) for row in page.rows)
        if page.next_cursor is None:
            return
        f = replace(f, before=(page.rows[-1].created_at, page.rows[-1].id))


def _outstanding(ln):
    dispatched = sa.func.coalesce(ln.c.dispatched_qty, 0)
    return sa.case((ln.c.qty > dispatched, ln.c.qty - dispatched), else_=0)


@dataclass(frozen=True)
class Demand:
    provinsi: str
    kabupaten: str
    sku: str
    name: str
    unit: str
    requests: int
    outlets: int
    requested: Decimal
    dispatched: Decimal
    outstanding: Decimal


def demand(session: Session, f: QueueFilter) -> list[Demand]:
    """Open requests' quantities per product per kabupaten: asked, already dispatched, still to send.

    Only open requests count (the status filter is ignored; area, product and shop filters apply)."""
    r, o, ln = requests_t(), outlets_t(), lines_t()
    as_qty = lambda expr: sa.type_coerce(sa.func.sum(expr), Quantity())  # noqa: E731
    outstanding = as_qty(_outstanding(ln))
    stmt = (sa.select(o.c.provinsi, o.c.kabupaten, ln.c.sku, sa.func.max(ln.c.name).label("name"),
                      sa.func.max(ln.c.unit).label("unit"), sa.func.count(sa.distinct(r.c.id)).label("requests"),
                      sa.func.count(sa.distinct(o.c.id)).label("outlets"), as_qty(ln.c.qty).label("requested"),
                      as_qty(sa.func.coalesce(ln.c.dispatched_qty, 0)).label("dispatched"),
                      outstanding.label("outstanding"))
            .select_from(r.join(o, o.c.id == r.c.outlet_id).join(ln, ln.c.request_id == r.c.id))
            .where(open_clause(), *_where(replace(f, sku=""), with_status=False))
            .group_by(o.c.provinsi, o.c.kabupaten, ln.c.sku)
            .order_by(o.c.provinsi, o.c.kabupaten, outstanding.desc(), ln.c.sku))
    if f.sku:
        stmt = stmt.where(ln.c.sku == f.sku)
    return [Demand(provinsi=row.provinsi or "", kabupaten=row.kabupaten or "", sku=row.sku, name=row.name or "",
                   unit=row.unit or "", requests=row.requests, outlets=row.outlets, requested=row.requested,
                   dispatched=row.dispatched, outstanding=row.outstanding)
            for row in session.execute(stmt)]


def areas(session: Session) -> dict[str, list[str]]:
    """The provinsi, kabupaten and kecamatan names the outlets have (the filter's suggestions)."""
    o = outlets_t()
    return {column: list(session.scalars(sa.select(o.c[column]).where(o.c[column].is_not(None), o.c[column] != "")
                                         .distinct().order_by(o.c[column])))
            for column in ("provinsi", "kabupaten", "kecamatan")}


def get_request(session: Session, request_id: str, supplier: str | None):
    """(the request with its shop, its lines, its dispatches); another supplier's request is not found."""
    from suppliers.hub.tables import table

    r, o, ln, d = requests_t(), outlets_t(), lines_t(), table("hub_dispatches")
    stmt = (sa.select(r, o.c.code.label("outlet_code"), o.c.name.label("outlet_name"), o.c.kecamatan, o.c.kabupaten,
                      o.c.provinsi, o.c.desa).join(o, o.c.id == r.c.outlet_id).where(r.c.id == request_id))
    if supplier is not None:
        stmt = stmt.where(r.c.supplier == supplier)
    row = session.execute(stmt).first()
    if row is None:
        return None
    lines = session.execute(sa.select(ln).where(ln.c.request_id == request_id).order_by(ln.c.sku)).all()
    dispatches = session.execute(sa.select(d).where(d.c.request_id == request_id).order_by(d.c.at)).all()
    return row, lines, dispatches


def outstanding(line) -> Decimal:
    """What is still to send on a line: asked minus dispatched (never below zero)."""
    return max(Decimal(line.qty) - Decimal(line.dispatched_qty or 0), Decimal(0))
