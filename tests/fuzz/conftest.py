"""The fuzzed shop (one for the whole run, stocked, shifts open, a sale and a restock request on file), a
bearer token per role, and the run's tally in the terminal summary."""
from __future__ import annotations

import shutil
import uuid

import pytest
import sqlalchemy as sa

from fuzz_harness import FUZZ_APP, ROLES, TALLY, LedgerWatch
from gerai import auth
from gerai.models import User


def _stock(app) -> None:
    """Products of every kind (sugar, loose rice by the kg, subsidised LPG with a quota), stock on hand,
    the cashier's and the manager's shifts open, one sale and one restock request on file."""
    from decimal import Decimal

    import factories as f
    from conftest import TEST_USERS
    from pos import sales, shifts
    from pos.regulated import nik_key
    from suppliers import requests as restock_requests

    db = app.extensions["gerai_db"]
    with db.session() as s:
        f.supplier(s, "AGEN-LPG")
        f.product(s, "GULA-1KG", name="Gula pasir 1 kg", price=18000)
        f.product(s, "BERAS-KG", name="Beras medium curah", unit="kg", price=13000, het=13500, barcodes=[])
        f.product(s, "LPG-3", name="LPG 3 kg", category="lpg", unit="tabung", price=18000, het=18000,
                  subsidised=True, quota={"qty": Decimal(2), "period_days": 30}, supplier="AGEN-LPG")
        for sku in ("GULA-1KG", "BERAS-KG", "LPG-3"):
            f.receive(s, sku, 1000, unit_cost=1000)
        cashier, manager = f.user_id(s, TEST_USERS["cashier"]), f.user_id(s, TEST_USERS["manager"])
    for uid in (cashier, manager):
        with db.session() as s:
            shifts.open_shift(s, uid, 100000)
    key = nik_key(app.config["SECRET_KEY"])
    sale = sales.SaleIn(str(uuid.uuid4()), (sales.LineIn("GULA-1KG", Decimal(2)), sales.LineIn("BERAS-KG", Decimal("1.5"))),
                        (sales.PaymentIn("cash", 100000),))
    with db.session() as s:
        sales.record_sale(s, sale, sales.Seller(cashier, "t-kasir"), fingerprint=sales.fingerprint(sale, key), nik_key=key,
                          tz=app.extensions["gerai_settings"].tz)
    with db.session() as s:
        restock_requests.create_request(s, str(uuid.uuid4()), "BULOG", [{"sku": "GULA-1KG", "qty": Decimal(10)}],
                                        user_id=manager)


@pytest.fixture(scope="session")
def fuzz_app(template_db):
    """The app the schema was loaded from, on a copy of the migrated template database, stocked."""
    db = FUZZ_APP.extensions["gerai_db"]
    db.dispose()
    shutil.copy(template_db, FUZZ_APP.instance_path + "/gerai.db")
    _stock(FUZZ_APP)
    yield FUZZ_APP
    db.dispose()


@pytest.fixture(scope="session")
def fuzz_tokens(fuzz_app) -> dict[str, str]:
    from conftest import TEST_USERS

    db = fuzz_app.extensions["gerai_db"]
    out = {}
    with db.read_session() as s:
        for role in ROLES:
            user = s.scalar(sa.select(User).where(User.username == TEST_USERS[role]))
            out[role] = auth.issue_token(fuzz_app.config["SECRET_KEY"], user)[0]
    return out


@pytest.fixture(scope="session")
def ledger(fuzz_app):
    watch = LedgerWatch(fuzz_app.extensions["gerai_db"].engine.url.database)
    yield watch
    watch.close()


def pytest_terminal_summary(terminalreporter):
    for line in TALLY.lines():
        terminalreporter.write_line(line)
