"""Shared fixtures: a migrated SQLite shop per test (copied from a template), a PostgreSQL
database per session (skipped on a laptop without one, required in CI), API clients per role."""
from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import types
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from gerai import migrate
from gerai.config import load_config
from gerai.db import Database
from gerai.schema import metadata

_ROOT_CONFTEST = sys.modules[__name__]


def pytest_plugin_registered(plugin, manager):
    """Keep `from conftest import ...` in test modules meaning this file: pytest imports every
    conftest.py outside a package under the one module name `conftest`, so a subdirectory's
    conftest.py (tests/browser/) would otherwise shadow this one for every module collected after it."""
    if isinstance(plugin, types.ModuleType) and plugin.__name__ == "conftest" and plugin is not _ROOT_CONFTEST:
        sys.modules["conftest"] = _ROOT_CONFTEST


PASSWORD = "rahasia-123"
TEST_USERS = {"cashier": "t-kasir", "manager": "t-manajer", "admin": "t-admin", "coordinator": "t-koord",
              "monitor": "t-monitor"}
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _add_test_users(db: Database) -> None:
    from gerai.auth import hash_password
    from gerai.models import User

    pw = hash_password(PASSWORD)
    with db.session() as s:
        for role, name in TEST_USERS.items():
            s.add(User(username=name, role=role, password_hash=pw, supplier_code="BULOG" if role == "coordinator" else None,
                       area="Kabupaten Sleman" if role == "monitor" else None))
        s.commit()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    """A SQLite file at the newest migration with the test users; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "gerai.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    db = Database(url)
    _add_test_users(db)
    db.dispose()
    return path


@pytest.fixture
def instance(tmp_path, template_db) -> Path:
    inst = tmp_path / "instance"
    inst.mkdir()
    shutil.copy(template_db, inst / "gerai.db")
    return inst


@pytest.fixture
def settings(instance):
    return load_config({}, instance=str(instance), secret_key="test-secret-" + uuid.uuid4().hex,
                       timezone="Asia/Jakarta")


@pytest.fixture
def db(settings):
    database = Database(settings.database_url)
    yield database
    database.dispose()


@pytest.fixture
def session(db):
    s = db.session()
    yield s
    s.close()


@pytest.fixture
def app(settings):
    from gerai.app import create_app

    application = create_app(settings)
    application.config.update(TESTING=True)
    yield application
    application.extensions["gerai_db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class ApiClient:
    """The Flask test client speaking JSON with a bearer token, paths relative to /api/v1."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def _headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def get(self, path, **kw):
        return self.client.get("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, **kw):
        return self.client.post("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def open(self, method, path, **kw):
        return self.client.open("/api/v1" + path, method=method, headers=self._headers(kw.pop("headers", None)), **kw)


def token_for(client, role: str) -> str:
    res = client.post("/api/v1/auth/token", json={"username": TEST_USERS[role], "password": PASSWORD})
    assert res.status_code == 200, res.get_json()
    return res.get_json()["token"]


@pytest.fixture
def api(client):
    """`api("manager").post("/products", json=...)`; `api(None)` is anonymous."""
    tokens: dict[str, str] = {}

    def for_role(role: str | None) -> ApiClient:
        if role is None:
            return ApiClient(client, None)
        if role not in tokens:
            tokens[role] = token_for(client, role)
        return ApiClient(client, tokens[role])

    return for_role


# --- SQLite's one write lock -------------------------------------------------------------------

def db_path(app) -> str:
    return app.extensions["gerai_db"].engine.url.database


def write_lock_free(path: str) -> bool:
    """Can another connection take the write lock right now (no waiting)?"""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as err:
        assert "locked" in str(err)
        return False
    finally:
        probe.close()


def short_busy_timeout(app, ms: int = 200) -> None:
    """The app's connections give up on a held lock after `ms` instead of 15 s (a test of a stuck lock
    should fail fast): the pragma after the project's own on every new connection."""
    engine = app.extensions["gerai_db"].engine
    event.listen(engine, "connect", lambda dbapi_conn, _rec: dbapi_conn.execute(f"PRAGMA busy_timeout={ms}"))
    engine.dispose()


# --- PostgreSQL -----------------------------------------------------------------------------

def _postgres_required() -> bool:
    return os.environ.get("GERAI_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """The server's admin URL; skip (laptop) or fail (CI: GERAI_REQUIRE_POSTGRES=1) without one."""
    url = os.environ.get("GERAI_TEST_POSTGRES_URL", PG_DEFAULT)
    try:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
    except Exception as err:  # noqa: BLE001 (any failure to connect means "no server")
        if _postgres_required():
            pytest.fail(f"PostgreSQL required (GERAI_REQUIRE_POSTGRES=1) but {url} is unreachable: {err}")
        pytest.skip(f"no PostgreSQL at {url}")
    return url


def create_pg_database(server_url: str, prefix: str = "gerai_test") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(server_url: str, url: str) -> None:
    name = sa.make_url(url).database
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


@pytest.fixture(scope="session")
def pg_migrated_url(pg_server_url) -> str:
    """One PostgreSQL database for the session, at the newest migration, with the test users."""
    url = create_pg_database(pg_server_url)
    migrate.upgrade(url)
    db = Database(url)
    _add_test_users(db)
    db.dispose()
    yield url
    drop_pg_database(pg_server_url, url)


def _truncate_all(db: Database) -> None:
    tables = [t.name for t in metadata().sorted_tables if t.name != "users"]
    with db.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture
def pg_db(pg_migrated_url):
    """A clean PostgreSQL database (every table but users emptied) for one test."""
    db = Database(pg_migrated_url)
    _truncate_all(db)
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request):
    """The same test on the shop's SQLite and on the hub's PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("db")
    return request.getfixturevalue("pg_db")


@pytest.fixture
def issued_api(app, client):
    """Like `api`, but the token is issued directly rather than through a 0.15 s scrypt sign-in:
    for the many tests whose subject is not signing in (the `api` fixture covers that path)."""
    from gerai import auth
    from gerai.models import User

    tokens: dict[str, str] = {}

    def for_role(role: str | None) -> ApiClient:
        if role is None:
            return ApiClient(client, None)
        if role not in tokens:
            db = app.extensions["gerai_db"]
            with db.read_session() as s:
                user = s.scalar(sa.select(User).where(User.username == TEST_USERS[role]))
                tokens[role] = auth.issue_token(app.config["SECRET_KEY"], user)[0]
        return ApiClient(client, tokens[role])

    return for_role
