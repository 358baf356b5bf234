"""A stock document with the client's id is recorded once: a retry after a lost answer (same id, same
body) answers the stored document with 200 and changes nothing, the same id with another body is a
409 naming `id`, twins sent at the same moment make one document (SQLite and PostgreSQL), and the
manager pages' forms carry an id so a double submit records once."""
from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

import factories as f
from inventory import stock
from inventory.empties import count_empties, empties_on_hand
from inventory.ledger import ledger_differences
from inventory.models import StockDocument, StockMovement
from test_bad_input import assert_error_shape
from test_pages import csrf_from, sign_in, text
from test_concurrency import run_together

RECEIPT = {"supplier": "BULOG", "reference": "SJ-7", "note": "pagi",
           "lines": [{"sku": "BRS-5", "qty": "25.5", "unit_cost": 11800}, {"sku": "LPG-3", "qty": 10}]}
COUNT = {"note": "opname", "lines": [{"sku": "BRS-5", "counted": "20", "book": "25.5"}]}
WRITE_OFF = {"reason": "damaged", "lines": [{"sku": "BRS-5", "qty": "1.25"}]}
POSTS = [("/stock/receipts", RECEIPT), ("/stock/counts", COUNT), ("/stock/write-offs", WRITE_OFF)]


@pytest.fixture
def shop(db, session, issued_api):
    f.product(session, "BRS-5", name="Beras medium", unit="kg", price=13000)
    f.product(session, "LPG-3", name="LPG 3 kg", unit="tabung", category="lpg", price=18000)
    f.receive(session, "BRS-5", "30")
    return db, issued_api("manager")


def documents(db) -> int:
    with db.read_session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(StockDocument))


def with_id(body: dict, client_id: str | None = None) -> dict:
    return {**body, "id": client_id or str(uuid.uuid4())}


@pytest.mark.parametrize(("path", "body"), POSTS, ids=["receipt", "count", "write-off"])
def test_a_retry_with_the_same_id_and_body_answers_the_stored_document_and_changes_nothing(shop, path, body):
    db, manager = shop
    sent = with_id(body)
    first = manager.post(path, json=sent)
    assert first.status_code == 201, first.get_json()
    after_first = f.db_digest(db)
    again = manager.post(path, json=sent)
    assert again.status_code == 200, again.get_json()
    assert again.get_json() == first.get_json()  # the stored document, its lines and movements
    assert again.get_json()["client_id"] == sent["id"]
    assert f.db_digest(db) == after_first  # no document, line or movement added; levels as they were
    f.assert_ledger_sound(db)


@pytest.mark.parametrize(("path", "body"), POSTS, ids=["receipt", "count", "write-off"])
def test_the_same_id_with_another_body_is_409_naming_id_and_changes_nothing(shop, path, body):
    db, manager = shop
    sent = with_id(body)
    assert manager.post(path, json=sent).status_code == 201
    before = f.db_digest(db)
    other = {**sent, "note": "something else"}
    res = manager.post(path, json=other)
    assert_error_shape(res, 409, "document_id_reused", "id")
    assert sent["id"] in res.get_json()["message"]
    assert f.db_digest(db) == before


def test_an_id_used_for_a_receipt_cannot_name_a_write_off(shop):
    db, manager = shop
    client_id = str(uuid.uuid4())
    assert manager.post("/stock/receipts", json=with_id(RECEIPT, client_id)).status_code == 201
    before = f.db_digest(db)
    assert_error_shape(manager.post("/stock/write-offs", json=with_id(WRITE_OFF, client_id)), 409,
                       "document_id_reused", "id")
    assert f.db_digest(db) == before


def test_the_same_quantities_written_otherwise_are_the_same_body(shop):
    """`25.5`, `"25.500"` and a missing unit cost vs `null`: the same document, so a retry."""
    db, manager = shop
    client_id = str(uuid.uuid4())
    first = manager.post("/stock/receipts", json=with_id(RECEIPT, client_id))
    assert first.status_code == 201
    same = {"id": client_id.upper(), "supplier": "BULOG", "reference": "SJ-7", "note": "pagi",
            "restock_request_id": None, "empties_returned": [],
            "lines": [{"sku": "BRS-5", "qty": "25.500", "unit_cost": 11800}, {"sku": "LPG-3", "qty": 10, "unit_cost": None}]}
    again = manager.post("/stock/receipts", json=same)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    assert documents(db) == 2  # the set-up receipt and this one


def test_a_retried_write_off_is_answered_even_once_the_stock_is_gone(shop):
    """The first attempt took the stock; the retry must not be refused for the stock it took itself."""
    db, manager = shop
    sent = with_id({"reason": "expired", "lines": [{"sku": "BRS-5", "qty": "30"}]})
    assert manager.post("/stock/write-offs", json=sent).status_code == 201
    again = manager.post("/stock/write-offs", json=sent)
    assert again.status_code == 200, again.get_json()
    assert ledger_on_hand(db, "BRS-5") == Decimal(0)
    f.assert_ledger_sound(db)


def test_a_retried_receipt_with_empties_answers_the_empties_it_took(shop, session):
    db, manager = shop
    count_empties(session, [{"sku": "LPG-3", "counted": Decimal(6)}])
    sent = with_id({"supplier": "BULOG", "lines": [{"sku": "LPG-3", "qty": 5, "unit_cost": 16000}],
                    "empties_returned": [{"sku": "LPG-3", "qty": 5}]})
    first = manager.post("/stock/receipts", json=sent)
    assert first.status_code == 201, first.get_json()
    again = manager.post("/stock/receipts", json=sent)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["empties_returned"] == first.get_json()["empties_returned"] == [{"sku": "LPG-3", "qty": "5.000"}]
    with db.read_session() as s:
        assert list(empties_on_hand(s).values()) == [Decimal(1)]


def test_without_an_id_every_request_records_a_document(shop):
    db, manager = shop
    before = documents(db)
    for _ in range(2):
        res = manager.post("/stock/receipts", json=RECEIPT)
        assert res.status_code == 201 and res.get_json()["client_id"] is None
    assert documents(db) == before + 2
    assert ledger_on_hand(db, "BRS-5") == Decimal("81")


@pytest.mark.parametrize("bad", ["not-a-uuid", 12, "", ["x"]], ids=["text", "number", "empty", "list"])
@pytest.mark.parametrize(("path", "body"), POSTS, ids=["receipt", "count", "write-off"])
def test_an_id_that_is_not_a_uuid_is_422_naming_id(shop, path, body, bad):
    db, manager = shop
    before = f.db_digest(db)
    assert_error_shape(manager.post(path, json={**body, "id": bad}), 422, None, "id")
    assert f.db_digest(db) == before


def test_the_openapi_document_gives_the_retry_and_the_reused_id(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/stock/receipts", "/api/v1/stock/counts", "/api/v1/stock/write-offs"):
        post = spec["paths"][path]["post"]
        assert {"200", "201", "409"} <= set(post["responses"]), path
        assert "document_id_reused" in post["responses"]["409"]["description"]


def ledger_on_hand(db, sku: str) -> Decimal:
    with db.read_session() as s:
        from inventory.models import Product, StockLevel
        return s.scalar(sa.select(StockLevel.on_hand).join(Product, Product.id == StockLevel.product_id)
                        .where(Product.sku == sku))


# --- twins at the same moment, on both engines ------------------------------------------------

@pytest.fixture
def goods(any_db):
    with any_db.session() as s:
        f.product(s, "BRS-5", unit="kg", price=13000)
        f.receive(s, "BRS-5", "100")
    return any_db


SERVICES = {
    "receipt": lambda s, cid: stock.receive_goods(s, "BULOG", "SJ-TWIN", [{"sku": "BRS-5", "qty": Decimal("2.5"),
                                                                          "unit_cost": 9000}], client_id=cid),
    "count": lambda s, cid: stock.count_stock(s, [{"sku": "BRS-5", "counted": Decimal(90), "book": Decimal(100)}],
                                              client_id=cid),
    "write_off": lambda s, cid: stock.write_off(s, "lost", [{"sku": "BRS-5", "qty": Decimal(3)}], client_id=cid),
}


@pytest.mark.parametrize("kind", SERVICES)
def test_twins_sent_at_the_same_moment_make_one_document(goods, kind):
    db, client_id, answers = goods, str(uuid.uuid4()), []

    def twin():
        with db.session() as s:
            doc = SERVICES[kind](s, client_id)
            answers.append((doc.id, doc.created))

    errors = run_together([twin] * 4)
    assert not errors, errors
    assert len({doc_id for doc_id, _ in answers}) == 1, answers
    assert sorted(created for _, created in answers) == [False, False, False, True]
    with db.read_session() as s:
        docs = s.scalars(sa.select(StockDocument).where(StockDocument.client_id == client_id)).all()
        assert len(docs) == 1 and docs[0].kind == kind
        moved = s.scalars(sa.select(StockMovement.qty).where(StockMovement.source_type == "stock_document",
                                                             StockMovement.source_id == str(docs[0].id))).all()
        assert len(moved) == 1
        assert ledger_differences(s) == []
    f.assert_ledger_sound(db)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.tuples(st.sampled_from(sorted(SERVICES)), st.integers(0, 3)), min_size=1, max_size=12))
def test_any_run_of_sends_and_resends_records_each_id_once(db, plan):
    """Documents sent, some several times (a few ids picked again): each id is one document, the
    ledger adds up, and the stock is what the distinct documents did."""
    with db.session() as s:
        if s.scalar(sa.select(sa.func.count()).select_from(StockDocument)) == 0:
            f.product(s, "BRS-5", unit="kg", price=13000)
            f.receive(s, "BRS-5", "10000")
    ids = [str(uuid.uuid4()) for _ in range(4)]
    first_kind: dict[str, str] = {}
    for kind, n in plan:
        with db.session() as s:
            cid = ids[n]
            try:
                doc = SERVICES[kind](s, cid)
            except stock.DocumentIdReused:
                assert first_kind[cid] != kind
                continue
            assert doc.created == (cid not in first_kind)
            first_kind.setdefault(cid, kind)
    with db.read_session() as s:
        stored = dict(s.execute(sa.select(StockDocument.client_id, StockDocument.kind)
                                .where(StockDocument.client_id.in_(ids))).all())
        assert stored == first_kind
        assert ledger_differences(s) == []
    f.assert_ledger_sound(db)


# --- the manager pages ----------------------------------------------------------------------

def form_id(html: str) -> str:
    return re.search(r'name="client_id" value="([^"]+)"', html)[1]


PAGE_FORMS = {
    "/stock/receive": {"supplier": "BULOG", "reference": "SJ-9", "lines-0-code": "BRS-5", "lines-0-qty": "2,5",
                       "lines-0-cost": "12.000"},
    "/stock/write-off": {"reason": "damaged", "lines-0-code": "BRS-5", "lines-0-qty": "1"},
    "/stock/count": {"counted-BRS-5": "29", "book-BRS-5": "30.000"},
}


@pytest.mark.parametrize("url", PAGE_FORMS)
def test_a_form_submitted_twice_records_once_and_says_so(shop, client, url):
    db, _ = shop
    sign_in(client)
    page = client.get(url).get_data(as_text=True)
    uuid.UUID(form_id(page))
    assert form_id(client.get(url).get_data(as_text=True)) != form_id(page)  # a new form, a new id
    data = {**PAGE_FORMS[url], "csrf_token": csrf_from(page), "client_id": form_id(page)}
    first = client.post(url, data=data, follow_redirects=True)
    assert first.status_code == 200
    assert "Already recorded" not in text(first) and "Sudah tercatat" not in text(first)
    after_first = f.db_digest(db)
    again = client.post(url, data=data, follow_redirects=True)  # the double click, or back and submit again
    assert again.status_code == 200
    assert f.db_digest(db) == after_first
    assert re.search(r"(Already recorded|Sudah tercatat)", text(again)), text(again)[:2000]
    f.assert_ledger_sound(db)


def test_a_form_resubmitted_with_other_content_is_refused_and_gets_a_new_id(shop, client):
    db, _ = shop
    sign_in(client)
    page = client.get("/stock/receive").get_data(as_text=True)
    data = {**PAGE_FORMS["/stock/receive"], "csrf_token": csrf_from(page), "client_id": form_id(page)}
    assert client.post("/stock/receive", data=data).status_code == 302
    before = f.db_digest(db)
    changed = client.post("/stock/receive", data={**data, "lines-0-qty": "3"})
    assert changed.status_code == 422
    assert f.db_digest(db) == before
    assert form_id(changed.get_data(as_text=True)) != data["client_id"]
    data = {**data, "lines-0-qty": "3", "client_id": form_id(changed.get_data(as_text=True))}
    assert client.post("/stock/receive", data=data).status_code == 302  # submitted again: a new receipt
    assert ledger_on_hand(db, "BRS-5") == Decimal("35.5")


def test_a_refused_form_keeps_its_id_and_a_broken_id_is_refused(shop, client):
    db, _ = shop
    sign_in(client)
    page = client.get("/stock/write-off").get_data(as_text=True)
    data = {"reason": "damaged", "lines-0-code": "BRS-5", "lines-0-qty": "999", "csrf_token": csrf_from(page),
            "client_id": form_id(page)}
    refused = client.post("/stock/write-off", data=data)
    assert refused.status_code == 422
    assert form_id(refused.get_data(as_text=True)) == data["client_id"]  # nothing recorded under it
    before = f.db_digest(db)
    broken = client.post("/stock/write-off", data={**data, "lines-0-qty": "1", "client_id": "x" * 40})
    assert broken.status_code == 422
    assert f.db_digest(db) == before
