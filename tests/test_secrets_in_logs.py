"""Secrets never reach a log: signing in (right and wrong password), asking for a token, calling the
API with it, creating a user and setting a password (app and command line), with every logger at
DEBUG (the app's, waitress's, werkzeug's, SQLAlchemy's): no password, token or secret key appears."""
from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from conftest import PASSWORD, TEST_USERS
from gerai import auth
from gerai.cli import main
from gerai.security import REDACTED, redact

LOGGERS = ("", "gerai", "waitress", "waitress.queue", "werkzeug", "sqlalchemy", "sqlalchemy.engine", "flask.app")
WRONG = "salah-sekali-42"
NEW_PASSWORD = "baru-rahasia-77"
CLI_PASSWORD = "cli-rahasia-55"


@pytest.fixture
def everything_logged(caplog):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


def logged_text(caplog) -> str:
    """Every record as a handler would write it, tracebacks included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


def test_no_password_token_or_secret_key_in_any_log(app, everything_logged, runner):
    secret_key = app.config["SECRET_KEY"]
    client = app.test_client()
    # the sign-in page: a wrong password, then the right one
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf_token"]
    assert client.post("/login", data={"username": TEST_USERS["manager"], "password": WRONG, "csrf_token": csrf}
                       ).status_code == 401
    assert client.post("/login", data={"username": TEST_USERS["manager"], "password": PASSWORD, "csrf_token": csrf}
                       ).status_code == 302
    cookie = client.get_cookie("session").value
    assert client.get("/stock").status_code == 200
    # tokens: a wrong password, the right one, then calls with the token and with a forged one
    api = app.test_client()
    assert api.post("/api/v1/auth/token", json={"username": TEST_USERS["manager"], "password": WRONG}).status_code == 401
    res = api.post("/api/v1/auth/token", json={"username": TEST_USERS["manager"], "password": PASSWORD})
    token = res.get_json()["token"]
    assert api.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert api.get("/api/v1/products", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
    # users: created and given a new password in the app's services and on the command line
    with app.extensions["gerai_db"].session() as s:
        auth.create_user(s, "wati", "cashier", NEW_PASSWORD + "-1")
        auth.set_password(s, "wati", NEW_PASSWORD)
    result = runner.invoke(main, ["create-user", "siti", "--role", "cashier", "--password", CLI_PASSWORD])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["set-password", "siti"], input=f"{CLI_PASSWORD}-2\n{CLI_PASSWORD}-2\n")
    assert result.exit_code == 0, result.output
    assert CLI_PASSWORD not in result.output
    # and should a credential ever be handed to a logger, by any library, it is redacted
    for name in ("gerai", "waitress", "werkzeug", "sqlalchemy.engine"):
        logging.getLogger(name).debug("request headers %s", {"Authorization": f"Bearer {token}", "Cookie": f"session={cookie}"})
        logging.getLogger(name).info("Authorization: Bearer %s", token)
    try:
        raise RuntimeError(f"could not sign in with password={PASSWORD} and key {secret_key}")
    except RuntimeError:
        logging.getLogger("gerai").exception("failure")

    with app.extensions["gerai_db"].read_session() as s:
        hashes = [h for (h,) in s.execute(sa.text("SELECT password_hash FROM users WHERE username IN ('wati', 'siti')"))]
    assert len(hashes) == 2
    text = logged_text(everything_logged)
    assert "INSERT INTO users" in text  # SQLAlchemy wrote its statements, parameters too: the hashes are hidden
    for password_hash in hashes:
        assert password_hash.split("$")[-1] not in text
    assert len(everything_logged.records) > 10 and REDACTED in text  # the logs were on, and held something
    for secret in (PASSWORD, WRONG, NEW_PASSWORD, CLI_PASSWORD, token, token.split(".")[-1], secret_key, cookie):
        assert secret not in text, f"{secret[:4]}... is in the log"


@pytest.mark.parametrize("text", [
    "Authorization: Bearer abc.def.ghi", "{'Authorization': 'Bearer abc'}", '{"password": "kasir123"}',
    "username=kasir&password=kasir123", "gerai create-user x --password kasir123", "Cookie: session=abc123456",
    "eyJ1IjozLCJmIjoiYWJjIn0.ZkXy12.abcdefghijklmnopqrstuv",
    "('siti', 'scrypt:32768:8:1$kasir123SALT$abcdefghijklmnop0123456789abcdef', 'cashier')"])
def test_redact_hides_each_kind_of_credential(text):
    clean = redact(text)
    assert REDACTED in clean
    assert "kasir123" not in clean and "abc123456" not in clean and "abcdefghijklmnop" not in clean
    assert "Bearer abc" not in clean



def test_sql_parameters_stay_out_of_the_engine_log(db, caplog):
    """SQLAlchemy's echo at INFO logs every statement; its parameters (usernames, hashes, NIK hashes) must not follow."""
    import logging

    import sqlalchemy as sa

    secret = "nik-hash-" + "7" * 20
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        db.engine.echo = True
        try:
            with db.engine.connect() as conn:
                conn.execute(sa.text("SELECT :value"), {"value": secret}).all()
        finally:
            db.engine.echo = False
    assert "SELECT" in caplog.text
    assert secret not in caplog.text
