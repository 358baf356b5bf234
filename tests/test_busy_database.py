"""A database that cannot do it now (SQLite's write lock held past the busy timeout; PostgreSQL's
serialization failures and deadlocks) is a 503 `busy` with `Retry-After: 1`, never a 500, and
the refused request changes nothing."""
from __future__ import annotations

import re
import sqlite3

import pytest
import sqlalchemy as sa

import factories as f
from conftest import PASSWORD, TEST_USERS, ApiClient, db_path, short_busy_timeout
from gerai.app import create_app
from gerai.config import load_config
from gerai.db import is_busy
from gerai.guard import public
from test_write_lock import token

BUSY = {"code": 503, "status": "busy", "message": "The shop's database is busy; try again."}
EN = {"Accept-Language": "en"}


@pytest.fixture
def held_lock(app):
    """Another connection holds SQLite's write lock; the app waits 0.2 s for it, not 15."""
    with app.extensions["gerai_db"].session() as s:
        f.product(s, "BRS-5", name="Beras 5 kg")
        f.receive(s, "BRS-5", 10)
    short_busy_timeout(app)
    holder = sqlite3.connect(db_path(app), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    holder.execute("ROLLBACK")
    holder.close()


WRITES = [
    ("/stock/receipts", {"supplier": "BULOG", "lines": [{"sku": "BRS-5", "qty": "3"}]}),
    ("/stock/counts", {"lines": [{"sku": "BRS-5", "counted": "7"}]}),
    ("/stock/write-offs", {"reason": "damaged", "lines": [{"sku": "BRS-5", "qty": "1"}]}),
    ("/products", {"sku": "GULA-1", "name": "Gula", "category": "sembako", "unit": "pcs", "price": 17000}),
]


@pytest.mark.parametrize(("path", "body"), WRITES, ids=[w[0] for w in WRITES])
def test_a_write_behind_a_held_lock_is_503_busy_and_changes_nothing(app, held_lock, db, path, body):
    before = f.db_digest(db)
    res = ApiClient(app.test_client(), token(app, "manager")).post(path, json=body, headers=EN)
    assert res.status_code == 503, res.get_json()
    assert res.get_json() == BUSY and res.headers["Retry-After"] == "1"
    assert f.db_digest(db) == before  # (read beside the held lock: WAL lets readers in)


def test_busy_speaks_indonesian_by_default_and_a_failed_sign_in_is_busy_too(app, held_lock, db):
    before = f.db_digest(db)
    res = app.test_client().post("/api/v1/auth/token", json={"username": TEST_USERS["cashier"], "password": "salah-123"})
    assert res.status_code == 503 and res.headers["Retry-After"] == "1"
    assert res.get_json()["status"] == "busy" and res.get_json()["message"] != BUSY["message"]
    ok = app.test_client().post("/api/v1/auth/token", json={"username": TEST_USERS["cashier"], "password": PASSWORD})
    assert ok.status_code == 200  # a good sign-in only reads
    assert f.db_digest(db) == before


def test_a_page_form_behind_a_held_lock_is_a_503_page(app, held_lock, db):
    client = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
    assert client.post("/login", data={"username": TEST_USERS["manager"], "password": PASSWORD,
                                       "csrf_token": csrf}).status_code == 302
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/stock/write-off").get_data(as_text=True))[1]
    before = f.db_digest(db)
    res = client.post("/stock/write-off", data={"csrf_token": csrf, "reason": "lost", "lines-0-code": "BRS-5",
                                                "lines-0-qty": "1"})
    assert res.status_code == 503 and res.headers["Retry-After"] == "1"
    assert "sibuk" in res.get_data(as_text=True)
    assert f.db_digest(db) == before


def test_serialization_failures_and_deadlocks_on_postgresql_are_busy(pg_db, tmp_path):
    app = create_app(load_config({}, instance=str(tmp_path), database_url=pg_db.url, secret_key="pg-busy"))

    @app.post("/api/v1/test-raise/<code>")
    @public
    def raise_sqlstate(code):
        from gerai.extensions import db_session

        # a real error from the server, with the SQLSTATE PostgreSQL gives a transaction it gave up
        db_session().execute(sa.text(f"DO $$ BEGIN RAISE EXCEPTION 'gave up' USING ERRCODE = '{code}'; END $$"))
        return {}

    try:
        client = app.test_client()
        for code in ("40001", "40P01"):
            res = client.post(f"/api/v1/test-raise/{code}", headers=EN)
            assert (res.status_code, res.get_json(), res.headers["Retry-After"]) == (503, BUSY, "1")
        res = client.post("/api/v1/test-raise/22012", headers=EN)  # division_by_zero: a bug, not busy
        assert res.status_code == 500
    finally:
        app.extensions["gerai_db"].dispose()


def test_is_busy_tells_a_busy_database_from_a_bug(tmp_path):
    path = str(tmp_path / "x.db")
    holder, waiter = sqlite3.connect(path, isolation_level=None), sqlite3.connect(path, timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError) as busy:
        waiter.execute("BEGIN IMMEDIATE")
    assert is_busy(busy.value) and is_busy(sa.exc.OperationalError("BEGIN IMMEDIATE", {}, busy.value))
    with pytest.raises(sqlite3.OperationalError) as bug:
        waiter.execute("SELECT * FROM no_such_table")
    assert not is_busy(bug.value) and not is_busy(ValueError("database is locked"))
    holder.close()
    waiter.close()
