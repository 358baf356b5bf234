"""The audit log: who did what, when, written in the same transaction as the change it records.

Services call `record(session, action, subject, details, user_id=...)` once, after their checks and
before they return: a refused action raises before it and leaves no row; a change that rolls back
takes its row with it. Nothing in the app updates or deletes a row (the database refuses both).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.db import utcnow
from gerai.models import AuditEntry, User

AUDIT = AuditEntry.__table__
USERS = User.__table__


def N_(text: str) -> str:  # noqa: N802 (marks a label for extraction; translated where it is shown)
    return text


#: Every action the log knows, with its label on the manager's page (translated there).
ACTIONS = {
    "refund": N_("Refund"),
    "discount_sale": N_("Sale below the catalog price"),
    "price_change": N_("Price or HET change"),
    "stock_count": N_("Stock count adjustment"),
    "write_off": N_("Write-off"),
    "user_create": N_("User created"),
    "user_password": N_("Password changed"),
    "user_change": N_("Role or active changed"),
}
COMMAND_LINE = "(command line)"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def record(session: Session, action: str, subject: str, details: dict[str, Any], *, user_id: int | None = None,
           username: str | None = None, at: datetime | None = None) -> None:
    """One audit row, on the session's connection (its transaction). Without a user: the command line."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    conn = session.connection()
    if username is None:
        username = COMMAND_LINE if user_id is None else (
            conn.execute(sa.select(USERS.c.username).where(USERS.c.id == user_id)).scalar() or "")
    conn.execute(AUDIT.insert(), {"at": at or utcnow(), "user_id": user_id, "username": username[:64],
                                  "action": action, "subject": str(subject)[:120],
                                  "details": json.loads(json.dumps(details, default=_plain))})


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{"before": {...}, "after": {...}} of the keys whose value differs."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {"before": {k: before.get(k) for k in keys}, "after": {k: after[k] for k in keys}}


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    total: int


def entries(session: Session, *, action: str | None = None, since: datetime | None = None,
            until: datetime | None = None, page: int = 1, per_page: int = 50) -> Page:
    """Newest first, filtered by action and by time (`since` <= at < `until`)."""
    where = []
    if action:
        where.append(AuditEntry.action == action)
    if since is not None:
        where.append(AuditEntry.at >= since)
    if until is not None:
        where.append(AuditEntry.at < until)
    total = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(*where)) or 0
    rows = session.scalars(sa.select(AuditEntry).where(*where).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    return Page(list(rows), total)
