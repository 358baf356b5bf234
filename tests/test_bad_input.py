"""Bad input to every writing endpoint: a 4xx in the one JSON error shape, naming the field at
fault, and not one row changed anywhere (API.md: "A failed request changes nothing")."""
from __future__ import annotations

import json
import shutil
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

import factories as f
from conftest import TEST_USERS, ApiClient
from gerai import auth
from gerai.app import create_app
from gerai.config import load_config
from gerai.models import User

HUGE = "x" * 10_000
DEEP = "[" * 100_000 + "]" * 100_000
LONG_INT = "9" * 5000


def stock_the_shop(session) -> None:
    """Rice by the kg (HET Rp13.500), LPG by the cylinder, both in stock, supplier BULOG."""
    f.supplier(session, "BULOG")
    f.product(session, "BRS-5", unit="kg", price=13000, het=13500, barcodes=[f.ean13(5)])
    f.product(session, "LPG-3", unit="tabung", category="lpg", price=18000, het=19000, barcodes=[f.ean13(3)])
    f.receive(session, "BRS-5", "10.5")
    f.receive(session, "LPG-3", 5)


@pytest.fixture
def shop(session):
    stock_the_shop(session)
    return session


@pytest.fixture(scope="module")
def refusing_shop(tmp_path_factory, template_db):
    """One shop for every refusal in this module: each case proves it changed nothing, so the next case
    meets the same shop (and the first case that did change something fails on its own digest)."""
    inst = tmp_path_factory.mktemp("bad-input")
    shutil.copy(template_db, inst / "gerai.db")
    app = create_app(load_config({}, instance=str(inst), secret_key="bad-input-" + uuid.uuid4().hex))
    app.config.update(TESTING=True)
    db = app.extensions["gerai_db"]
    with db.session() as session:
        stock_the_shop(session)
    with db.read_session() as s:
        user = s.scalar(sa.select(User).where(User.username == TEST_USERS["manager"]))
        token = auth.issue_token(app.config["SECRET_KEY"], user)[0]
    yield db, ApiClient(app.test_client(), token)
    db.dispose()


NEW_PRODUCT = {"sku": "GULA-1", "name": "Gula pasir", "category": "sembako", "unit": "kg", "price": 17000}
NEW_SUPPLIER = {"code": "IDFOOD", "name": "ID FOOD"}
RECEIPT = {"supplier": "BULOG", "reference": "SJ-1", "lines": [{"sku": "BRS-5", "qty": "2.5", "unit_cost": 12000}]}
COUNT = {"note": "opname", "lines": [{"sku": "BRS-5", "counted": "9.5"}]}
WRITE_OFF = {"reason": "damaged", "lines": [{"sku": "BRS-5", "qty": "1"}]}
CREDENTIALS = {"username": "t-manajer", "password": "wrong-but-well-formed"}


def with_(base: dict, **changes) -> dict:
    return {**base, **changes}


def without(base: dict, key: str) -> dict:
    return {k: v for k, v in base.items() if k != key}


def line(base: dict, **changes) -> dict:
    return {**base, "lines": [{**base["lines"][0], **changes}]}


def line_without(base: dict, key: str) -> dict:
    return {**base, "lines": [{k: v for k, v in base["lines"][0].items() if k != key}]}


NUL_INPUTS = [("POST", "/suppliers", {"code": "IDFOOD", "name": "ID\u0000FOOD"}),
              ("POST", "/auth/token", {"username": "t-manajer\u0000", "password": "x"}),
              ("POST", "/stock/receipts", {"lines": [{"sku": "BRS-5\u0000", "qty": "1"}]}),
              ("PATCH", "/products/BRS-5", {"name": "Beras\u0000"}),
              ("GET", "/products?q=a%00b", None), ("GET", "/products/BRS%005", None), ("GET", "/suppliers/B%00", None)]

# (id, method, path, body, status, reason or None, field or None). A `str`/`bytes` body is sent raw
# as application/json; a dict is JSON-encoded. A field is checked in errors["json"] (or ["query"]).
C = pytest.param
CASES = [
    # --- POST /products
    C("POST", "/products", without(NEW_PRODUCT, "name"), 422, None, "name", id="product-missing-name"),
    C("POST", "/products", with_(NEW_PRODUCT, price="17000"), 422, None, "price", id="product-price-string"),
    C("POST", "/products", with_(NEW_PRODUCT, price=17000.5), 422, None, "price", id="product-price-fraction"),
    C("POST", "/products", with_(NEW_PRODUCT, price=-1), 422, None, "price", id="product-price-negative"),
    C("POST", "/products", with_(NEW_PRODUCT, price=10**20), 422, None, "price", id="product-price-1e20"),
    C("POST", "/products", '{"sku":"G","name":"g","category":"sembako","unit":"kg","price":1e30}', 422, None, "price",
      id="product-price-1e30"),
    C("POST", "/products", with_(NEW_PRODUCT, het=15000), 409, "price_above_het", "price", id="product-above-het"),
    C("POST", "/products", with_(NEW_PRODUCT, quota={"qty": "1.2345", "period_days": 30}), 422, None, "quota.qty",
      id="product-quota-4-decimals"),
    C("POST", "/products", with_(NEW_PRODUCT, unit="tabung", quota={"qty": "1.5", "period_days": 30}), 422,
      "invalid", "quota.qty", id="product-fractional-tabung-quota"),
    C("POST", "/products", with_(NEW_PRODUCT, unit="tabung", reorder={"min": "1", "max": "2.5"}), 422,
      "invalid", "reorder.max", id="product-fractional-tabung-reorder"),
    C("POST", "/products", with_(NEW_PRODUCT, reorder={"min": "-1", "max": "5"}), 422, "invalid", "reorder.min",
      id="product-reorder-negative"),
    C("POST", "/products", with_(NEW_PRODUCT, reorder={"min": "5", "max": "1e30"}), 422, None, "reorder.max",
      id="product-reorder-oversize"),
    C("POST", "/products", with_(NEW_PRODUCT, supplier="NOPE"), 422, "invalid", "supplier", id="product-unknown-supplier"),
    C("POST", "/products", with_(NEW_PRODUCT, category="elektronik"), 422, None, "category", id="product-bad-category"),
    C("POST", "/products", with_(NEW_PRODUCT, unit="ton"), 422, "invalid", "unit", id="product-unknown-unit"),
    C("POST", "/products", with_(NEW_PRODUCT, sku="BRS-5"), 409, None, "sku", id="product-duplicate-sku"),
    C("POST", "/products", with_(NEW_PRODUCT, barcodes=[f.ean13(5)]), 409, None, "barcodes.0",
      id="product-duplicate-barcode"),
    C("POST", "/products", with_(NEW_PRODUCT, barcodes=["8991234567890"]), 422, "invalid", "barcodes.0",
      id="product-bad-check-digit"),
    C("POST", "/products", with_(NEW_PRODUCT, barcodes="8991234567891"), 422, None, "barcodes",
      id="product-barcodes-not-a-list"),
    C("POST", "/products", with_(NEW_PRODUCT, name=HUGE), 422, None, "name", id="product-huge-name"),
    C("POST", "/products", with_(NEW_PRODUCT, sku=HUGE), 422, None, "sku", id="product-huge-sku"),
    C("POST", "/products", with_(NEW_PRODUCT, colour="red"), 422, None, "colour", id="product-unknown-field"),
    C("POST", "/products", with_(NEW_PRODUCT, het_effective_from="0001-01-01T00:00:00+14:00", het=20000), 422, None,
      "het_effective_from", id="product-time-out-of-range"),
    # --- PATCH /products/<sku>
    C("PATCH", "/products/BRS-5", {"price": 14000}, 409, "price_above_het", "price", id="patch-price-above-het"),
    C("PATCH", "/products/BRS-5", {"het": 12000}, 409, "price_above_het", None, id="patch-het-below-price"),
    C("PATCH", "/products/BRS-5", {"price": "x"}, 422, None, "price", id="patch-price-wrong-type"),
    C("PATCH", "/products/BRS-5", {"price": -5}, 422, None, "price", id="patch-price-negative"),
    C("PATCH", "/products/BRS-5", {"name": None}, 422, None, "name", id="patch-name-null"),
    C("PATCH", "/products/BRS-5", {"sku": "OTHER"}, 422, None, "sku", id="patch-sku-not-allowed"),
    C("PATCH", "/products/BRS-5", {"unit": "tabung"}, 422, "invalid", "unit", id="patch-unit-whole-with-fraction-on-hand"),
    C("PATCH", "/products/BRS-5", {"reorder": {"min": "1.0001", "max": "5"}}, 422, None, "reorder.min",
      id="patch-reorder-4-decimals"),
    C("PATCH", "/products/BRS-5", {"reorder": {"min": "5", "max": "1"}}, 422, "invalid", "reorder.max",
      id="patch-reorder-max-below-min"),
    C("PATCH", "/products/BRS-5", {"barcodes": [f.ean13(3)]}, 409, None, "barcodes.0", id="patch-barcode-taken"),
    C("PATCH", "/products/LPG-3", {"quota": {"qty": "0.5", "period_days": 30}}, 422, "invalid", "quota.qty",
      id="patch-fractional-tabung-quota"),
    C("PATCH", "/products/NOPE", {"price": 1}, 404, "unknown_sku", None, id="patch-unknown-sku"),
    C("PATCH", "/products/BRS-5", {"het": 10**20}, 422, None, "het", id="patch-het-oversize"),
    # --- POST/PATCH /suppliers
    C("POST", "/suppliers", without(NEW_SUPPLIER, "name"), 422, None, "name", id="supplier-missing-name"),
    C("POST", "/suppliers", with_(NEW_SUPPLIER, lead_time_days="3"), 422, None, "lead_time_days",
      id="supplier-lead-time-string"),
    C("POST", "/suppliers", with_(NEW_SUPPLIER, lead_time_days=-1), 422, None, "lead_time_days",
      id="supplier-lead-time-negative"),
    C("POST", "/suppliers", with_(NEW_SUPPLIER, lead_time_days=10**20), 422, None, "lead_time_days",
      id="supplier-lead-time-oversize"),
    C("POST", "/suppliers", with_(NEW_SUPPLIER, pack_size="-5"), 422, None, "pack_size", id="supplier-pack-negative"),
    C("POST", "/suppliers", with_(NEW_SUPPLIER, pack_size="0.0001"), 422, None, "pack_size",
      id="supplier-pack-4-decimals"),
    C("POST", "/suppliers", '{"code":"IDFOOD","name":"ID FOOD","pack_size":1e30}', 422, None, "pack_size",
      id="supplier-pack-1e30"),
    C("POST", "/suppliers", with_(NEW_SUPPLIER, code="BULOG"), 409, None, "code", id="supplier-duplicate"),
    C("POST", "/suppliers", with_(NEW_SUPPLIER, code="ID FOOD"), 422, None, "code", id="supplier-bad-code"),
    C("POST", "/suppliers", with_(NEW_SUPPLIER, contact=HUGE), 422, None, "contact", id="supplier-huge-contact"),
    C("POST", "/suppliers", with_(NEW_SUPPLIER, email="a@b"), 422, None, "email", id="supplier-unknown-field"),
    C("PATCH", "/suppliers/BULOG", {"lead_time_days": "x"}, 422, None, "lead_time_days", id="patch-supplier-wrong-type"),
    C("PATCH", "/suppliers/BULOG", {"code": "X"}, 422, None, "code", id="patch-supplier-code"),
    C("PATCH", "/suppliers/NOPE", {"name": "x"}, 404, None, None, id="patch-supplier-unknown"),
    # --- POST /stock/receipts
    C("POST", "/stock/receipts", without(RECEIPT, "lines"), 422, None, "lines", id="receipt-missing-lines"),
    C("POST", "/stock/receipts", with_(RECEIPT, lines=[]), 422, None, "lines", id="receipt-no-lines"),
    C("POST", "/stock/receipts", line_without(RECEIPT, "qty"), 422, None, "lines.0.qty", id="receipt-missing-qty"),
    C("POST", "/stock/receipts", line(RECEIPT, qty=True), 422, None, "lines.0.qty", id="receipt-qty-bool"),
    C("POST", "/stock/receipts", line(RECEIPT, qty=[1]), 422, None, "lines.0.qty", id="receipt-qty-list"),
    C("POST", "/stock/receipts", line(RECEIPT, qty="-1"), 422, "invalid", "lines.0.qty", id="receipt-negative"),
    C("POST", "/stock/receipts", line(RECEIPT, qty=0), 422, "invalid", "lines.0.qty", id="receipt-zero"),
    C("POST", "/stock/receipts", line(RECEIPT, qty="1.2345"), 422, None, "lines.0.qty", id="receipt-4-decimals"),
    C("POST", "/stock/receipts", '{"lines":[{"sku":"BRS-5","qty":1.2345}]}', 422, None, "lines.0.qty",
      id="receipt-4-decimals-number"),
    C("POST", "/stock/receipts", line(RECEIPT, sku="NOPE"), 404, "unknown_sku", "lines.0.sku", id="receipt-unknown-sku"),
    C("POST", "/stock/receipts", line(RECEIPT, sku="LPG-3", qty="1.5"), 422, "invalid", "lines.0.qty",
      id="receipt-fractional-tabung"),
    C("POST", "/stock/receipts", {**RECEIPT, "lines": RECEIPT["lines"] + [{"sku": "LPG-3", "qty": "0.5"}]}, 422,
      "invalid", "lines.1.qty", id="receipt-second-line-bad"),
    C("POST", "/stock/receipts", {**RECEIPT, "lines": RECEIPT["lines"] + [{"sku": "NOPE", "qty": "1"}]}, 404,
      "unknown_sku", "lines.1.sku", id="receipt-second-line-unknown"),
    C("POST", "/stock/receipts", with_(RECEIPT, supplier="NOPE"), 422, "invalid", "supplier", id="receipt-unknown-supplier"),
    C("POST", "/stock/receipts", line(RECEIPT, unit_cost=-1), 422, None, "lines.0.unit_cost", id="receipt-cost-negative"),
    C("POST", "/stock/receipts", line(RECEIPT, unit_cost=10**20), 422, None, "lines.0.unit_cost",
      id="receipt-cost-oversize"),
    C("POST", "/stock/receipts", '{"lines":[{"sku":"BRS-5","qty":1e30}]}', 422, None, "lines.0.qty",
      id="receipt-qty-1e30"),
    C("POST", "/stock/receipts", line(RECEIPT, qty=str(10**20)), 422, None, "lines.0.qty", id="receipt-qty-1e20"),
    C("POST", "/stock/receipts", line(RECEIPT, qty="1e999999999"), 422, None, "lines.0.qty", id="receipt-qty-huge-exp"),
    C("POST", "/stock/receipts", line(RECEIPT, qty="NaN"), 422, None, "lines.0.qty", id="receipt-qty-nan"),
    C("POST", "/stock/receipts", '{"lines":[{"sku":"BRS-5","qty":Infinity}]}', 422, None, "lines.0.qty",
      id="receipt-qty-infinity"),
    C("POST", "/stock/receipts", with_(RECEIPT, restock_request_id="not-a-uuid"), 422, None, "restock_request_id",
      id="receipt-bad-uuid"),
    C("POST", "/stock/receipts", with_(RECEIPT, reference=HUGE), 422, None, "reference", id="receipt-huge-reference"),
    C("POST", "/stock/receipts", line(RECEIPT, colour="red"), 422, None, "lines.0.colour", id="receipt-unknown-field"),
    # --- POST /stock/counts
    C("POST", "/stock/counts", line_without(COUNT, "counted"), 422, None, "lines.0.counted", id="count-missing-counted"),
    C("POST", "/stock/counts", line(COUNT, counted="-1"), 422, "invalid", "lines.0.counted", id="count-negative"),
    C("POST", "/stock/counts", line(COUNT, counted="9.0001"), 422, None, "lines.0.counted", id="count-4-decimals"),
    C("POST", "/stock/counts", line(COUNT, counted={"x": 1}), 422, None, "lines.0.counted", id="count-wrong-type"),
    C("POST", "/stock/counts", line(COUNT, sku="NOPE"), 404, "unknown_sku", "lines.0.sku", id="count-unknown-sku"),
    C("POST", "/stock/counts", line(COUNT, sku="LPG-3", counted="4.5"), 422, "invalid", "lines.0.counted",
      id="count-fractional-tabung"),
    C("POST", "/stock/counts", {"lines": COUNT["lines"] * 2}, 422, "invalid", "lines", id="count-same-product-twice"),
    C("POST", "/stock/counts", line(COUNT, counted=10**20), 422, None, "lines.0.counted", id="count-oversize"),
    C("POST", "/stock/counts", with_(COUNT, note=HUGE), 422, None, "note", id="count-huge-note"),
    # --- POST /stock/write-offs
    C("POST", "/stock/write-offs", without(WRITE_OFF, "reason"), 422, None, "reason", id="write-off-missing-reason"),
    C("POST", "/stock/write-offs", with_(WRITE_OFF, reason="stolen"), 422, None, "reason", id="write-off-bad-reason"),
    C("POST", "/stock/write-offs", line(WRITE_OFF, qty="10.501"), 409, "insufficient_stock", "lines.0.qty",
      id="write-off-more-than-on-hand"),
    C("POST", "/stock/write-offs", {**WRITE_OFF, "lines": WRITE_OFF["lines"] + [{"sku": "LPG-3", "qty": 6}]}, 409,
      "insufficient_stock", "lines.1.qty", id="write-off-second-line-short"),
    C("POST", "/stock/write-offs", {**WRITE_OFF, "lines": [{"sku": "BRS-5", "qty": "6"}, {"sku": "BRS-5", "qty": "5"}]},
      409, "insufficient_stock", "lines.1.qty", id="write-off-same-product-adds-up-short"),
    C("POST", "/stock/write-offs", line(WRITE_OFF, qty="-1"), 422, "invalid", "lines.0.qty", id="write-off-negative"),
    C("POST", "/stock/write-offs", line(WRITE_OFF, qty="0.0001"), 422, None, "lines.0.qty", id="write-off-4-decimals"),
    C("POST", "/stock/write-offs", line(WRITE_OFF, sku="LPG-3", qty="0.5"), 422, "invalid", "lines.0.qty",
      id="write-off-fractional-tabung"),
    C("POST", "/stock/write-offs", line(WRITE_OFF, sku="NOPE"), 404, "unknown_sku", "lines.0.sku",
      id="write-off-unknown-sku"),
    C("POST", "/stock/write-offs", line(WRITE_OFF, qty=10**20), 422, None, "lines.0.qty", id="write-off-oversize"),
    C("POST", "/stock/write-offs", line(WRITE_OFF, qty="1", sku=HUGE), 422, None, "lines.0.sku", id="write-off-huge-sku"),
    # --- POST /auth/token (well-formed but wrong credentials are test_auth's subject)
    C("POST", "/auth/token", without(CREDENTIALS, "password"), 422, None, "password", id="token-missing-password"),
    C("POST", "/auth/token", with_(CREDENTIALS, username=5), 422, None, "username", id="token-username-number"),
    C("POST", "/auth/token", with_(CREDENTIALS, username=HUGE), 422, None, "username", id="token-huge-username"),
    C("POST", "/auth/token", with_(CREDENTIALS, password=HUGE), 422, None, "password", id="token-huge-password"),
    C("POST", "/auth/token", with_(CREDENTIALS, remember=True), 422, None, "remember", id="token-unknown-field"),
    # --- query strings
    C("GET", "/products?page=0", None, 422, None, "page", id="query-page-zero"),
    C("GET", "/products?page=" + "9" * 20, None, 422, None, "page", id="query-page-oversize"),
    C("GET", "/products?page_size=" + "9" * 20, None, 422, None, "page_size", id="query-page-size-oversize"),
    C("GET", "/products?page=" + LONG_INT, None, 422, None, "page", id="query-page-5000-digits"),
    C("GET", "/products?category=elektronik", None, 422, None, "category", id="query-bad-category"),
    C("GET", "/products?q=" + "x" * 1000, None, 422, None, "q", id="query-huge-q"),
    C("GET", "/stock?status=sold", None, 422, None, "status", id="query-bad-status"),
    C("GET", "/stock/BRS-5/movements?since=yesterday", None, 422, None, "since", id="query-since-not-a-time"),
    C("GET", "/stock/BRS-5/movements?since=2025-01-01T00:00:00", None, 422, None, "since", id="query-since-naive"),
    C("GET", "/stock/BRS-5/movements?until=9999-12-31T23:00:00-12:00", None, 422, None, "until",
      id="query-until-out-of-range"),
    C("GET", "/stock/BRS-5/movements?page=" + "9" * 20, None, 422, None, "page", id="query-movements-page-oversize"),
    C("GET", "/stock/NOPE/movements", None, 404, "unknown_sku", None, id="query-movements-unknown-sku"),
    # --- NUL characters (PostgreSQL text cannot hold them: refused everywhere alike)
    *[C(m, p, b, 400, None, None, id=f"nul-{i}") for i, (m, p, b) in enumerate(NUL_INPUTS)],
]

WRITING_ENDPOINTS = [("POST", "/products"), ("PATCH", "/products/BRS-5"), ("POST", "/suppliers"),
                     ("PATCH", "/suppliers/BULOG"), ("POST", "/stock/receipts"), ("POST", "/stock/counts"),
                     ("POST", "/stock/write-offs"), ("POST", "/auth/token")]
MALFORMED = [pytest.param(b'{"lines": [', id="truncated"), pytest.param(b"\xff\xfe{}", id="not-utf8"),
             pytest.param(b"nul", id="not-json"), pytest.param(b"{'a': 1}", id="single-quotes"),
             pytest.param(DEEP.encode(), id="nested-100000-deep"),
             pytest.param(b'{"price": ' + LONG_INT.encode() + b"}", id="5000-digit-number")]


def send(api, method: str, path: str, body):
    if body is None:
        return api.open(method, path)
    if isinstance(body, (str, bytes)):
        return api.open(method, path, data=body, headers={"Content-Type": "application/json"})
    return api.open(method, path, data=json.dumps(body), headers={"Content-Type": "application/json"})


def assert_error_shape(res, status: int, reason: str | None = None, field: str | None = None) -> dict:
    assert res.status_code == status, (res.status_code, res.get_data(as_text=True)[:500])
    assert res.mimetype == "application/json"
    body = res.get_json()
    assert body["code"] == status and isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"code", "status", "message", "errors"}
    if reason:
        assert body["status"] == reason, body
    if field:
        located = {path for where in body.get("errors", {}).values() if isinstance(where, dict) for path in where}
        assert field in located, body
        for where in body["errors"].values():
            for messages in where.values():
                assert isinstance(messages, list) and all(isinstance(m, str) and m for m in messages), body
    return body


@pytest.mark.parametrize(("method", "path", "body", "status", "reason", "field"), CASES)
def test_bad_input_answers_4xx_json_naming_the_field_and_changes_nothing(refusing_shop, method, path, body, status,
                                                                         reason, field):
    db, manager = refusing_shop
    before = f.db_digest(db)
    res = send(manager, method, path, body)
    assert_error_shape(res, status, reason, field)
    assert f.db_digest(db) == before


@pytest.mark.parametrize("raw", MALFORMED)
@pytest.mark.parametrize(("method", "path"), WRITING_ENDPOINTS, ids=[f"{m} {p}" for m, p in WRITING_ENDPOINTS])
def test_malformed_json_is_400_and_changes_nothing(refusing_shop, method, path, raw):
    db, manager = refusing_shop
    before = f.db_digest(db)
    res = send(manager, method, path, raw)
    body = assert_error_shape(res, 400)
    assert body["errors"] == {"json": {"_schema": ["Invalid JSON body."]}}  # location -> field -> messages
    assert f.db_digest(db) == before


@pytest.mark.parametrize("raw", ["[]", '"text"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_422(refusing_shop, raw):
    db, manager = refusing_shop
    before = f.db_digest(db)
    for method, path in WRITING_ENDPOINTS:
        assert_error_shape(send(manager, method, path, raw), 422)
    assert f.db_digest(db) == before


def test_a_form_body_on_a_json_endpoint_is_refused(refusing_shop):
    db, manager = refusing_shop
    before = f.db_digest(db)
    res = manager.post("/stock/receipts", data={"lines": "x"})
    assert_error_shape(res, 422, field="lines")
    assert f.db_digest(db) == before


def test_a_body_over_8_mb_is_413(refusing_shop):
    db, manager = refusing_shop
    before = f.db_digest(db)
    res = send(manager, "POST", "/products", '{"name": "' + "x" * (9 * 1024 * 1024) + '"}')
    assert_error_shape(res, 413)
    assert f.db_digest(db) == before


def test_a_refused_write_off_line_undoes_the_lines_before_it(shop, db, issued_api):
    """The first line alone would succeed: it must not survive the second line's refusal."""
    res = issued_api("manager").post("/stock/write-offs", json={"reason": "expired", "lines": [
        {"sku": "BRS-5", "qty": "1"}, {"sku": "LPG-3", "qty": "99"}]})
    assert_error_shape(res, 409, "insufficient_stock", "lines.1.qty")
    stock = {r["sku"]: r["on_hand"] for r in issued_api("manager").get("/stock").get_json()}
    assert stock == {"BRS-5": "10.500", "LPG-3": "5.000"}
    f.assert_ledger_sound(db)


def test_good_input_after_bad_still_works(shop, db, issued_api):
    """The refusals above leave the session usable: the next request succeeds."""
    api = issued_api("manager")
    assert send(api, "POST", "/stock/receipts", '{"lines": [').status_code == 400
    assert api.post("/stock/write-offs", json=line(WRITE_OFF, qty="99")).status_code == 409
    res = api.post("/stock/receipts", json=RECEIPT)
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["movements"][0]["balance_after"] == "13.000"
    assert api.get("/products/BRS-5").get_json()["on_hand"] == str(Decimal("13.000"))


def test_nul_characters_are_a_400_on_postgresql_too(pg_db, tmp_path):
    """Where they used to be a 500: psycopg refuses NUL in text."""
    app = create_app(load_config({}, instance=str(tmp_path), database_url=pg_db.url, secret_key="pg-nul"))
    try:
        with pg_db.read_session() as s:
            user = s.scalar(sa.select(User).where(User.username == TEST_USERS["manager"]))
        manager = ApiClient(app.test_client(), auth.issue_token(app.config["SECRET_KEY"], user)[0])
        before = f.db_digest(pg_db)
        for method, path, body in NUL_INPUTS:
            assert_error_shape(send(manager, method, path, body), 400)
        res = app.test_client().post("/login", data={"username": "a\x00", "password": "x"})
        assert res.status_code == 400
        assert f.db_digest(pg_db) == before
    finally:
        app.extensions["gerai_db"].dispose()
