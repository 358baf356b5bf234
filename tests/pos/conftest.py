"""Till fixtures: a small shop on SQLite (copied from a template made once), or on either database."""
import shutil

import pytest

from gerai.db import Database
from pos_helpers import make_shop, open_shifts_for, shop_for


@pytest.fixture(scope="session")
def shop_template(template_db, tmp_path_factory):
    """The migrated test database with the shop's products and stock, built once per session."""
    path = tmp_path_factory.mktemp("shop-template") / "gerai.db"
    shutil.copy(template_db, path)
    db = Database(f"sqlite:///{path}")
    make_shop(db)
    db.dispose()
    return path


@pytest.fixture
def shop(instance, shop_template, request):
    """The shop, on this test's SQLite copy (request it before anything touches the database)."""
    shutil.copy(shop_template, instance / "gerai.db")
    return shop_for(request.getfixturevalue("db"))


@pytest.fixture
def open_shifts(shop):
    """The cashier and the manager each have an open shift."""
    return open_shifts_for(shop)


@pytest.fixture
def any_shop(request):
    """The shop with open shifts, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return open_shifts_for(request.getfixturevalue("shop"))
    return open_shifts_for(make_shop(request.getfixturevalue("pg_db")))


def pytest_generate_tests(metafunc):
    if "any_shop" in metafunc.fixturenames:
        metafunc.parametrize("any_shop", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                             indirect=True)


@pytest.fixture
def api(client, app):
    """`api("manager").post(...)` like the suite's fixture, with tokens issued directly (fast)."""
    from pos_helpers import JsonClient, token_for_role

    tokens: dict = {}

    def for_role(role):
        if role is None:
            return JsonClient(client, None)
        if role not in tokens:
            tokens[role] = token_for_role(app, role)
        return JsonClient(client, tokens[role])

    return for_role
