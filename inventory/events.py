"""Inventory announces what happened; packages built on it (suppliers) listen.

`inventory` must not import `suppliers` (STYLE.md: one direction of imports), yet a goods
receipt that names a restock request has to update that request in the same transaction,
and a sale that takes stock below its reorder point may raise a request. So inventory's
services announce events on the session, and listeners registered on the `Database` at app
start (`listen(db, ...)`) run inside the announcing service's transaction: a listener that
raises a DomainError refuses the whole change. Listeners live on the Database, not in a
module-level registry, so a test's database has exactly the listeners its test installed.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy.orm import Session

STOCK_POSTED = "stock_posted"  # listener(session, changes: list[LevelChange], at: datetime)
GOODS_RECEIVED = "goods_received"  # listener(session, document: StockDocument)


@dataclass(frozen=True)
class LevelChange:
    product_id: int
    before: Decimal
    after: Decimal


def listen(db: Any, name: str, listener: Callable[..., None]) -> None:
    """Register `listener` for event `name` on every session of `db` (a gerai.db.Database); idempotent."""
    registered = db.session_info.setdefault("listeners", {}).setdefault(name, [])
    if listener not in registered:
        registered.append(listener)


def has_listeners(session: Session, name: str) -> bool:
    return bool(session.info.get("listeners", {}).get(name))


def announce(session: Session, name: str, **payload: Any) -> None:
    for listener in session.info.get("listeners", {}).get(name, ()):
        listener(session, **payload)
