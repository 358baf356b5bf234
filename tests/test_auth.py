"""Signing in and staying signed in: tokens (expiry, forgery, revocation), throttling, the login
page, session cookies and their CSRF protection."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

import factories as f
from conftest import PASSWORD, TEST_USERS
from gerai import auth
from gerai.errors import Conflict, Invalid
from gerai.models import LoginFailure, User

MANAGER = TEST_USERS["manager"]


def sign_in_api(client, username: str, password: str):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def user(db, username: str) -> User:
    with db.read_session() as s:
        return s.scalar(sa.select(User).where(User.username == username))


def token_signed_at(secret: str, payload: dict, seconds_ago: int) -> str:
    """A token signed with the real key, as if issued `seconds_ago` (itsdangerous stamps the time)."""

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds_ago

    return URLSafeTimedSerializer(secret, salt="gerai-api-token", signer=Earlier).dumps(payload)


# --- tokens ------------------------------------------------------------------------------------

def test_a_token_is_issued_for_good_credentials_and_opens_the_api(client):
    res = sign_in_api(client, MANAGER, PASSWORD)
    assert res.status_code == 200
    body = res.get_json()
    assert body["role"] == "manager" and body["username"] == MANAGER
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() is not None
    assert timedelta(hours=11, minutes=59) < expires - datetime.now(timezone.utc) <= timedelta(hours=12)
    assert client.get("/api/v1/stock", headers=bearer(body["token"])).status_code == 200


def test_the_username_is_not_case_sensitive(client):
    assert sign_in_api(client, MANAGER.upper(), PASSWORD).status_code == 200


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Bearer not-a-token", "Basic dXNlcjpwdw==",
                                    "Bearer a.b.c", "Token abc"])
def test_no_token_or_a_malformed_one_is_401(client, header):
    res = client.get("/api/v1/stock", headers={"Authorization": header} if header else {})
    assert res.status_code == 401
    assert res.get_json()["status"] == "Unauthorized"


def test_a_tampered_token_is_refused(app, client, db):
    token = auth.issue_token(app.config["SECRET_KEY"], user(db, MANAGER))[0]
    assert client.get("/api/v1/stock", headers=bearer(token)).status_code == 200
    payload, _, signature = token.rpartition(".")
    # the first character: the last one of base64 carries unused bits, and "A" for "B" there could sign the same
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert client.get("/api/v1/stock", headers=bearer(f"{payload}.{flipped}")).status_code == 401
    cashier = user(db, TEST_USERS["cashier"])
    other_payload = auth.issue_token(app.config["SECRET_KEY"], cashier)[0].split(".")[0]
    assert client.get("/api/v1/stock", headers=bearer(other_payload + token[len(token.split(".")[0]):])).status_code == 401


def test_a_token_signed_with_another_key_is_refused(client, db):
    token = auth.issue_token("some-other-shop's-key", user(db, MANAGER))[0]
    assert client.get("/api/v1/stock", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("payload", [{"u": 999_999, "f": "x"}, {"u": "1", "f": "x"}, ["u", 1], "manager", None])
def test_a_well_signed_token_for_nobody_is_refused(app, client, payload):
    token = token_signed_at(app.config["SECRET_KEY"], payload, 0)
    assert client.get("/api/v1/stock", headers=bearer(token)).status_code == 401


def test_a_token_expires_after_12_hours(app, client, db):
    manager = user(db, MANAGER)
    payload = {"u": manager.id, "f": auth.password_fingerprint(manager)}
    fresh = token_signed_at(app.config["SECRET_KEY"], payload, 11 * 3600 + 3500)
    stale = token_signed_at(app.config["SECRET_KEY"], payload, 12 * 3600 + 5)
    assert client.get("/api/v1/stock", headers=bearer(fresh)).status_code == 200
    assert client.get("/api/v1/stock", headers=bearer(stale)).status_code == 401


def test_a_deactivated_users_token_stops_working(client, db):
    token = sign_in_api(client, MANAGER, PASSWORD).get_json()["token"]
    with db.session() as s:
        s.execute(sa.update(User).where(User.username == MANAGER).values(active=False))
        s.commit()
    assert client.get("/api/v1/stock", headers=bearer(token)).status_code == 401
    refused = sign_in_api(client, MANAGER, PASSWORD)
    assert refused.status_code == 401
    assert refused.get_json()["message"] == sign_in_api(client, "nobody-here", PASSWORD).get_json()["message"]


def test_changing_the_password_revokes_old_tokens(client, db):
    old = sign_in_api(client, MANAGER, PASSWORD).get_json()["token"]
    with db.session() as s:
        auth.set_password(s, MANAGER, "a-new-password")
    assert client.get("/api/v1/stock", headers=bearer(old)).status_code == 401
    assert sign_in_api(client, MANAGER, PASSWORD).status_code == 401
    new = sign_in_api(client, MANAGER, "a-new-password").get_json()["token"]
    assert client.get("/api/v1/stock", headers=bearer(new)).status_code == 200


# --- bad credentials and throttling ------------------------------------------------------------

def test_unknown_user_and_wrong_password_get_the_same_401(client):
    unknown = sign_in_api(client, "no-such-user", PASSWORD)
    wrong = sign_in_api(client, MANAGER, "wrong-password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_json() == wrong.get_json()
    assert wrong.get_json()["status"] == "bad_credentials"


def test_five_failures_throttle_the_name_even_with_the_right_password(client, db):
    for _ in range(auth.THROTTLE_MAX_FAILURES):
        assert sign_in_api(client, MANAGER, "guess").status_code == 401
    res = sign_in_api(client, MANAGER, PASSWORD)
    assert res.status_code == 429
    body = res.get_json()
    assert body["status"] == "too_many_attempts" and "15" in body["message"]  # minutes to wait
    assert sign_in_api(client, MANAGER.upper(), PASSWORD).status_code == 429  # the name, in any case
    assert sign_in_api(client, TEST_USERS["cashier"], PASSWORD).status_code == 200  # others are not locked out


def test_throttling_an_unknown_name_looks_the_same_as_a_known_one(client):
    for name in ("no-such-user", MANAGER):
        for _ in range(auth.THROTTLE_MAX_FAILURES):
            sign_in_api(client, name, "guess")
    unknown, known = sign_in_api(client, "no-such-user", "x"), sign_in_api(client, MANAGER, "x")
    assert unknown.status_code == known.status_code == 429
    assert unknown.get_json() == known.get_json()


def test_the_throttle_lifts_after_the_window_and_a_success_clears_the_count(session):
    t0 = datetime.now(timezone.utc)
    for i in range(auth.THROTTLE_MAX_FAILURES):
        with pytest.raises(auth.BadCredentials):
            auth.authenticate(session, MANAGER, "guess", now=t0 + timedelta(seconds=i))
    with pytest.raises(auth.TooManyAttempts):
        auth.authenticate(session, MANAGER, PASSWORD, now=t0 + timedelta(minutes=14))
    later = t0 + auth.THROTTLE_WINDOW + timedelta(seconds=5)
    assert auth.authenticate(session, MANAGER, PASSWORD, now=later).username == MANAGER
    assert session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 0
    for i in range(auth.THROTTLE_MAX_FAILURES - 1):
        with pytest.raises(auth.BadCredentials):
            auth.authenticate(session, MANAGER, "guess", now=later + timedelta(seconds=i))
    assert auth.authenticate(session, MANAGER, PASSWORD, now=later + timedelta(seconds=10)).username == MANAGER


# --- users ---------------------------------------------------------------------------------------

def test_create_user_checks_name_role_password_and_duplicates(session):
    auth.create_user(session, "siti", "cashier", "kasir-123")
    with pytest.raises(Conflict):
        auth.create_user(session, "SITI", "cashier", "kasir-123")
    for args, field in ((("bad name", "cashier", "kasir-123"), "username"), (("x" * 65, "cashier", "kasir-123"), "username"),
                        (("budi", "boss", "kasir-123"), "role"), (("budi", "cashier", "123"), "password"),
                        (("bulog2", "coordinator", "kasir-123"), "supplier")):
        with pytest.raises(Invalid) as err:
            auth.create_user(session, *args)
        assert err.value.field == field
    assert session.scalar(sa.select(User.password_hash).where(User.username == "siti")).startswith("scrypt:")


# --- pages and cookies ---------------------------------------------------------------------------

def page_csrf(client) -> str:
    client.get("/login")
    with client.session_transaction() as sess:
        return sess["csrf_token"]


def sign_in_page(client, username=MANAGER, password=PASSWORD, next_url: str | None = None):
    csrf = page_csrf(client)
    url = "/login" + (f"?next={next_url}" if next_url is not None else "")
    return client.post(url, data={"username": username, "password": password, "csrf_token": csrf})


def test_the_login_page_signs_in_and_sends_a_manager_to_the_stock_page(client):
    res = sign_in_page(client)
    assert res.status_code == 302 and res.location == "/stock"
    assert client.get("/stock").status_code == 200


def test_the_login_page_refuses_bad_credentials_and_a_missing_csrf_token(client):
    assert sign_in_page(client, password="wrong").status_code == 401
    page_csrf(client)
    res = client.post("/login", data={"username": MANAGER, "password": PASSWORD})
    assert res.status_code == 400  # a refused form, like every other form without its CSRF token
    assert client.get("/stock").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
                                    "javascript:alert(1)", "/%0d%0aSet-Cookie:x=1", "evil.example"])
def test_login_never_redirects_to_another_site(client, target):
    res = sign_in_page(client, next_url=target)
    assert res.status_code == 302
    assert same_site(res.location), res.location


def same_site(location: str) -> bool:
    """A path on this host, read as a browser would (which takes `/\\host` for `//host`)."""
    parts = urlsplit(location.replace("\\", "/"))
    return not parts.scheme and not parts.netloc and location.startswith("/")


def test_login_follows_a_same_site_next(client):
    assert sign_in_page(client, next_url="/stock?category=lpg").location == "/stock?category=lpg"


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example"])
def test_the_language_switch_never_redirects_to_another_site(client, target):
    res = client.get(f"/lang/en?next={target}")
    assert res.status_code == 302 and same_site(res.location), res.location


def test_cookie_authenticated_api_writes_need_the_csrf_header(client, db, session):
    f.product(session, "BRS-5", unit="kg", price=13000)
    sign_in_page(client)
    receipt = {"supplier": "BULOG", "reference": "SJ-1", "lines": [{"sku": "BRS-5", "qty": "5"}]}
    assert client.get("/api/v1/stock").status_code == 200  # reading with the cookie is fine
    before = f.db_digest(db)
    refused = client.post("/api/v1/stock/receipts", json=receipt)
    assert refused.status_code == 400
    body = refused.get_json()
    assert body["code"] == 400 and "CSRF" in body["message"]
    refused = client.post("/api/v1/stock/receipts", json=receipt, headers={"X-CSRF-Token": "guessed"})
    assert refused.status_code == 400
    assert f.db_digest(db) == before
    with client.session_transaction() as sess:
        csrf = sess["csrf_token"]
    res = client.post("/api/v1/stock/receipts", json=receipt, headers={"X-CSRF-Token": csrf})
    assert res.status_code == 201, res.get_json()


def test_page_writes_need_the_csrf_token(client):
    sign_in_page(client)
    assert client.post("/logout").status_code == 400
    assert client.get("/stock").status_code == 200  # still signed in
    with client.session_transaction() as sess:
        csrf = sess["csrf_token"]
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert client.get("/stock").status_code == 302


def test_a_password_change_or_deactivation_ends_page_sessions_too(client, db):
    sign_in_page(client)
    with db.session() as s:
        auth.set_password(s, MANAGER, "a-new-password")
    assert client.get("/stock").status_code == 302
    sign_in_page(client, password="a-new-password")
    assert client.get("/stock").status_code == 200
    with db.session() as s:
        s.execute(sa.update(User).where(User.username == MANAGER).values(active=False))
        s.commit()
    assert client.get("/stock").status_code == 302
