"""Security headers on every answer, a strict content-security policy the templates keep to, and the
session cookie's flags."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import PASSWORD, TEST_USERS
from gerai.app import create_app
from gerai.config import ConfigError, load_config
from gerai.security import CONTENT_SECURITY_POLICY, HEADERS

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = ("gerai/templates", "inventory/templates", "pos/templates", "suppliers/templates")
STRICT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
              "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def sign_in(client, role: str = "manager"):
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf_token"]
    res = client.post("/login", data={"username": TEST_USERS[role], "password": PASSWORD, "csrf_token": csrf})
    assert res.status_code == 302
    return res


def assert_security_headers(res) -> None:
    for name, value in HEADERS.items():
        assert res.headers.get(name) == value, (name, res.headers.get(name))


def test_the_policy_is_the_strict_one():
    assert CONTENT_SECURITY_POLICY == STRICT_CSP
    assert HEADERS["X-Content-Type-Options"] == "nosniff" and HEADERS["X-Frame-Options"] == "DENY"
    assert HEADERS["Referrer-Policy"] == "same-origin" and HEADERS["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in HEADERS["Permissions-Policy"]


@pytest.mark.parametrize("path", ["/", "/login", "/api/docs", "/api/v1/openapi.json", "/static/css/app.css",
                                  "/no-such-page", "/api/v1/no-such-thing", "/stock", "/api/v1/products"])
def test_every_answer_carries_the_headers_signed_out(client, path):
    res = client.get(path)
    res.get_data()
    res.close()
    assert_security_headers(res)


def test_signed_in_pages_and_api_answers_are_never_stored(app, client, api):
    api("cashier")  # its token is asked for before the shared client holds a session cookie
    sign_in(client)
    for path in ("/stock", "/products", "/signals", "/no-such-page"):
        res = client.get(path)
        assert_security_headers(res)
        assert res.headers["Cache-Control"] == "no-store", path
    client.delete_cookie("session")
    res = api("cashier").get("/products")
    assert res.status_code == 200 and res.headers["Cache-Control"] == "no-store"
    assert_security_headers(res)
    refused = api("cashier").post("/products", json={})
    assert refused.status_code == 403 and refused.headers["Cache-Control"] == "no-store"
    assert_security_headers(refused)
    static = client.get("/static/css/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")  # static files may be cached
    static.close()


def test_the_api_docs_page_has_no_inline_script(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert "/static/js/api-docs.js" in html and 'data-spec-url="/api/v1/openapi.json"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), html


def test_the_session_cookie_is_httponly_and_lax_and_secure_only_when_asked(settings, client):
    cookie = sign_in(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure_app = create_app(settings.__class__(**{**settings.__dict__, "secure_cookies": True}))
    secure_app.config.update(TESTING=True)
    try:
        cookie = sign_in(secure_app.test_client()).headers["Set-Cookie"]
    finally:
        secure_app.extensions["gerai_db"].dispose()
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_gerai_secure_cookies_is_read_from_the_environment(tmp_path):
    assert load_config({"GERAI_SECURE_COOKIES": "1"}, instance=str(tmp_path)).secure_cookies is True
    assert load_config({}, instance=str(tmp_path)).secure_cookies is False
    with pytest.raises(ConfigError, match="GERAI_SECURE_COOKIES"):
        load_config({"GERAI_SECURE_COOKIES": "maybe"}, instance=str(tmp_path))


# --- what the policy forbids, kept out of the sources ---------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


def template_files() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS for p in (ROOT / d).rglob("*.html"))


def test_no_template_has_an_inline_script_handler_or_style_attribute():
    files = template_files()
    assert len(files) > 20
    bad = [(str(p.relative_to(ROOT)), what) for p in files for what, rx in
           (("inline script", INLINE_SCRIPT), ("inline handler", INLINE_HANDLER), ("style attribute", STYLE_ATTRIBUTE))
           if rx.search(p.read_text(encoding="utf-8"))]
    assert not bad, bad


def test_no_static_script_writes_markup_or_code_the_policy_forbids():
    scripts = [p for p in (ROOT / "static").rglob("*.js") if "vendor" not in p.parts]
    assert scripts
    forbidden = re.compile(r"\beval\(|new Function\(|setAttribute\(\s*[\"']style|\bon[a-z]+=\\?[\"']|style=\\?[\"']")
    bad = [str(p.relative_to(ROOT)) for p in scripts if forbidden.search(p.read_text(encoding="utf-8"))]
    assert not bad, bad
