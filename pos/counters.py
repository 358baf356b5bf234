"""Gapless counters (receipt and refund numbers) in the caller's transaction.

`INSERT ... ON CONFLICT DO UPDATE ... RETURNING` takes the counter row's lock (PostgreSQL) and
hands out the next value in one round trip; if the transaction rolls back, so does the
increment, so no number is ever skipped or given twice. SQLite serialises writers already.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gerai.fastsql import Prepared
from pos.models import Counter

COUNTERS = Counter.__table__


def _upsert(insert) -> sa.Insert:
    stmt = insert(COUNTERS).values(name=sa.bindparam("p_name"), value=1)
    return stmt.on_conflict_do_update(index_elements=[COUNTERS.c.name],
                                      set_={"value": COUNTERS.c.value + 1}).returning(COUNTERS.c.value)


_NEXT = {"sqlite": Prepared(_upsert(sqlite.insert)), "postgresql": Prepared(_upsert(postgresql.insert))}


def next_value(conn: sa.Connection, name: str) -> int:
    """The next number of sequence `name` (1 first); locked until the transaction ends."""
    return int(_NEXT[conn.dialect.name].scalar(conn, {"p_name": name}))


def current_value(conn: sa.Connection, name: str) -> int:
    return int(conn.execute(sa.select(COUNTERS.c.value).where(COUNTERS.c.name == name)).scalar() or 0)
