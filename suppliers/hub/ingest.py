"""Ingest: a batch of an outlet's events applied exactly once, in order (notes SYNC.md "Push").

`check_batch` reads and checks a push body (every bad field is a 422 naming it, before anything
is written); `push` runs the protocol in one transaction: the outlet's row is locked, events at
or below `accepted_through` are recognised as duplicates (or refused as a sequence conflict), the
run of events that follows `accepted_through` without a gap is recorded in `hub_events` and
applied, stopping at the first gap.

Built for volume: no ORM objects per event; one statement per table per batch (executemany, or
COPY on PostgreSQL for the append-only tables); the month partitions a batch needs are made
before its transaction when missing.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Callable
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from gerai.db import transactional, utcnow
from gerai.errors import Conflict, Invalid
from gerai.numbers import MONEY_MAX, Quantity, QuantityError, from_milli, parse_qty, to_milli
from suppliers.hub import partitions
from suppliers.hub.models import (HubEvent, HubMovement, HubOutlet, HubRequest, HubRequestLine, HubSale,
                                  HubSalesDaily, HubStock)

MAX_EVENTS = 1000
MAX_SEQ = 2**62
STATUS_RANK = {"submitted": 0, "dispatched": 1, "partially_received": 2, "received": 3}
SNAPSHOT_STATUSES = ("draft", *STATUS_RANK, "cancelled")  # draft: not yet asked of anybody, not applied


class BadField(Invalid):
    template = "%(name)s is not valid: %(expected)s."

    def __init__(self, field: str, expected: str) -> None:
        super().__init__(field=field, name=field, expected=expected)


class SequenceConflict(Conflict):
    reason = "sequence_conflict"
    template = ("Event %(seq)s differs from the event the hub accepted under that number (the shop was restored "
                "from an older backup?); renumber the events after %(accepted_through)s and send them again.")

    def __init__(self, seq: int, accepted_through: int) -> None:
        super().__init__(seq=seq, accepted_through=accepted_through)
        self.accepted_through = accepted_through


@dataclass(slots=True)
class Event:
    id: str
    seq: int
    type: str
    at: datetime
    data: dict


# --- checking a body -------------------------------------------------------------------------

def _str(d: dict, key: str, where: str, max_len: int, *, required: bool = True, empty: bool = True) -> str:
    value = d.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or len(value) > max_len or (not empty and not value):
        raise BadField(f"{where}.{key}", f"a text of at most {max_len} characters")
    return value


def _int(d: dict, key: str, where: str, lo: int = -MONEY_MAX, hi: int = MONEY_MAX) -> int:
    value = d.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise BadField(f"{where}.{key}", f"a whole number from {lo} to {hi}")
    return value


def _qty(d: dict, key: str, where: str, *, nullable: bool = False) -> Decimal | None:
    value = d.get(key)
    if value is None and nullable:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise BadField(f"{where}.{key}", "a quantity written as a decimal string")
    try:
        return parse_qty(value)
    except QuantityError:
        raise BadField(f"{where}.{key}", "a quantity with at most 3 decimals") from None


_QTY = re.compile(r"(-?)(\d{1,15})(?:\.(\d{1,3}))?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_QTY_MAX_MILLI = 10**15


def _milli(d: dict, key: str, where: str) -> int:
    """A quantity as stored (thousandths): the common `"-2.000"` read without Decimal, anything else checked by it."""
    value = d.get(key)
    if isinstance(value, str):
        m = _QTY.fullmatch(value)
        if m is not None:
            sign, whole, frac = m.groups()
            milli = int(whole) * 1000 + (int(frac.ljust(3, "0")) if frac else 0)
            if milli <= _QTY_MAX_MILLI:
                return -milli if sign else milli
    return to_milli(_qty(d, key, where))


def _time(d: dict, key: str, where: str, *, nullable: bool = False) -> datetime | None:
    value = d.get(key)
    if value is None and nullable:
        return None
    try:
        if not isinstance(value, str) or len(value) > 40:
            raise ValueError
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise BadField(f"{where}.{key}", "an ISO 8601 time with its offset") from None


def _time_again(d: dict, key: str, where: str, known: tuple) -> datetime | None:
    """A time usually equal to the event's own `at` (`known`: its text and value), read once."""
    value = d.get(key)
    if value is not None and value == known[0]:
        return known[1]
    return _time(d, key, where, nullable=True)


def _list(d: dict, key: str, where: str, max_len: int = 1000) -> list:
    value = d.get(key)
    if not isinstance(value, list) or len(value) > max_len:
        raise BadField(f"{where}.{key}", f"a list of at most {max_len} items")
    return value


def _obj(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise BadField(where, "an object")
    return value


def _text_ok(value, max_len: int, *, optional: bool = False) -> bool:
    if value is None:
        return optional
    return type(value) is str and (optional or value != "") and len(value) <= max_len


def _movement(data: dict, w: str, known: tuple) -> dict:
    get = data.get
    if not (_text_ok(get("sku"), 40) and _text_ok(get("kind"), 20) and _text_ok(get("name"), 200, optional=True)
            and _text_ok(get("unit"), 20, optional=True) and _text_ok(get("source_type"), 20, optional=True)):
        for key, max_len, required in (("sku", 40, True), ("kind", 20, True), ("name", 200, False),
                                       ("unit", 20, False), ("source_type", 20, False)):
            _str(data, key, w, max_len, required=required, empty=not required)
    source_id = get("source_id")
    return {"sku": data["sku"], "name": get("name") or "", "unit": get("unit") or "", "kind": data["kind"],
            "qty": _milli(data, "qty", w), "balance_after": _milli(data, "balance_after", w),
            "source_type": get("source_type") or "", "source_id": "" if source_id is None else str(source_id)[:36],
            "at": _time_again(data, "at", w, known)}


def _sale_line_ok(line) -> bool:
    if type(line) is not dict or not _text_ok(line.get("sku"), 40):
        return False
    amount, qty = line.get("amount"), line.get("qty")
    return (type(amount) is int and -MONEY_MAX <= amount <= MONEY_MAX and type(qty) is str
            and _QTY.fullmatch(qty) is not None)


def _sale(data: dict, w: str, known: tuple) -> dict:
    lines = _list(data, "lines", w)
    for i, line in enumerate(lines):
        if not _sale_line_ok(line):
            lw = f"{w}.lines.{i}"
            _str(_obj(line, lw), "sku", lw, 40, empty=False)
            _milli(line, "qty", lw)
            _int(line, "amount", lw)
    return {"sale_id": _str(data, "sale_id", w, 36, empty=False), "number": _int(data, "number", w, 0, 2**62),
            "at": _time_again(data, "at", w, known), "total": _int(data, "total", w),
            "paid": _int(data, "paid", w), "cashier": _str(data, "cashier", w, 64, required=False), "lines": lines}


def _refund(data: dict, w: str, known: tuple) -> dict:
    return {"refund_id": _str(data, "refund_id", w, 36, empty=False), "at": _time_again(data, "at", w, known),
            "total": _int(data, "total", w)}


def _request(data: dict, w: str, known: tuple) -> dict:
    status = data.get("status")
    if status not in SNAPSHOT_STATUSES:
        raise BadField(f"{w}.status", "one of " + ", ".join(SNAPSHOT_STATUSES))
    lines = []
    for i, line in enumerate(_list(data, "lines", w, 500)):
        lw = f"{w}.lines.{i}"
        _obj(line, lw)
        lines.append({"sku": _str(line, "sku", lw, 40, empty=False), "name": _str(line, "name", lw, 200, required=False),
                      "unit": _str(line, "unit", lw, 20, required=False), "qty": _qty(line, "qty", lw),
                      "dispatched_qty": _qty(line, "dispatched_qty", lw, nullable=True) or Decimal(0),
                      "received_qty": _qty(line, "received_qty", lw, nullable=True) or Decimal(0)})
    auto = data.get("auto", False)
    if not isinstance(auto, bool):
        raise BadField(f"{w}.auto", "true or false")
    return {"request_id": _str(data, "request_id", w, 36, empty=False), "supplier": _str(data, "supplier", w, 30, empty=False),
            "status": status, "auto": auto, "note": _str(data, "note", w, 500, required=False),
            "created_at": _time(data, "created_at", w), "updated_at": _time(data, "updated_at", w), "lines": lines}


CHECKERS: dict[str, Callable[[dict, str, tuple], dict]] = {"movement": _movement, "sale": _sale, "refund": _refund,
                                                    "restock_request": _request}


def check_batch(body: Any) -> tuple[str, list[Event]]:
    """The outlet code and the events of a push body, sorted by seq; BadField (422) names what is wrong."""
    body = _obj(body, "body")
    outlet = _str(body, "outlet", "body", 30, empty=False)
    raw = body.get("events")
    if not isinstance(raw, list):
        raise BadField("events", "a list of events")
    if len(raw) > MAX_EVENTS:
        raise BadField("events", f"at most {MAX_EVENTS} events per batch")
    events: dict[int, Event] = {}
    ids: set[str] = set()
    for i, item in enumerate(raw):
        w = f"events.{i}"
        _obj(item, w)
        event_id = item.get("id")
        if not isinstance(event_id, str) or not _UUID.fullmatch(event_id):
            raise BadField(f"{w}.id", "a UUID")
        seq = _int(item, "seq", w, 1, MAX_SEQ)
        kind = _str(item, "type", w, 32, empty=False)
        at = _time(item, "at", w)
        data = _obj(item.get("data"), f"{w}.data")
        checker = CHECKERS.get(kind)
        if checker is not None:
            data = checker(data, f"{w}.data", (item["at"], at))
            if data.get("at", at) is None:
                data["at"] = at
        event = Event(event_id.lower(), seq, kind, at, data)
        seen = events.get(seq)
        if seen is not None:
            if seen.id != event.id:
                raise BadField(f"{w}.seq", "a number no other event of the batch has")
            continue
        if event.id in ids:
            raise BadField(f"{w}.id", "an id no other event of the batch has")
        events[seq] = event
        ids.add(event.id)
    return outlet, [events[s] for s in sorted(events)]


# --- applying a batch ------------------------------------------------------------------------

def _insert(session: Session, model, rows: list[dict]) -> None:
    if rows:
        session.execute(sa.insert(model.__table__), rows)


def _pg_type(column: sa.Column) -> str:
    """The PostgreSQL type a binary COPY sends for a column (quantities go as their BIGINT thousandths)."""
    kind = column.type.impl if isinstance(column.type, sa.types.TypeDecorator) else column.type
    if isinstance(kind, sa.DateTime):
        return "timestamptz"
    if isinstance(kind, sa.BigInteger):
        return "int8"
    if isinstance(kind, sa.Integer):
        return "int4"
    if isinstance(kind, sa.Boolean):
        return "bool"
    return "text"


def _copy(session: Session, model, rows: list[tuple], columns: tuple[str, ...]) -> None:
    """Append-only rows (values as stored: quantities in thousandths): COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":  # binary COPY: psycopg's C dumpers, a third of the text format's CPU
        types = [_pg_type(model.__table__.c[c]) for c in columns]
        with conn.connection.driver_connection.cursor() as cur:
            with cur.copy(f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        return
    table = model.__table__
    milli = [isinstance(table.c[c].type, Quantity) for c in columns]
    session.execute(sa.insert(table), [{c: from_milli(v) if m else v for c, m, v in zip(columns, milli, row)}
                                       for row in rows])


def _among(session: Session, column, values: list):
    """`column IN values` (ids or numbers, no commas): one parameter on PostgreSQL (a statement prepared once),
    a list elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        # one text parameter split by the server: psycopg dumping a 500-item array cost more than the query
        joined = sa.func.string_to_array(sa.bindparam(None, ",".join(map(str, values)), type_=sa.Text), ",")
        return column == sa.any_(sa.cast(joined, ARRAY(column.type)))
    return column.in_(values)


def _upsert(session: Session):
    return (sa.dialects.postgresql.insert if session.get_bind().dialect.name == "postgresql"
            else sa.dialects.sqlite.insert)


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    return a if b is None or a >= b else b


MOVEMENT_COLUMNS = ("outlet_id", "event_id", "at", "sku", "kind", "qty", "balance_after", "source_type", "source_id")
SALE_COLUMNS = ("outlet_id", "sale_id", "at", "number", "total", "paid", "cashier", "lines")


# PostgreSQL: one statement per batch, arrays unnested (executemany sent one statement per row)
_PG_STOCK_UPSERT = sa.text("""
INSERT INTO hub_stock (outlet_id, sku, name, unit, on_hand, last_sold_at, last_movement_at)
SELECT :outlet_id, u.* FROM unnest(CAST(:skus AS text[]), CAST(:names AS text[]), CAST(:units AS text[]),
                                   CAST(:on_hand AS int8[]), CAST(:sold AS timestamptz[]), CAST(:moved AS timestamptz[])) AS u
ON CONFLICT (outlet_id, sku) DO UPDATE SET
  on_hand = excluded.on_hand, last_movement_at = excluded.last_movement_at,
  name = CASE WHEN excluded.name = '' THEN hub_stock.name ELSE excluded.name END,
  unit = CASE WHEN excluded.unit = '' THEN hub_stock.unit ELSE excluded.unit END,
  last_sold_at = CASE WHEN excluded.last_sold_at IS NULL THEN hub_stock.last_sold_at
                      WHEN hub_stock.last_sold_at IS NULL OR excluded.last_sold_at > hub_stock.last_sold_at
                      THEN excluded.last_sold_at ELSE hub_stock.last_sold_at END""")
_PG_DAILY_UPSERT = sa.text("""
INSERT INTO hub_sales_daily (outlet_id, day, sales_count, total)
SELECT :outlet_id, u.* FROM unnest(CAST(:days AS date[]), CAST(:counts AS int4[]), CAST(:totals AS int8[])) AS u
ON CONFLICT (outlet_id, day) DO UPDATE SET sales_count = hub_sales_daily.sales_count + excluded.sales_count,
  total = hub_sales_daily.total + excluded.total""")


def _apply_movements(session: Session, outlet_id: int, events: list[Event]) -> None:
    rows, stock = [], {}
    for ev in events:
        d = ev.data
        rows.append((outlet_id, ev.id, d["at"], d["sku"], d["kind"], d["qty"], d["balance_after"],
                     d["source_type"], d["source_id"]))
        prev = stock.get(d["sku"])
        sold = d["at"] if d["kind"] == "sale" else None
        stock[d["sku"]] = {"outlet_id": outlet_id, "sku": d["sku"], "name": d["name"] or (prev or {}).get("name", ""),
                           "unit": d["unit"] or (prev or {}).get("unit", ""), "on_hand": from_milli(d["balance_after"]),
                           "last_movement_at": d["at"],
                           "last_sold_at": _later(prev and prev["last_sold_at"], sold)}
    _copy(session, HubMovement, rows, MOVEMENT_COLUMNS)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_PG_STOCK_UPSERT, {
            "outlet_id": outlet_id, "skus": list(stock), "names": [r["name"] for r in stock.values()],
            "units": [r["unit"] for r in stock.values()], "on_hand": [to_milli(r["on_hand"]) for r in stock.values()],
            "sold": [r["last_sold_at"] for r in stock.values()],
            "moved": [r["last_movement_at"] for r in stock.values()]})
        return
    insert = _upsert(session)(HubStock.__table__)
    old = HubStock.__table__.c
    ex = insert.excluded
    session.execute(insert.on_conflict_do_update(index_elements=["outlet_id", "sku"], set_={
        "on_hand": ex.on_hand, "last_movement_at": ex.last_movement_at,
        "name": sa.case((ex.name == "", old.name), else_=ex.name),
        "unit": sa.case((ex.unit == "", old.unit), else_=ex.unit),
        "last_sold_at": sa.case((ex.last_sold_at.is_(None), old.last_sold_at),
                                (old.last_sold_at.is_(None), ex.last_sold_at),
                                (ex.last_sold_at > old.last_sold_at, ex.last_sold_at), else_=old.last_sold_at)}),
        list(stock.values()))


def _apply_sales(session: Session, outlet_id: int, sales: list[Event], refunds: list[Event], tz: ZoneInfo
                 ) -> datetime | None:
    rows, daily, last = [], {}, None
    for ev in sales:
        d = ev.data
        rows.append((outlet_id, d["sale_id"], d["at"], d["number"], d["total"], d["paid"], d["cashier"],
                     json.dumps(d["lines"], separators=(",", ":"))))
        day = d["at"].astimezone(tz).date()
        count, total = daily.get(day, (0, 0))
        daily[day] = (count + 1, total + d["total"])
        last = _later(last, d["at"])
    for ev in refunds:
        day = ev.data["at"].astimezone(tz).date()
        count, total = daily.get(day, (0, 0))
        daily[day] = (count, total - ev.data["total"])
    _copy(session, HubSale, rows, SALE_COLUMNS)
    if daily and session.get_bind().dialect.name == "postgresql":
        session.execute(_PG_DAILY_UPSERT, {"outlet_id": outlet_id, "days": list(daily),
                                           "counts": [c for c, _t in daily.values()],
                                           "totals": [t for _c, t in daily.values()]})
    elif daily:
        insert = _upsert(session)(HubSalesDaily.__table__)
        old = HubSalesDaily.__table__.c
        session.execute(insert.on_conflict_do_update(index_elements=["outlet_id", "day"], set_={
            "sales_count": old.sales_count + insert.excluded.sales_count, "total": old.total + insert.excluded.total}),
            [{"outlet_id": outlet_id, "day": day, "sales_count": c, "total": t} for day, (c, t) in daily.items()])
    return last


def merge_status(current: str | None, wanted: str) -> str:
    """A snapshot never moves a request backwards; cancelled is final and only follows submitted."""
    if current is None:
        return wanted
    if current == "cancelled" or wanted == current:
        return current
    if wanted == "cancelled":
        return "cancelled" if current == "submitted" else current
    return wanted if STATUS_RANK[wanted] > STATUS_RANK[current] else current


def _apply_requests(session: Session, outlet_id: int, events: list[Event]) -> None:
    latest: dict[str, dict] = {}
    for ev in events:  # in seq order: the last snapshot of each request wins (statuses merged below)
        d = ev.data
        if d["status"] == "draft":
            continue
        prev = latest.get(d["request_id"])
        if prev is not None:
            d = {**d, "status": merge_status(prev["status"], d["status"])}
        latest[d["request_id"]] = d
    if not latest:
        return
    ids = list(latest)
    existing = {r.id: r for r in session.execute(sa.select(HubRequest.id, HubRequest.outlet_id, HubRequest.status)
                                                 .where(HubRequest.id.in_(ids)).with_for_update())}
    lines_now = {(r.request_id, r.sku): r for r in session.execute(
        sa.select(HubRequestLine.request_id, HubRequestLine.sku, HubRequestLine.dispatched_qty,
                  HubRequestLine.received_qty).where(HubRequestLine.request_id.in_(ids)))}
    new_rows, changed, line_rows = [], [], []
    for rid, d in latest.items():
        row = existing.get(rid)
        if row is not None and row.outlet_id != outlet_id:
            continue  # another outlet's request id: never overwritten by this one
        status = merge_status(row.status if row else None, d["status"])
        values = {"id": rid, "outlet_id": outlet_id, "supplier": d["supplier"], "status": status, "auto": d["auto"],
                  "note": d["note"], "created_at": d["created_at"], "updated_at": d["updated_at"]}
        (changed if row else new_rows).append(values)
        for line in d["lines"]:
            have = lines_now.get((rid, line["sku"]))
            line_rows.append({"request_id": rid, "sku": line["sku"], "name": line["name"], "unit": line["unit"],
                              "qty": line["qty"],
                              "dispatched_qty": max(line["dispatched_qty"], have.dispatched_qty if have else Decimal(0)),
                              "received_qty": max(line["received_qty"], have.received_qty if have else Decimal(0))})
    _insert(session, HubRequest, new_rows)
    if changed:
        t = HubRequest.__table__
        session.execute(sa.update(t).where(t.c.id == sa.bindparam("b_id")).values(
            status=sa.bindparam("status"), auto=sa.bindparam("auto"), note=sa.bindparam("note"),
            supplier=sa.bindparam("supplier"), updated_at=sa.bindparam("updated_at")),
            [{"b_id": v["id"], **{k: v[k] for k in ("status", "auto", "note", "supplier", "updated_at")}}
             for v in changed])
    if line_rows:
        insert = _upsert(session)(HubRequestLine.__table__)
        ex = insert.excluded
        session.execute(insert.on_conflict_do_update(index_elements=["request_id", "sku"], set_={
            "name": ex.name, "unit": ex.unit, "qty": ex.qty, "dispatched_qty": ex.dispatched_qty,
            "received_qty": ex.received_qty}), line_rows)


def _months(events: list[Event]) -> set[tuple[int, int]]:
    return {(ev.data["at"].year, ev.data["at"].month) for ev in events if ev.type in ("movement", "sale")}


def push(session: Session, outlet_id: int, events: list[Event], tz: ZoneInfo, now: datetime | None = None) -> int:
    """Apply a checked batch (sorted by seq) for this outlet in one transaction; returns accepted_through.
    Raises SequenceConflict (nothing of this batch written) when a number already accepted names another event."""
    now = now or utcnow()
    months = _months(events)
    if months and session.get_bind().dialect.name == "postgresql":
        with session.get_bind().begin() as conn:  # DDL outside the batch's transaction, committed at once
            partitions.ensure_months(conn, months)
    return _push(session, outlet_id, events, tz, now)


@transactional
def _push(session: Session, outlet_id: int, events: list[Event], tz: ZoneInfo, now: datetime) -> int:
    lock = sa.select(HubOutlet.accepted_through, HubOutlet.last_sale_at).where(HubOutlet.id == outlet_id)
    if session.get_bind().dialect.name == "postgresql":
        # No wait for the WAL flush: a hub that crashes loses at most its last moment of ingest, all of it
        # still in the shops' outboxes; it then answers a lower accepted_through and the shops resend.
        lock = lock.add_columns(sa.func.set_config("synchronous_commit", "off", True))
    outlet = session.execute(lock.with_for_update()).one()
    accepted = outlet.accepted_through
    old = [ev for ev in events if ev.seq <= accepted]
    if old:
        stored = dict(session.execute(sa.select(HubEvent.seq, HubEvent.event_id).where(
            HubEvent.outlet_id == outlet_id, _among(session, HubEvent.seq, [ev.seq for ev in old]))).all())
        missing = [ev for ev in old if ev.seq not in stored]
        known = set()
        if missing:  # a renumbered event was accepted without a row under its new number
            known = set(session.scalars(sa.select(HubEvent.event_id).where(
                HubEvent.outlet_id == outlet_id, HubEvent.event_id.in_([ev.id for ev in missing]))))
        for ev in old:
            if stored.get(ev.seq, ev.id if ev.id in known else None) != ev.id:
                raise SequenceConflict(ev.seq, accepted)
    run: list[Event] = []
    for ev in events:
        if ev.seq <= accepted:
            continue
        if ev.seq != accepted + len(run) + 1:
            break  # a gap: the shop resends from accepted_through + 1
        run.append(ev)
    if not run:
        session.execute(sa.update(HubOutlet).where(HubOutlet.id == outlet_id).values(last_push_at=now))
        return accepted
    known = set(session.scalars(sa.select(HubEvent.event_id).where(
        HubEvent.outlet_id == outlet_id, _among(session, HubEvent.event_id, [ev.id for ev in run]))))
    fresh = [ev for ev in run if ev.id not in known]  # known under another number: accepted, not applied again
    _copy(session, HubEvent, [(outlet_id, ev.seq, ev.id, ev.type, ev.at, now) for ev in fresh],
          ("outlet_id", "seq", "event_id", "type", "at", "received_at"))
    by_type: dict[str, list[Event]] = {}
    for ev in fresh:
        by_type.setdefault(ev.type, []).append(ev)
    if "movement" in by_type:
        _apply_movements(session, outlet_id, by_type["movement"])
    last_sale = None
    if "sale" in by_type or "refund" in by_type:
        last_sale = _apply_sales(session, outlet_id, by_type.get("sale", []), by_type.get("refund", []), tz)
    if "restock_request" in by_type:
        _apply_requests(session, outlet_id, by_type["restock_request"])
    accepted += len(run)
    values: dict[str, Any] = {"accepted_through": accepted, "last_push_at": now}
    if last_sale is not None and (outlet.last_sale_at is None or last_sale > outlet.last_sale_at):
        values["last_sale_at"] = last_sale
    session.execute(sa.update(HubOutlet).where(HubOutlet.id == outlet_id).values(**values))
    return accepted


def day_of(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()
