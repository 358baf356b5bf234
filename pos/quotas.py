"""Per-buyer quotas that hold across every till at once.

Before counting what a buyer (NIK hash) took of a product in the window, the sale upserts
that (product, buyer) row of `quota_holders`: on PostgreSQL the upsert locks the row, so a
second till selling to the same buyer waits until the first commits or rolls back and then
counts its records; on SQLite the write transaction (BEGIN IMMEDIATE) already serialises.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pos.models import QuotaHolder, QuotaRecord
from pos.regulated import Rules, check_quota, quota_window_start

HOLDERS, RECORDS = QuotaHolder.__table__, QuotaRecord.__table__


def _upsert(insert) -> sa.Insert:
    stmt = insert(HOLDERS).values(product_id=sa.bindparam("p_pid"), nik_hash=sa.bindparam("p_nik"),
                                  updated_at=sa.bindparam("p_at"))
    return stmt.on_conflict_do_update(index_elements=[HOLDERS.c.product_id, HOLDERS.c.nik_hash],
                                      set_={"updated_at": stmt.excluded.updated_at})


_LOCK = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}
_BOUGHT = sa.select(sa.func.coalesce(sa.func.sum(RECORDS.c.qty), 0)).where(
    RECORDS.c.product_id == sa.bindparam("p_pid"), RECORDS.c.nik_hash == sa.bindparam("p_nik"),
    RECORDS.c.at >= sa.bindparam("p_since"))


def bought_in_window(conn: sa.Connection, product_id: int, nik_hash: str, since: datetime) -> Decimal:
    return conn.execute(_BOUGHT, {"p_pid": product_id, "p_nik": nik_hash, "p_since": since}).scalar()


def check_quotas(session: Session, lines: list[tuple[Rules, int, Decimal]], nik_hash: str, at: datetime,
                 tz: ZoneInfo) -> None:
    """Lock each quota'd (product, buyer) in product order, then refuse any line past its quota."""
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    rules: dict[int, Rules] = {}
    for rule, product_id, qty in lines:
        if rule.quota_qty is not None and rule.quota_period_days:
            wanted[product_id] += qty
            rules[product_id] = rule
    conn = session.connection()
    for product_id in sorted(wanted):
        conn.execute(_LOCK[conn.dialect.name], {"p_pid": product_id, "p_nik": nik_hash, "p_at": at})
        since = quota_window_start(at, rules[product_id].quota_period_days, tz)
        bought = bought_in_window(conn, product_id, nik_hash, since)
        field = next(f"lines.{i}.qty" for i, (r, pid, _) in enumerate(lines) if pid == product_id)
        check_quota(rules[product_id], bought, wanted[product_id], field)
