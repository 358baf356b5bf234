"""Monthly partitions of the hub's big tables on PostgreSQL (`hub_movements`, `hub_sales`).

Each month is a partition `<table>_yYYYYmMM` for [first of month, first of next month) in UTC,
beside a `<table>_default` partition that catches anything else (a shop whose clock was wrong).
`ensure_partitions` makes the months around today (called by `gerai init` and by the migration);
ingest calls `ensure_months` for the months of a batch it has not seen before. A month whose rows
already sit in the default partition is made by moving them over, in one transaction.

Old months can be detached (`ALTER TABLE hub_movements DETACH PARTITION hub_movements_y2025m01`)
and archived or dropped without touching the rest. SQLite (a test or demo hub) has plain tables.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import sqlalchemy as sa

PARTITIONED = ("hub_movements", "hub_sales")
CHILD_NAME = re.compile(r"^hub_(movements|sales)_(y\d{4}m\d{2}|default)$")
_LOCK_KEY = 7_000_0007  # pg_advisory_xact_lock: one partition maker at a time
_known: set[tuple[str, str, int, int]] = set()  # (database url, table, year, month) known to exist


def is_partition_child(name: str | None) -> bool:
    return bool(name and CHILD_NAME.match(name))


def month_start(year: int, month: int) -> date:
    while month > 12:
        year, month = year + 1, month - 12
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def partition_name(table: str, year: int, month: int) -> str:
    return f"{table}_y{year:04d}m{month:02d}"


def _exists(conn: sa.Connection, name: str) -> bool:
    return conn.exec_driver_sql("SELECT to_regclass(%(n)s) IS NOT NULL", {"n": name}).scalar()


def _make_month(conn: sa.Connection, table: str, year: int, month: int) -> None:
    name = partition_name(table, year, month)
    if _exists(conn, name):
        return
    lo, hi = month_start(year, month), month_start(year, month + 1)
    bounds = f"FROM ('{lo.isoformat()} 00:00:00+00') TO ('{hi.isoformat()} 00:00:00+00')"
    default = f"{table}_default"
    stray = _exists(conn, default) and conn.exec_driver_sql(
        f"SELECT EXISTS (SELECT 1 FROM {default} WHERE at >= %(lo)s AND at < %(hi)s)",
        {"lo": datetime(lo.year, lo.month, 1, tzinfo=timezone.utc),
         "hi": datetime(hi.year, hi.month, 1, tzinfo=timezone.utc)}).scalar()
    if not stray:
        conn.exec_driver_sql(f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES {bounds}")
        return
    # rows of this month already caught by the default partition: move them into the new month
    conn.exec_driver_sql(f"ALTER TABLE {table} DETACH PARTITION {default}")
    conn.exec_driver_sql(f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES {bounds}")
    where = f"at >= '{lo.isoformat()} 00:00:00+00' AND at < '{hi.isoformat()} 00:00:00+00'"
    conn.exec_driver_sql(f"INSERT INTO {name} SELECT * FROM {default} WHERE {where}")
    conn.exec_driver_sql(f"DELETE FROM {default} WHERE {where}")
    conn.exec_driver_sql(f"ALTER TABLE {table} ATTACH PARTITION {default} DEFAULT")


def ensure_months(conn: sa.Connection, months: set[tuple[int, int]]) -> None:
    """Make the partitions of these (year, month)s that are missing, in the caller's transaction."""
    if conn.dialect.name != "postgresql":
        return
    url = str(conn.engine.url)
    missing = {(t, y, m) for t in PARTITIONED for (y, m) in months if (url, t, y, m) not in _known}
    if not missing:
        return
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
    for table, year, month in sorted(missing):
        _make_month(conn, table, year, month)
        _known.add((url, table, year, month))


def ensure_partitions(conn: sa.Connection, today: date | None = None, before: int = 1, after: int = 3) -> None:
    """The months from `before` months ago to `after` months ahead of today."""
    today = today or datetime.now(timezone.utc).date()
    months = {(d.year, d.month) for d in (month_start(today.year, today.month + k) for k in range(-before, after + 1))}
    ensure_months(conn, months)


def forget_known() -> None:
    """Tests that drop and recreate databases: forget which partitions this process saw."""
    _known.clear()
