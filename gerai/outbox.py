"""The shop's outbox: every change the hub must hear of, as an event with a gapless per-shop seq.

Services call `emit` / `emit_many` inside the transaction of the change itself, so an event
exists exactly when its change was committed (a refused sale leaves none). The next seq is the
largest one plus one, read under the write lock: SQLite holds one writer at a time (BEGIN
IMMEDIATE), and on PostgreSQL the one `sync_state` row is locked FOR UPDATE first, so two
writers never take the same number and a rolled-back writer leaves no hole.

Plain Core statements run through `gerai.fastsql` (a sale emits eleven events on the till's hot
path). The sync client (suppliers.sync_client) reads the events after `pushed_through`; events
stay after they are pushed. See notes/SYNC.md for the event shapes.
"""
from __future__ import annotations

import json
import random
import time
from datetime import datetime
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, Session, mapped_column

from gerai.db import Base, UTCDateTime
from gerai.fastsql import Prepared

STATE_ID = 1


class OutboxEvent(Base):
    """One event for the hub, in the order the shop made its changes (seq 1, 2, 3... no gaps)."""

    __tablename__ = "outbox_events"

    seq: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    id: Mapped[str] = mapped_column(sa.String(36), unique=True)  # UUID: the hub recognises a resend by it
    type: Mapped[str] = mapped_column(sa.String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[str] = mapped_column(sa.Text)  # JSON


class SyncState(Base):
    """One row: how far the hub has taken this shop's events, and where its feed was read to."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    pushed_through: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default=sa.text("0"))
    pull_cursor: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default=sa.text("0"))
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_pull_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)


OUTBOX = OutboxEvent.__table__
STATE = SyncState.__table__

_MAX_SEQ = Prepared(sa.select(sa.func.coalesce(sa.func.max(OUTBOX.c.seq), 0)))
_INSERT = Prepared(OUTBOX.insert())
_LOCK_STATE = sa.select(STATE.c.id).where(STATE.c.id == STATE_ID).with_for_update()


def ensure_state(conn: sa.Connection) -> None:
    """The one sync_state row exists (a fresh database, or one whose tables a test emptied)."""
    if conn.execute(sa.select(STATE.c.id).where(STATE.c.id == STATE_ID)).first() is not None:
        return
    values = {"id": STATE_ID, "pushed_through": 0, "pull_cursor": 0}
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(STATE).values(**values).on_conflict_do_nothing())
    else:
        conn.execute(sa.insert(STATE).prefix_with("OR IGNORE").values(**values))


def lock(conn: sa.Connection) -> None:
    """Hold the outbox's write lock for the rest of the transaction (PostgreSQL: the state row;
    SQLite: its one write lock is already held since BEGIN IMMEDIATE)."""
    if conn.dialect.name == "sqlite":
        return
    if conn.execute(_LOCK_STATE).first() is None:
        ensure_state(conn)
        conn.execute(_LOCK_STATE)


def new_ids(count: int) -> list[str]:
    """Time-ordered UUIDs (version 7: milliseconds since 1970, then random bits): the unique index
    on `id` grows at its end as seq does, instead of taking a random page per event (a sale writes
    eleven). One random draw per call, the ids of a call consecutive after it; written out by hand
    (`uuid.UUID` and `os.urandom` per id cost more than the rest of an event)."""
    ms = (time.time_ns() // 1_000_000) << 80 | 0x7 << 76 | 0b10 << 62
    rand = _random.getrandbits(73)  # 12 bits + 62 bits, one spare for the counter to carry into
    out = []
    for i in range(count):
        r = rand + i
        h = f"{ms | (r >> 62 & 0xFFF) << 64 | r & _LOW62:032x}"
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def new_id() -> str:
    return new_ids(1)[0]


_random = random.Random()  # uniqueness, not secrecy: seeded from os.urandom
_LOW62 = (1 << 62) - 1
encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode  # one encoder, not one per event


def emit_many(session: Session, events: Iterable[tuple[str, dict[str, Any] | str]], at: datetime) -> list[int]:
    """Append (type, data) events at time `at` in the caller's transaction; their seqs, in order.
    `data` is a dict, or its JSON text already written (the ledger's movements)."""
    events = list(events)
    if not events:
        return []
    conn = session.connection()
    lock(conn)
    last = _MAX_SEQ.scalar(conn)
    ids = new_ids(len(events))
    rows = [{"seq": last + i, "id": ids[i - 1], "type": type_, "at": at,
             "data": data if isinstance(data, str) else encode(data)}
            for i, (type_, data) in enumerate(events, start=1)]
    _INSERT.executemany(conn, rows)
    return [row["seq"] for row in rows]


def emit(session: Session, type_: str, data: dict[str, Any], at: datetime) -> int:
    """Append one event in the caller's transaction; its seq."""
    return emit_many(session, [(type_, data)], at)[0]


def iso(at: datetime | None) -> str | None:
    """Times in events: ISO 8601 in UTC."""
    return None if at is None else at.isoformat()


# --- reading and renumbering (the sync client) ------------------------------------------------

def last_seq(conn: sa.Connection) -> int:
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(OUTBOX.c.seq), 0))).scalar_one()


def events_after(conn: sa.Connection, seq: int, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` events after `seq`, as the push body carries them."""
    rows = conn.execute(sa.select(OUTBOX.c.id, OUTBOX.c.seq, OUTBOX.c.type, OUTBOX.c.at, OUTBOX.c.data)
                        .where(OUTBOX.c.seq > seq).order_by(OUTBOX.c.seq).limit(limit))
    return [{"id": r.id, "seq": r.seq, "type": r.type, "at": iso(r.at), "data": json.loads(r.data)} for r in rows]


def renumber_after(conn: sa.Connection, kept_through: int, follow: int) -> int:
    """Move every event after `kept_through` to follow `follow` (seq kept_through+1 -> follow+1...),
    in order and without gaps; the caller holds the lock (`lock`). Two steps through negative
    numbers: a single `seq = seq + n` could meet a row not moved yet under the primary key.
    Returns how many events moved."""
    delta = follow - kept_through
    if delta == 0:
        return 0
    moved = conn.execute(OUTBOX.update().where(OUTBOX.c.seq > kept_through)
                         .values(seq=-(OUTBOX.c.seq + delta))).rowcount
    conn.execute(OUTBOX.update().where(OUTBOX.c.seq < 0).values(seq=-OUTBOX.c.seq))
    return moved
