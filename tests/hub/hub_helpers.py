"""Helpers for hub tests: a hub app on SQLite or PostgreSQL, outlets, events, pushes."""
from __future__ import annotations

import gzip
import json
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from suppliers.hub.outlets import add_outlet

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


def register(db, code: str, **kw) -> str:
    with db.session() as s:
        _outlet, token = add_outlet(s, code, kw.pop("name", f"Gerai {code}"), **kw)
    return token


def movement(seq: int, sku: str = "BRS-5", qty: str = "-1.000", balance: str = "9.000", kind: str = "sale",
             at: datetime | None = None, eid: str | None = None) -> dict:
    at = at or T0 + timedelta(minutes=seq)
    return {"id": eid or str(uuid.uuid4()), "seq": seq, "type": "movement", "at": at.isoformat(), "data": {
        "movement_id": seq, "sku": sku, "name": "Beras 5 kg", "unit": "kg", "kind": kind, "qty": qty,
        "balance_after": balance, "at": at.isoformat(), "source_type": "sale", "source_id": str(uuid.uuid4())}}


def sale(seq: int, total: int = 13000, at: datetime | None = None, eid: str | None = None) -> dict:
    at = at or T0 + timedelta(minutes=seq)
    return {"id": eid or str(uuid.uuid4()), "seq": seq, "type": "sale", "at": at.isoformat(), "data": {
        "sale_id": str(uuid.uuid4()), "number": seq, "at": at.isoformat(), "total": total, "paid": total,
        "cashier": "kasir", "lines": [{"sku": "BRS-5", "qty": "1.000", "unit_price": total, "amount": total}],
        "payments": [{"method": "cash", "amount": total}]}}


def request_snapshot(seq: int, request_id: str, status: str = "submitted", supplier: str = "BULOG",
                     lines=(("BRS-5", "20.000"),), received: str = "0.000", eid: str | None = None) -> dict:
    at = T0 + timedelta(minutes=seq)
    return {"id": eid or str(uuid.uuid4()), "seq": seq, "type": "restock_request", "at": at.isoformat(), "data": {
        "request_id": request_id, "supplier": supplier, "status": status, "auto": False, "note": "",
        "created_at": T0.isoformat(), "updated_at": at.isoformat(),
        "lines": [{"sku": sku, "name": sku, "unit": "kg" if sku.startswith("BRS") else "pcs", "qty": qty, "dispatched_qty": None, "received_qty": received}
                  for sku, qty in lines]}}


def push(client, token: str, outlet: str, events: list[dict], *, gz: bool = False):
    body = json.dumps({"outlet": outlet, "events": events}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if gz:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    return client.post("/api/v1/sync/push", data=body, headers=headers)


def pull(client, token: str, cursor: int = 0, **params):
    query = "&".join(f"{k}={v}" for k, v in {"cursor": cursor, **params}.items())
    return client.get(f"/api/v1/sync/pull?{query}", headers={"Authorization": f"Bearer {token}"})


def count(db, table: str, where: str = "") -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table} {where}")).scalar()


HUB_TABLES = ("hub_events", "hub_movements", "hub_sales", "hub_sales_daily", "hub_stock", "hub_requests",
              "hub_request_lines", "hub_dispatches", "hub_feed", "hub_outlets")


def digest(db) -> dict:
    """Every hub table's rows (sorted), to compare before and after a refused request."""
    out = {}
    with db.engine.connect() as conn:
        for t in HUB_TABLES:
            out[t] = sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {t}")).all()), key=repr)
    return out


def bearer(app, username: str) -> dict:
    """Headers with a user token issued directly (no scrypt sign-in)."""
    from gerai import auth
    from gerai.models import User

    with app.extensions["gerai_db"].read_session() as s:
        user = s.scalar(sa.select(User).where(User.username == username))
        token = auth.issue_token(app.config["SECRET_KEY"], user)[0]
    return {"Authorization": f"Bearer {token}"}


def add_user(app, username: str, role: str, supplier: str | None = None, area: str | None = None) -> None:
    from gerai import auth
    from gerai.models import User

    with app.extensions["gerai_db"].session() as s:
        if s.scalar(sa.select(User.id).where(User.username == username)) is not None:
            return  # PostgreSQL keeps users between tests
        auth.create_user(s, username, role, "rahasia-123", supplier=supplier, area=area)
        s.commit()
