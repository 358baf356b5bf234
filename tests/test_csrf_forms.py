"""Every HTML form on every page, for every role: a POST without its CSRF token (or with a wrong one)
is refused with 400 and changes nothing in the database.

The pages are found from the access table of tests/test_auth_matrix.py, so a new page's forms are
walked without anybody adding them here; the forms are read from the HTML the page really serves."""
from __future__ import annotations

import hashlib
import re
import uuid
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa

import factories as f
from conftest import TEST_USERS
from gerai import auth
from gerai.models import ROLES, User
from suppliers import requests as restock_requests
from test_auth_matrix import ACCESS, PUBLIC

FIELD = "csrf_token"
GOOD_TOKEN = "the-real-csrf-token"


class Forms(HTMLParser):
    """The POST forms of a page: action, and the value each named field would send."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._open = {"method": (a.get("method") or "get").lower(), "action": a.get("action") or "", "fields": {}}
            self.forms.append(self._open)
        elif self._open is not None and tag in ("input", "select", "textarea", "button") and a.get("name"):
            kind = (a.get("type") or "").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._open["fields"].setdefault(a["name"], a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def post_forms(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return [form for form in parser.forms if form["method"] == "post"]


def digest(db) -> str:
    """Every row of every table, read on a connection of its own."""
    h = hashlib.sha256()
    with db.engine.execution_options(gerai_read_only=True).connect() as conn:
        tables = [r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for name in tables:
            rows = sorted(map(repr, conn.exec_driver_sql(f'SELECT * FROM "{name}"').fetchall()))
            h.update(f"{name}:{rows!r}".encode())
    return h.hexdigest()


@pytest.fixture
def shop(session):
    f.supplier(session, "BULOG")
    f.product(session, "BRS-5", unit="kg", price=13000, supplier="BULOG")
    f.receive(session, "BRS-5", 10)
    req, _ = restock_requests.create_request(session, str(uuid.uuid4()), "BULOG", [{"sku": "BRS-5", "qty": 5}])
    session.commit()
    samples = {"sku": "BRS-5", "request_id": req.id}
    session.close()
    return samples


def pages_for(role: str | None, samples: dict) -> list[str]:
    """The HTML pages this role may open (GET, not the API, not files)."""
    out = []
    for (method, rule), who in sorted(ACCESS.items()):
        if method != "GET" or rule.startswith(("/api/", "/static/")) or rule.endswith((".csv", ".svg")) or "<code>" in rule:
            continue
        if who == PUBLIC or (role is not None and role in who):
            out.append(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(samples[m[1]]), rule))
    needs_query = {"/restock-requests/new": "?supplier=BULOG"}
    return [page + needs_query.get(page, "") for page in out]


def signed_in(app, role: str | None):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess[FIELD] = GOOD_TOKEN
        if role is not None:
            with app.extensions["gerai_db"].read_session() as s:
                user = s.scalar(sa.select(User).where(User.username == TEST_USERS[role]))
                sess["uid"], sess["fp"] = user.id, auth.password_fingerprint(user)
    return client


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_form_refuses_a_post_without_its_csrf_token_and_changes_nothing(app, db, shop, role):
    client = signed_in(app, role)
    walked = []
    for page in pages_for(role, shop):
        res = client.get(page)
        assert res.status_code == 200, (role, page, res.status_code)
        html = res.get_data(as_text=True)
        for form in post_forms(html):
            target = urlsplit(urljoin("http://localhost" + page, form["action"] or page))
            url = target.path + (f"?{target.query}" if target.query else "")
            fields = dict(form["fields"])
            assert fields.get(FIELD) == GOOD_TOKEN, f"{page}: the form posting to {url} carries no CSRF token"
            del fields[FIELD]
            before = digest(db)
            for sent in (fields, {**fields, FIELD: "forged-" + GOOD_TOKEN}, {**fields, FIELD: ""}):
                refused = client.post(url, data=sent)
                assert refused.status_code == 400, (role, page, url, refused.status_code)
                assert "expired" in refused.get_data(as_text=True) or "kedaluwarsa" in refused.get_data(as_text=True)
            assert digest(db) == before, f"{role}: POST {url} without a CSRF token changed the database"
            assert client.get(page).status_code == 200  # still signed in as before
            walked.append((page, url))
    assert walked, f"{role}: no form found"
    if role in ("manager", "admin"):
        targets = {url.split("?")[0] for _, url in walked}
        assert {"/logout", "/login", "/products/new", "/stock/receive", "/stock/write-off", "/stock/count",
                "/signals/auto", "/restock-requests/new"} <= targets, targets
        assert any(re.fullmatch(r"/restock-requests/[0-9a-f-]+/cancel", t) for t in targets), targets
        assert "/products/BRS-5/edit" in targets, targets
