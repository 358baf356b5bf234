"""Automatic restock requests: when a movement takes a product across its reorder point.

Off unless the shop turns it on (the `restock_auto` setting, on the dashboard). The check
runs inside the ledger's transaction (a listener on `stock_posted`), and costs one indexed
read of the setting per movement that lowered stock; only when it is on are the few moved
products' signals computed.
"""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.db import transactional, utcnow
from gerai.fastsql import Prepared
from gerai.models import AppSetting
from gerai.numbers import format_qty
from inventory.events import LevelChange
from suppliers import restock
from suppliers.requests import add_request

SETTING = "restock_auto"


_SETTING = Prepared(sa.select(AppSetting.__table__.c.value).where(AppSetting.__table__.c.key == SETTING))


def auto_enabled(session: Session) -> bool:
    # read at every sale (the checkout's hot path): a prepared statement on the session's connection
    return _SETTING.scalar(session.connection()) == "on"


@transactional
def set_auto(session: Session, enabled: bool) -> None:
    row = session.get(AppSetting, SETTING)
    if row is None:
        session.add(AppSetting(key=SETTING, value="on" if enabled else "off"))
    else:
        row.value = "on" if enabled else "off"
        row.updated_at = utcnow()


def raise_auto_requests(session: Session, changes: list[LevelChange], at: datetime) -> None:
    """Listener: one submitted request per supplier for the products that just crossed their reorder point."""
    fallen = {c.product_id: c for c in changes if c.after < c.before}
    if not fallen or not auto_enabled(session):
        return
    items = restock.suggestions(session, now=max(at, utcnow()), product_ids=sorted(fallen))
    crossed = [s for s in items if s.supplier and fallen[s.signal.product_id].before > s.signal.reorder_point]
    for supplier, group in restock.by_supplier(crossed).items():
        note = "Permintaan otomatis: stok melewati titik pesan ulang (" + ", ".join(
            f"{s.sku} {format_qty(s.signal.on_hand)} <= {format_qty(s.signal.reorder_point)}" for s in group) + ")."
        add_request(session, str(uuid.uuid4()), supplier, [{"sku": s.sku, "qty": s.suggested_qty} for s in group],
                    note=note[:500], auto=True, at=at)
