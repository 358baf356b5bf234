"""A small hub written straight into its tables (what ingest leaves there), with figures worked out by
hand in the tests: four shops in three kabupaten, requests to BULOG and IDFOOD in every status, stock,
daily sales.

    shop       kecamatan  kabupaten         provinsi       last push   sales (days ago: count/total)
    KDMP-0001  Depok      Kabupaten Sleman  DI Yogyakarta  1 h ago     1: 5/100.000, 10: 2/50.000
    KDMP-0002  Mlati      Kabupaten Sleman  DI Yogyakarta  5 days ago  2: 3/30.000
    KDMP-0003  Sewon      Kabupaten Bantul  DI Yogyakarta  now         20: 1/5.000
    KDMP-0004  Cibinong   Kabupaten Bogor   Jawa Barat     never       -

    request  supplier  shop  status              hours ago  lines (sku qty/dispatched/received)
    R1       BULOG     0001  submitted           1          BRS-5 10.5 kg, MNY-1 24 pcs
    R2       BULOG     0002  dispatched          2          BRS-5 20/15
    R3       BULOG     0003  submitted           3          BRS-5 5
    R4       BULOG     0001  received            4          BRS-5 7/7/7
    R5       IDFOOD    0001  submitted           5          TLR-1 30 (eggs: IDFOOD only)
    R6       BULOG     0004  partially_received  6          MNY-1 12/6/6
    R7       BULOG     0002  cancelled           7          BRS-5 3
"""
from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from gerai import auth
from gerai.models import User
from suppliers.hub.tables import lines_t, outlets_t, requests_t, sales_daily_t, stock_t

JAKARTA = ZoneInfo("Asia/Jakarta")
R = {n: f"00000000-0000-4000-8000-00000000000{n}" for n in range(1, 8)}
OUTLETS = (
    ("KDMP-0001", "Gerai KMP Caturtunggal", "Depok", "Kabupaten Sleman", "DI Yogyakarta", timedelta(hours=1)),
    ("KDMP-0002", "Gerai KMP Sendangadi", "Mlati", "Kabupaten Sleman", "DI Yogyakarta", timedelta(days=5)),
    ("KDMP-0003", "Gerai KMP Bangunharjo", "Sewon", "Kabupaten Bantul", "DI Yogyakarta", timedelta(0)),
    ("KDMP-0004", "Gerai KMP Pakansari", "Cibinong", "Kabupaten Bogor", "Jawa Barat", None),
)
REQUESTS = (  # n, supplier, outlet index, status, hours ago, [(sku, name, unit, qty, dispatched, received)]
    (1, "BULOG", 0, "submitted", 1, [("BRS-5", "Beras medium", "kg", "10.5", "0", "0"),
                                     ("MNY-1", "Minyakita 1 L", "pcs", "24", "0", "0")]),
    (2, "BULOG", 1, "dispatched", 2, [("BRS-5", "Beras medium", "kg", "20", "15", "0")]),
    (3, "BULOG", 2, "submitted", 3, [("BRS-5", "Beras medium", "kg", "5", "0", "0")]),
    (4, "BULOG", 0, "received", 4, [("BRS-5", "Beras medium", "kg", "7", "7", "7")]),
    (5, "IDFOOD", 0, "submitted", 5, [("TLR-1", "Telur ayam", "kg", "30", "0", "0")]),
    (6, "BULOG", 3, "partially_received", 6, [("MNY-1", "Minyakita 1 L", "pcs", "12", "6", "6")]),
    (7, "BULOG", 1, "cancelled", 7, [("BRS-5", "Beras medium", "kg", "3", "0", "0")]),
)
SALES = ((0, 1, 5, 100000), (0, 10, 2, 50000), (1, 2, 3, 30000), (2, 20, 1, 5000))  # outlet, days ago, count, total


def today():
    return datetime.now(JAKARTA).date()


def seed(db, now: datetime | None = None) -> dict[str, int]:
    """Write the hub above; answer outlet code -> id."""
    now = now or datetime.now(timezone.utc)
    ids = {}
    with db.session() as s:
        for i, (code, name, kec, kab, prov, ago) in enumerate(OUTLETS):
            ids[code] = s.execute(sa.insert(outlets_t()).returning(outlets_t().c.id).values(
                code=code, name=name, cooperative=f"Koperasi {name[10:]}", desa=name[10:], kecamatan=kec, kabupaten=kab,
                provinsi=prov, zone=None, token_hash=f"{i:064x}", accepted_through=0, pull_cursor_seen=0,
                registered_at=now - timedelta(days=60), last_push_at=None if ago is None else now - ago,
                active=True)).scalar_one()
        codes = [o[0] for o in OUTLETS]
        for n, supplier, outlet, status, hours, lines in REQUESTS:
            at = now - timedelta(hours=hours)
            s.execute(sa.insert(requests_t()).values(id=R[n], outlet_id=ids[codes[outlet]], supplier=supplier, status=status,
                                                     auto=n == 3, note="", created_at=at, updated_at=at))
            for sku, name, unit, qty, sent, got in lines:
                s.execute(sa.insert(lines_t()).values(request_id=R[n], sku=sku, name=name, unit=unit, qty=Decimal(qty),
                                                      dispatched_qty=Decimal(sent), received_qty=Decimal(got)))
        for outlet, ago, count, total in SALES:
            s.execute(sa.insert(sales_daily_t()).values(outlet_id=ids[codes[outlet]], day=today() - timedelta(days=ago),
                                                        sales_count=count, total=total))
        stock = [("BRS-5", "Beras medium", "kg", "12.5", now - timedelta(days=1)),  # selling
                 ("GLA-1", "Gula pasir 1 kg", "pcs", "8", now - timedelta(days=30)),
                 ("TPG-1", "Tepung terigu", "pcs", "5", now - timedelta(days=14, hours=1)),
                 ("KCP-1", "Kecap manis", "pcs", "3", None),
                 ("SRD-1", "Sarden", "pcs", "2", None),
                 ("TEH-1", "Teh celup", "pcs", "4", now - timedelta(days=20)),
                 ("MIE-1", "Mi instan", "pcs", "0", None)]  # none on hand: not "not selling"
        for sku, name, unit, qty, sold in stock:
            s.execute(sa.insert(stock_t()).values(outlet_id=ids["KDMP-0001"], sku=sku, name=name, unit=unit,
                                                  on_hand=Decimal(qty), last_sold_at=sold, last_movement_at=sold))
        s.commit()
    return ids


@functools.lru_cache(maxsize=1)
def _password_hash() -> str:
    return auth.hash_password("rahasia-123")  # scrypt: once per run, not once per user and test


def user(db, username: str, role: str, *, supplier: str | None = None, area: str | None = None) -> User:
    """A user (made once per database: PostgreSQL keeps users between tests)."""
    with db.session() as s:
        found = s.scalar(sa.select(User).where(User.username == username))
        if found is None:
            found = User(username=username, role=role, password_hash=_password_hash(),
                         supplier_code=supplier, area=area)
            s.add(found)
            s.commit()
        return found


def sign_in(client, db, username: str) -> None:
    with db.session() as s:
        found = s.scalar(sa.select(User).where(User.username == username))
        uid, fp = found.id, auth.password_fingerprint(found)
    with client.session_transaction() as sess:
        sess.clear()
        sess["uid"], sess["fp"], sess["csrf_token"] = uid, fp, "test-csrf"


def dispatches_json(db) -> list:
    with db.session() as s:
        return [json.loads(x) for x in s.scalars(sa.text("SELECT lines FROM hub_dispatches ORDER BY at"))]
