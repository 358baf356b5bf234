"""Till test helpers and fixtures: a small shop (regulated goods included), a one-call sale, a snapshot.

The fixtures live here, not in a conftest.py: the suite's own tests import names from the root
conftest module (`from conftest import ...`), which a second conftest module would shadow. Test
modules import the fixtures they use from here.
"""
from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

import factories as f
from gerai.auth import create_user
from gerai.db import Database
from gerai.models import User
from pos import sales, shifts
from pos.regulated import nik_key

KEY = nik_key("test-secret-key-for-the-till")
JAKARTA = ZoneInfo("Asia/Jakarta")
# Valid NIKs (Kemendagri province codes, real birth dates; the second a woman's, day + 40).
NIK_A = "3201011203900001"
NIK_B = "7371015501850002"


@dataclass
class Shop:
    db: object
    cashier: int
    manager: int
    gula: str = "GULA-1KG"
    beras: str = "BERAS-KG"
    lpg: str = "LPG-3"
    sphp: str = "SPHP-5"
    urea: str = "UREA-SUB"


def shop_for(db) -> Shop:
    with db.session() as s:
        ids = dict(s.execute(sa.select(User.username, User.id)).all())
    return Shop(db, ids["t-kasir"], ids["t-manajer"])


def make_shop(db, stock: int = 50) -> Shop:
    """Products: sugar (pcs), loose rice (kg), LPG 3 kg (subsidised, quota 2 per 30 days),
    SPHP rice (subsidised, 2 packs a day), subsidised urea; stock on hand; two sellers."""
    with db.session() as s:
        f.supplier(s, "AGEN-LPG")
        f.product(s, "GULA-1KG", name="Gula pasir 1 kg", price=18000)
        f.product(s, "BERAS-KG", name="Beras medium curah", unit="kg", price=13000, het=13500, barcodes=[])
        f.product(s, "LPG-3", name="LPG 3 kg", category="lpg", unit="tabung", price=18000, het=18000,
                  subsidised=True, quota={"qty": Decimal(2), "period_days": 30}, supplier="AGEN-LPG")
        f.product(s, "SPHP-5", name="Beras SPHP 5 kg", unit="bungkus", price=62500, het=62500, subsidised=True,
                  quota={"qty": Decimal(2), "period_days": 1})
        f.product(s, "UREA-SUB", name="Pupuk Urea bersubsidi", category="pupuk", unit="sak", price=90000, het=90000,
                  subsidised=True)
        for sku in ("GULA-1KG", "BERAS-KG", "LPG-3", "SPHP-5", "UREA-SUB"):
            f.receive(s, sku, stock, unit_cost=1000)
    return shop_for(db)


def open_shifts_for(shop: Shop) -> Shop:
    """The cashier and the manager each open a shift (float Rp100.000 and Rp0)."""
    with shop.db.session() as s:
        shifts.open_shift(s, shop.cashier, 100000)
    with shop.db.session() as s:
        shifts.open_shift(s, shop.manager, 0)
    return shop


def sale_in(lines, payments=None, sale_id=None, **extra) -> sales.SaleIn:
    """`lines` as (sku, qty) or (sku, qty, unit_price); cash payment of 1,000,000 by default."""
    parsed = tuple(sales.LineIn(ln[0], Decimal(str(ln[1])), *ln[2:]) for ln in lines)
    pays = tuple(sales.PaymentIn(*p) for p in (payments if payments is not None else [("cash", 1_000_000)]))
    return sales.SaleIn(sale_id or str(uuid.uuid4()), parsed, pays, **extra)


def sell(db, user_id: int, sale: sales.SaleIn, *, at: datetime | None = None, tz: ZoneInfo = JAKARTA,
         approver: int | None = None) -> sales.Outcome:
    with db.session() as s:
        seller = sales.Seller(user_id, "t-kasir", approver_id=approver)
        return sales.record_sale(s, sale, seller, fingerprint=sales.fingerprint(sale, KEY), nik_key=KEY, tz=tz, at=at)


def new_cashier(db, name: str) -> int:
    """A cashier (kept across tests on PostgreSQL, where users are not emptied between tests)."""
    with db.session() as s:
        found = s.scalar(sa.select(User.id).where(User.username == name))
        return found if found is not None else create_user(s, name, "cashier", "rahasia-123").id


def snapshot(db) -> dict:
    """Row counts of every table and every stock level: a refused request must leave it equal."""
    from gerai.schema import metadata

    with db.session() as s:
        counts = {t.name: s.scalar(sa.select(sa.func.count()).select_from(t)) for t in metadata().sorted_tables}
        levels = s.execute(sa.text("SELECT product_id, on_hand FROM stock_levels ORDER BY product_id")).all()
        counters = s.execute(sa.text("SELECT name, value FROM pos_counters ORDER BY name")).all()
        shift_rows = s.execute(sa.text("SELECT id, sales_count, sales_total, cash_in FROM shifts ORDER BY id")).all()
        s.rollback()
    return {"counts": counts, "levels": levels, "counters": counters, "shifts": shift_rows}


class JsonClient:
    """The Flask test client speaking JSON with a bearer token, paths relative to /api/v1."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def _headers(self, extra=None):
        return {**({"Authorization": f"Bearer {self.token}"} if self.token else {}), **(extra or {})}

    def get(self, path, **kw):
        return self.client.get("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, **kw):
        return self.client.post("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path, json=None, **kw):
        return self.client.put("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)


ROLE_USERS = {"cashier": "t-kasir", "manager": "t-manajer", "admin": "t-admin", "coordinator": "t-koord",
              "monitor": "t-monitor"}


def token_for_role(app, role: str) -> str:
    """A bearer token issued directly (POST /auth/token, with its deliberately slow scrypt check,
    is tested by the foundation)."""
    from gerai.auth import issue_token

    db = app.extensions["gerai_db"]
    with db.session() as s:
        user = s.scalar(sa.select(User).where(User.username == ROLE_USERS[role]))
        return issue_token(app.config["SECRET_KEY"], user)[0]


# --- fixtures -------------------------------------------------------------------------------

_TEMPLATES: dict = {}


def _shop_template(template_db, tmp_path_factory):
    """The migrated test database with the shop's products and stock, built once per test run."""
    if template_db not in _TEMPLATES:
        path = tmp_path_factory.mktemp("shop-template") / "gerai.db"
        shutil.copy(template_db, path)
        db = Database(f"sqlite:///{path}")
        make_shop(db)
        db.dispose()
        _TEMPLATES[template_db] = path
    return _TEMPLATES[template_db]


@pytest.fixture
def shop(instance, template_db, tmp_path_factory, request):
    """The shop on this test's SQLite copy (request it before anything touches the database)."""
    shutil.copy(_shop_template(template_db, tmp_path_factory), instance / "gerai.db")
    return shop_for(request.getfixturevalue("db"))


@pytest.fixture
def open_shifts(shop):
    """The cashier and the manager each have an open shift."""
    return open_shifts_for(shop)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_shop(request):
    """The shop with open shifts, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return open_shifts_for(request.getfixturevalue("shop"))
    return open_shifts_for(make_shop(request.getfixturevalue("pg_db")))


@pytest.fixture
def api(client, app):
    """`api("manager").post(...)` like the suite's fixture, with tokens issued directly (fast)."""
    tokens: dict = {}

    def for_role(role):
        if role is None:
            return JsonClient(client, None)
        if role not in tokens:
            tokens[role] = token_for_role(app, role)
        return JsonClient(client, tokens[role])

    return for_role
