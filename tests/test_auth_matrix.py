"""Who may call what: every route in the URL map, for an anonymous caller and for every role.

ACCESS below is the one table of who belongs where. A route that is not in it fails
`test_every_route_is_classified`: whoever adds a route must decide who may call it.
Anonymous callers reach only the public routes (the API answers 401, pages redirect to /login);
each role gets 403 wherever it does not belong and is let through wherever it does.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

import factories as f
from conftest import TEST_USERS
from gerai import auth
from gerai.models import ROLES, User
from pos.api import SHIFT_ID

PUBLIC = "public"
SIGNED_IN = ROLES  # any role, once signed in
MANAGER = ("manager", "admin")
CASHIER = ("cashier", "manager", "admin")
COORDINATORS = ("coordinator", "admin")
MONITORS = ("monitor", "admin")

OUTLET = "outlet token"  # the hub's sync endpoints: an outlet's token, never a user's (a user's gets 401)

ACCESS: dict[tuple[str, str], str | tuple[str, ...]] = {
    # the platform
    ("GET", "/"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("GET", "/lang/<code>"): PUBLIC,
    ("GET", "/static/<path:filename>"): PUBLIC,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("POST", "/logout"): SIGNED_IN,
    # the audit log (read only)
    ("GET", "/audit"): MANAGER,
    ("GET", "/api/v1/audit"): MANAGER,
    # catalog API
    ("GET", "/api/v1/products"): SIGNED_IN,
    ("POST", "/api/v1/products"): MANAGER,
    ("GET", "/api/v1/products/<path:sku>"): SIGNED_IN,
    ("PATCH", "/api/v1/products/<path:sku>"): MANAGER,
    ("GET", "/api/v1/suppliers"): SIGNED_IN,
    ("POST", "/api/v1/suppliers"): MANAGER,
    ("GET", "/api/v1/suppliers/<code>"): SIGNED_IN,
    ("PATCH", "/api/v1/suppliers/<code>"): MANAGER,
    # stock API
    ("GET", "/api/v1/stock"): SIGNED_IN,
    ("GET", "/api/v1/stock/<path:sku>/movements"): MANAGER,
    ("POST", "/api/v1/stock/receipts"): MANAGER,
    ("POST", "/api/v1/stock/counts"): MANAGER,
    ("POST", "/api/v1/stock/write-offs"): MANAGER,
    # manager pages (inventory/views.py)
    ("GET", "/products"): MANAGER,
    ("GET", "/products/new"): MANAGER,
    ("POST", "/products/new"): MANAGER,
    ("GET", "/products/<path:sku>/edit"): MANAGER,
    ("POST", "/products/<path:sku>/edit"): MANAGER,
    ("GET", "/stock"): MANAGER,
    ("GET", "/stock/<path:sku>/movements"): MANAGER,
    ("GET", "/stock/receive"): MANAGER,
    ("POST", "/stock/receive"): MANAGER,
    ("GET", "/stock/write-off"): MANAGER,
    ("POST", "/stock/write-off"): MANAGER,
    ("GET", "/stock/count"): MANAGER,
    ("POST", "/stock/count"): MANAGER,
    # signals and restock (API.md: Stock, Restock)
    ("GET", "/api/v1/stock/slow-movers"): MANAGER,
    ("GET", "/api/v1/restock/suggestions"): MANAGER,
    ("GET", "/api/v1/restock-requests"): (*MANAGER, "coordinator"),
    ("POST", "/api/v1/restock-requests"): MANAGER,
    ("GET", "/api/v1/restock-requests/<uuid:request_id>"): (*MANAGER, "coordinator"),
    ("POST", "/api/v1/restock-requests/<uuid:request_id>/cancel"): MANAGER,
    ("GET", "/signals"): MANAGER,
    ("POST", "/signals/auto"): MANAGER,
    ("POST", "/signals/sync"): MANAGER,
    ("GET", "/signals/products/<path:sku>"): MANAGER,
    ("GET", "/restock-requests"): MANAGER,
    ("GET", "/restock-requests/new"): MANAGER,
    ("POST", "/restock-requests/new"): MANAGER,
    ("GET", "/restock-requests/<request_id>"): MANAGER,
    ("GET", "/restock-requests/<request_id>.csv"): MANAGER,
    ("POST", "/restock-requests/<request_id>/cancel"): MANAGER,
    # the till API (pos/api.py, pos/office_api.py)
    ("POST", "/api/v1/shifts"): CASHIER,
    ("GET", "/api/v1/shifts/current"): CASHIER,
    ("GET", f"/api/v1/shifts/<{SHIFT_ID}:shift_id>"): CASHIER,
    ("POST", f"/api/v1/shifts/<{SHIFT_ID}:shift_id>/close"): CASHIER,
    ("GET", f"/api/v1/shifts/<{SHIFT_ID}:shift_id>/report"): CASHIER,
    ("POST", f"/api/v1/shifts/<{SHIFT_ID}:shift_id>/print"): CASHIER,
    ("POST", "/api/v1/sales"): CASHIER,
    ("GET", "/api/v1/sales/<uuid:sale_id>"): CASHIER,
    ("GET", "/api/v1/sales/<uuid:sale_id>/receipt"): CASHIER,
    ("POST", "/api/v1/sales/<uuid:sale_id>/print"): CASHIER,
    ("POST", "/api/v1/sales/<uuid:sale_id>/refunds"): MANAGER,
    ("GET", "/api/v1/members"): CASHIER,
    ("POST", "/api/v1/members"): MANAGER,
    ("GET", "/api/v1/members/purchases"): MANAGER,
    ("GET", "/api/v1/members/<member_no>"): CASHIER,
    ("PATCH", "/api/v1/members/<member_no>"): MANAGER,
    ("GET", "/api/v1/members/<member_no>/purchases"): MANAGER,
    ("GET", "/api/v1/lpg/logbook"): MANAGER,
    ("GET", "/api/v1/lpg/empties"): SIGNED_IN,
    ("POST", "/api/v1/lpg/empties/returns"): MANAGER,
    ("POST", "/api/v1/lpg/empties/counts"): MANAGER,
    ("GET", "/api/v1/settings/qris"): MANAGER,
    ("PUT", "/api/v1/settings/qris"): MANAGER,
    ("GET", "/api/v1/qris/dynamic"): CASHIER,
    # the till page (pos/views.py)
    ("GET", "/till"): CASHIER,
    ("GET", "/till/qr.svg"): CASHIER,
}

# A value for each URL variable, naming something that exists in the `shop` fixture.
SAMPLES = {"sku": "BRS-5", "code": "BULOG", "filename": "vendor/README", "id": "1",
           "request_id": "00000000-0000-4000-8000-000000000001", "member_no": "A-1",
           "sale_id": "00000000-0000-4000-8000-000000000001", "shift_id": "1"}
AUTOMATIC_METHODS = {"HEAD", "OPTIONS"}  # answered by Flask for every rule like its GET


def routes(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods - AUTOMATIC_METHODS}


def url_for_rule(app, rule_text: str) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text)
    missing = set(rule.arguments) - set(SAMPLES) - ({"code"} if rule.endpoint == "web.switch_language" else set())
    assert not missing, f"{rule_text}: add a sample value for {missing} to SAMPLES in {__name__}"
    values = {**SAMPLES, "code": "en"} if rule.endpoint == "web.switch_language" else SAMPLES
    return rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]


def is_api(rule_text: str) -> bool:
    return rule_text.startswith("/api/")


@pytest.fixture
def shop(session):
    f.supplier(session, "BULOG")
    f.product(session, "BRS-5", unit="kg", price=13000)
    f.receive(session, "BRS-5", 10)
    return session


class Caller:
    """One role (or nobody) calling every route: a bearer token for the API, a signed-in cookie for pages."""

    CSRF = "matrix-csrf-token"

    def __init__(self, app, role: str | None):
        self.app, self.role, self.client = app, role, app.test_client()
        self.token = self.user = None
        if role:
            with app.extensions["gerai_db"].read_session() as s:
                self.user = s.scalar(sa.select(User).where(User.username == TEST_USERS[role]))
            self.token = auth.issue_token(app.config["SECRET_KEY"], self.user)[0]

    def _cookie(self) -> None:
        """What `guard.sign_in` keeps in the session (set afresh each call: POST /logout clears it)."""
        with self.client.session_transaction() as sess:
            sess.clear()
            sess["csrf_token"] = self.CSRF
            if self.user is not None:
                sess["uid"], sess["fp"] = self.user.id, auth.password_fingerprint(self.user)

    def call(self, method: str, rule_text: str):
        url = url_for_rule(self.app, rule_text)
        self._cookie()
        if is_api(rule_text):
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            body = {"json": {}} if method in ("POST", "PATCH", "PUT") else {}
            if self.token:  # the API through its bearer token only: no cookie
                self.client.delete_cookie("session")
            res = self.client.open(url, method=method, headers=headers, **body)
        else:
            res = self.client.open(url, method=method, data={"csrf_token": self.CSRF} if method != "GET" else None)
        res.get_data()  # read it all, then let go of any file behind it (static files)
        res.close()
        return res


def refused_as_anonymous(res, rule_text: str) -> bool:
    if is_api(rule_text):
        return res.status_code == 401 and res.get_json()["status"] == "Unauthorized"
    return res.status_code == 302 and urlsplit(res.location).path == "/login"


def test_every_route_is_classified(app):
    """A new route must be entered in ACCESS with who may call it; a removed one must leave it."""
    found = routes(app)
    unclassified = sorted(found - set(ACCESS))
    stale = sorted(set(ACCESS) - found)
    assert not unclassified, f"routes nobody decided the access of (add them to ACCESS in {__file__}): {unclassified}"
    assert not stale, f"ACCESS lists routes that no longer exist: {stale}"


def test_the_table_names_only_real_roles():
    for who in ACCESS.values():
        assert who == PUBLIC or (who and set(who) <= set(ROLES)), who


def test_anonymous_callers_reach_only_the_public_routes(app, shop):
    anonymous_walk(app, ACCESS)


def anonymous_walk(app, access) -> None:
    caller, wrong = Caller(app, None), []
    for method, rule_text in sorted(routes(app)):
        res = caller.call(method, rule_text)
        public = access.get((method, rule_text)) == PUBLIC
        if res.status_code >= 500 or refused_as_anonymous(res, rule_text) == public:
            wrong.append(f"{method} {rule_text}: {res.status_code} {'(public)' if public else '(should be refused)'}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_403_where_it_does_not_belong_and_through_where_it_does(app, shop, role):
    role_walk(app, role, ACCESS, routes(app))


def role_walk(app, role, access, rules) -> None:
    caller, wrong = Caller(app, role), []
    for method, rule_text in sorted(rules):
        who = access.get((method, rule_text))
        if who is None or who in (PUBLIC, OUTLET):
            continue  # unclassified: test_every_route_is_classified says so
        res = caller.call(method, rule_text)
        if res.status_code >= 500:
            wrong.append(f"{method} {rule_text}: {res.status_code}")
        elif role in who and (res.status_code in (401, 403) or refused_as_anonymous(res, rule_text)):
            wrong.append(f"{method} {rule_text}: {res.status_code}, but {role} belongs here")
        elif role not in who and res.status_code != 403:
            wrong.append(f"{method} {rule_text}: {res.status_code}, but {role} should get 403")
        elif role not in who and is_api(rule_text):
            body = res.get_json()
            if (body["code"], body["status"]) != (403, "Forbidden"):
                wrong.append(f"{method} {rule_text}: 403 without the JSON error shape: {body}")
    assert not wrong, "\n".join(wrong)


def test_a_role_check_comes_before_input_checks(app, shop):
    """A cashier sending garbage to a manager's endpoint learns only that it may not: 403, not 422."""
    caller = Caller(app, "cashier")
    res = caller.client.post("/api/v1/stock/write-offs", data=b"{not json",
                             headers={"Authorization": f"Bearer {caller.token}", "Content-Type": "application/json"})
    assert res.status_code == 403


def test_the_api_does_not_redirect_and_pages_do_not_answer_json(app, shop):
    anonymous = Caller(app, None)
    api = anonymous.call("GET", "/api/v1/stock")
    assert api.status_code == 401 and api.mimetype == "application/json" and "Location" not in api.headers
    page = anonymous.call("GET", "/stock")
    assert page.status_code == 302 and urlsplit(page.location).path == "/login"
    assert "next=/stock" in page.location


# --- the hub (GERAI_ROLE=hub): the same table, less what only a shop has, plus the hub's own routes --------

SHOP_ONLY = {("POST", "/api/v1/restock-requests"), ("POST", "/api/v1/restock-requests/<uuid:request_id>/cancel")}
HUB_ONLY: dict[tuple[str, str], str | tuple[str, ...]] = {
    ("POST", "/api/v1/sync/push"): OUTLET,
    ("GET", "/api/v1/sync/pull"): OUTLET,
    ("GET", "/api/v1/restock-requests"): (*MANAGER, "coordinator", "monitor"),
    ("GET", "/api/v1/restock-requests/<uuid:request_id>"): (*MANAGER, "coordinator", "monitor"),
    ("POST", "/api/v1/restock-requests/<uuid:request_id>/dispatch"): ("coordinator",),
    # the hub's pages (suppliers/hub/views.py): coordinators' queue, demand, dispatch form; monitors' figures
    ("GET", "/hub/queue"): COORDINATORS,
    ("GET", "/hub/queue.csv"): COORDINATORS,
    ("GET", "/hub/demand"): COORDINATORS,
    ("GET", "/hub/demand.csv"): COORDINATORS,
    ("GET", "/hub/requests/<request_id>"): COORDINATORS,
    ("POST", "/hub/requests/<request_id>/dispatch"): COORDINATORS,
    ("GET", "/hub/outlets/<code>"): ("coordinator", "monitor", "admin"),
    ("GET", "/hub/monitor"): MONITORS,
    ("GET", "/hub/monitor.csv"): MONITORS,
}
HUB_ACCESS = {**{k: v for k, v in ACCESS.items() if k not in SHOP_ONLY}, **HUB_ONLY}


@pytest.fixture
def hub_app(settings):
    import dataclasses

    from gerai.app import create_app

    application = create_app(dataclasses.replace(settings, role="hub"))
    application.config.update(TESTING=True)
    yield application
    application.extensions["gerai_db"].dispose()


def test_every_hub_route_is_classified(hub_app):
    found = routes(hub_app)
    assert not sorted(found - set(HUB_ACCESS)), f"hub routes nobody decided the access of: {sorted(found - set(HUB_ACCESS))}"
    assert not sorted(set(HUB_ACCESS) - found), f"HUB_ACCESS lists routes the hub does not have: {sorted(set(HUB_ACCESS) - found)}"
    for who in HUB_ONLY.values():
        assert who == OUTLET or set(who) <= set(ROLES), who


def test_anonymous_callers_reach_only_the_public_routes_of_a_hub(hub_app, shop):
    anonymous_walk(hub_app, HUB_ACCESS)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_on_the_hubs_own_routes(hub_app, shop, role):
    role_walk(hub_app, role, HUB_ACCESS, set(HUB_ONLY))
