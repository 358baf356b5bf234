"""SQLite has one write lock for the whole shop: a request holds it while its service writes, and
only then. Not while the caller is looked up, not through a sign-in's password hash, not while
the answer is built after the service committed. Ordering is proved with events, not timings."""
from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

import factories as f
from conftest import PASSWORD, TEST_USERS, ApiClient, db_path, short_busy_timeout, write_lock_free
from gerai import auth
from gerai.db import Database, transactional
from gerai.models import AppSetting, LoginFailure, User

WAIT = 5  # seconds: only a safety net for a broken build, never reached when the code is right


def token(app, role: str) -> str:
    with app.extensions["gerai_db"].read_session() as s:
        user = s.scalar(sa.select(User).where(User.username == TEST_USERS[role]))
        return auth.issue_token(app.config["SECRET_KEY"], user)[0]


@pytest.fixture
def rice(app):
    with app.extensions["gerai_db"].session() as s:
        f.product(s, "BRS-5", name="Beras 5 kg")
    return "BRS-5"


@pytest.mark.parametrize("password", [PASSWORD, "wrong-password"])
def test_a_receipt_does_not_wait_for_a_sign_in_checking_its_password(app, rice, monkeypatch, password):
    order: list[str] = []
    hashing, received = threading.Event(), threading.Event()
    real_check = auth.check_password_hash

    def slow_check(hashed, given):
        hashing.set()
        received.wait(WAIT)  # the receipt goes through while the sign-in is inside its hash
        order.append("hash checked")
        return real_check(hashed, given)

    monkeypatch.setattr(auth, "check_password_hash", slow_check)
    answers = {}

    def sign_in():
        answers["token"] = app.test_client().post("/api/v1/auth/token",
                                                  json={"username": TEST_USERS["cashier"], "password": password})

    signer = threading.Thread(target=sign_in)
    signer.start()
    try:
        assert hashing.wait(WAIT)
        manager = ApiClient(app.test_client(), token(app, "manager"))
        res = manager.post("/stock/receipts", json={"supplier": "BULOG", "lines": [{"sku": rice, "qty": "3"}]})
        order.append("receipt recorded")
        received.set()
    finally:
        received.set()
        signer.join(WAIT * 3)
    assert res.status_code == 201, res.get_json()
    assert order == ["receipt recorded", "hash checked"]
    assert answers["token"].status_code == (200 if password == PASSWORD else 401)
    with app.extensions["gerai_db"].read_session() as s:  # the failure was still recorded, the success cleared nothing
        failures = s.scalar(sa.select(sa.func.count()).select_from(LoginFailure))
    assert failures == (0 if password == PASSWORD else 1)


def test_a_successful_sign_in_clears_earlier_failures(app):
    client = app.test_client()
    for _ in range(2):
        assert client.post("/api/v1/auth/token", json={"username": TEST_USERS["cashier"], "password": "nope-nope"}
                           ).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": TEST_USERS["cashier"], "password": PASSWORD}
                       ).status_code == 200
    with app.extensions["gerai_db"].read_session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 0


def test_the_answer_to_a_write_is_built_without_the_write_lock(app, rice):
    seen: dict[str, bool] = {}

    @app.after_request
    def probe(response):  # the answer is built; the request's session is still open
        seen[f"{response.status_code}"] = write_lock_free(db_path(app))
        return response

    manager = ApiClient(app.test_client(), token(app, "manager"))
    res = manager.post("/stock/receipts", json={"supplier": "BULOG", "lines": [{"sku": rice, "qty": "3"}]})
    assert res.status_code == 201 and len(res.get_json()["movements"]) == 1  # read after the commit
    assert seen == {"201": True}
    seen.clear()
    res = manager.post("/products", json={"sku": "GULA-1", "name": "Gula 1 kg", "category": "sembako",
                                          "unit": "pcs", "price": 17000, "barcodes": [f.ean13()]})
    assert res.status_code == 201 and res.get_json()["on_hand"] == "0.000"
    assert seen == {"201": True}


def test_the_caller_is_looked_up_without_the_write_lock(app, rice):
    """Another connection holds the write lock: a request refused before any service (bad body)
    still answers at once, because looking up its caller only reads."""
    short_busy_timeout(app)
    manager = ApiClient(app.test_client(), token(app, "manager"))
    holder = sqlite3.connect(db_path(app), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        res = manager.post("/stock/receipts", json={"supplier": "BULOG", "lines": []})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert res.status_code == 422, res.get_json()


# --- the platform: nested services, and a request's session after its service ----------------

@transactional
def _add_setting(session, key: str) -> None:
    session.add(AppSetting(key=key, value="x"))


@transactional
def _add_two_then_refuse(session) -> None:
    _add_setting(session, "first")
    _add_setting(session, "second")
    raise ValueError("refused after the inner services ran")


@transactional
def _add_two(session) -> None:
    _add_setting(session, "first")
    assert session.in_transaction()
    _add_setting(session, "second")


def _settings(db: Database) -> set[str]:
    with db.read_session() as s:
        return set(s.scalars(sa.select(AppSetting.key).where(AppSetting.key.in_(("first", "second")))))


def test_nested_services_commit_only_at_the_outermost(any_db):
    with any_db.session() as s:
        with pytest.raises(ValueError):
            _add_two_then_refuse(s)
    assert _settings(any_db) == set()  # the inner services' rows went with the outer refusal
    with any_db.session() as s:
        _add_two(s)
    assert _settings(any_db) == {"first", "second"}


def test_a_request_session_reads_then_writes_then_reads_again(db):
    path = db.engine.url.database
    with db.request_session() as s:
        s.scalar(sa.select(sa.func.count()).select_from(User))
        assert s.in_transaction() and write_lock_free(path)  # a read: deferred
        _add_setting(s, "first")
        assert not s.in_transaction() and write_lock_free(path)  # committed, lock released
        assert s.scalar(sa.select(AppSetting.value).where(AppSetting.key == "first")) == "x"
        assert s.in_transaction() and write_lock_free(path)  # reading again
    with db.session() as s:  # a plain session (CLI, scripts) writes from its first statement
        s.scalar(sa.select(sa.func.count()).select_from(User))
        assert not write_lock_free(path)
    assert _settings(db) == {"first"}


def test_a_service_sees_rows_read_before_it_as_they_are_under_the_write_lock(db):
    with db.session() as s:
        _add_setting(s, "first")
    with db.request_session() as s:
        row = s.get(AppSetting, "first")
        assert row.value == "x"
        with db.session() as other:  # another till changes it after this request read it
            other.get(AppSetting, "first").value = "changed"
            other.commit()

        @transactional
        def read_in_service(session):
            return session.get(AppSetting, "first").value

        assert read_in_service(s) == "changed"


def test_a_service_that_cannot_get_the_lock_leaves_the_session_reading(db):
    from sqlalchemy import event as sa_event

    from gerai.db import READ_ONLY, SERVICE_DEPTH, is_busy

    sa_event.listen(db.engine, "connect", lambda conn, _rec: conn.execute("PRAGMA busy_timeout=100"))
    db.engine.dispose()
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    with db.request_session() as s:
        s.scalar(sa.select(sa.func.count()).select_from(User))  # the request's read
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(Exception) as err:
                _add_setting(s, "first")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert is_busy(err.value)
        assert s.execution_options[READ_ONLY] is True and s.info[SERVICE_DEPTH] == 0
        s.rollback()
        _add_setting(s, "first")  # the next service goes through
    assert _settings(db) == {"first"}
