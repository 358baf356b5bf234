"""The catalog API as API.md writes it: products and suppliers, through the Flask client."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

import factories as f
from inventory import catalog

BARCODE_1, BARCODE_2 = f.ean13(901), f.ean13(902)
LPG = {"sku": "LPG-3", "name": "LPG 3 kg", "barcodes": [BARCODE_1], "category": "lpg", "unit": "tabung",
       "price": 18000, "het": 19000, "subsidised": True, "quota": {"qty": "2", "period_days": 30},
       "supplier": "PERTAMINA", "reorder": {"min": "5", "max": "40"}, "taxable": False, "shelf_life_days": None,
       "active": True}


@pytest.fixture
def manager(issued_api, session):
    f.supplier(session, "PERTAMINA", name="Agen LPG")
    f.supplier(session, "BULOG")
    return issued_api("manager")


def test_a_new_product_comes_back_with_every_field(manager):
    res = manager.post("/products", json=LPG)
    assert res.status_code == 201, res.get_json()
    expected = {**LPG, "quota": {"qty": "2.000", "period_days": 30}, "reorder": {"min": "5.000", "max": "40.000"},
                "on_hand": "0.000"}
    assert res.get_json() == expected
    assert manager.get("/products/LPG-3").get_json() == expected


def test_an_unknown_product_is_404_in_the_error_shape(manager):
    res = manager.get("/products/NOPE", headers={"Accept-Language": "en"})
    assert res.status_code == 404
    assert res.get_json() == {"code": 404, "status": "unknown_sku", "message": "No product with SKU NOPE."}


def test_a_price_equal_to_the_het_is_allowed(manager):
    assert manager.post("/products", json={**LPG, "price": 19000}).status_code == 201


def test_duplicates_are_409(manager):
    manager.post("/products", json=LPG)
    assert manager.post("/products", json=LPG).status_code == 409
    res = manager.post("/products", json={**LPG, "sku": "LPG-3B"})
    assert res.status_code == 409 and "barcodes.0" in res.get_json()["errors"]["json"]


def test_search_by_name_sku_barcode_and_category_with_paging(manager, session):
    for i, name in enumerate(("Beras Medium 5 kg", "Beras Premium 5 kg", "beras curah", "Gula pasir", "Minyakita 1 l")):
        f.product(session, f"P-{i}", name=name, barcodes=[f.ean13(950 + i)])
    f.product(session, "P-OLD", name="Beras lama", active=False)
    manager.post("/products", json=LPG)

    def skus(query: str) -> list[str]:
        res = manager.get("/products" + query)
        assert res.status_code == 200, res.get_json()
        return [p["sku"] for p in res.get_json()]

    assert skus("?q=BERAS") == ["P-2", "P-0", "P-1"]  # any case; ordered by name in any case; inactive left out
    assert skus("?q=p-3") == ["P-3"]
    assert skus(f"?q={BARCODE_1}") == ["LPG-3"]
    assert skus("?category=lpg") == ["LPG-3"]
    assert skus("?q=%25") == []  # a literal %, not a wildcard
    assert skus("?q=_") == []
    res = manager.get("/products?page=2&page_size=2")
    assert [p["sku"] for p in res.get_json()] == ["P-1", "P-3"]  # beras curah, Beras Medium | Beras Premium, Gula
    assert json.loads(res.headers["X-Pagination"])["total"] == 6


def test_a_scanned_barcode_answers_the_schemas_dump_from_plain_rows(manager, app, db, session):
    """The till's scan: the same bytes and pagination header as ProductSchema's dump of the ORM
    product, for a product with every field set and one with none, without loading any ORM object."""
    from flask import jsonify
    from sqlalchemy import event

    from inventory.models import Product
    from inventory.schemas import ProductSchema

    manager.post("/products", json={**LPG, "barcodes": [BARCODE_1, BARCODE_2]})
    f.receive(session, "LPG-3", "12", supplier_code="PERTAMINA")
    manager.post("/products", json={"sku": "BRS/CURAH", "name": "Beras curah", "barcodes": [f.ean13(903)],
                                    "category": "sembako", "unit": "kg", "price": 13000})
    loads = []

    def loaded(target, _context):
        loads.append(target)

    event.listen(Product, "load", loaded)
    try:
        for code, sku in ((BARCODE_2, "LPG-3"), (f.ean13(903), "BRS/CURAH")):
            loads.clear()
            res = manager.get(f"/products?q={code}")
            assert res.status_code == 200 and loads == []  # plain rows, no ORM object
            with db.read_session() as s, app.test_request_context():
                product = catalog.get_product(s, sku)
                expected = jsonify(ProductSchema(many=True).dump([product])).get_data()
            assert res.get_data() == expected
            assert json.loads(res.headers["X-Pagination"]) == {"total": 1, "total_pages": 1, "first_page": 1,
                                                               "last_page": 1, "page": 1}
        assert res.get_json()[0]["barcodes"] == [f.ean13(903)]
        loads.clear()
        res = manager.get("/products?q=&page_size=10")  # a search answers in the same shape, from plain rows too
        assert loads == []
        with db.read_session() as s, app.test_request_context():
            products = [catalog.get_product(s, sku) for sku in ("BRS/CURAH", "LPG-3")]  # by name
            assert res.get_data() == jsonify(ProductSchema(many=True).dump(products)).get_data()
        assert manager.get(f"/products?q={BARCODE_1}&category=sembako").get_json() == []  # not in that category
        assert manager.get(f"/products?q=%20{BARCODE_1}%20").get_json()[0]["sku"] == "LPG-3"  # as typed, spaces and all
    finally:
        event.remove(Product, "load", loaded)


def het_history(db, sku: str):
    with db.read_session() as s:  # a reading session: a writing one would hold SQLite's write lock
        return catalog.het_history(s, sku)


def test_patch_changes_only_what_it_names_and_keeps_the_het_history(manager, db):
    manager.post("/products", json=LPG)
    effective = (datetime.now(timezone.utc) + timedelta(hours=1)).replace(microsecond=0)
    res = manager.patch("/products/LPG-3", json={"het": 20000, "price": 19500, "het_effective_from":
                                                 effective.astimezone(timezone(timedelta(hours=7))).isoformat()})
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert (body["het"], body["price"], body["name"], body["barcodes"]) == (20000, 19500, "LPG 3 kg", [BARCODE_1])
    history = het_history(db, "LPG-3")
    assert [(h.het, h.effective_from) for h in history][0] == (20000, effective)
    assert [h.het for h in history] == [20000, 19000]
    assert manager.patch("/products/LPG-3", json={"name": "Elpiji 3 kg"}).status_code == 200
    assert len(het_history(db, "LPG-3")) == 2  # no HET change, no new entry


def test_patch_barcodes_quota_and_reorder(manager):
    manager.post("/products", json=LPG)
    res = manager.patch("/products/LPG-3", json={"barcodes": [BARCODE_2, BARCODE_1]})
    assert res.status_code == 200 and res.get_json()["barcodes"] == [BARCODE_2, BARCODE_1]
    res = manager.patch("/products/LPG-3", json={"quota": None, "reorder": None})
    assert (res.get_json()["quota"], res.get_json()["reorder"]) == (None, None)
    assert manager.get(f"/products?q={BARCODE_2}").get_json()[0]["sku"] == "LPG-3"


def test_a_product_may_change_to_a_whole_unit_when_nothing_it_holds_is_a_fraction(manager, session):
    f.product(session, "GULA", unit="kg")
    f.receive(session, "GULA", 10)
    res = manager.patch("/products/GULA", json={"unit": "sak"})
    assert res.status_code == 200 and res.get_json()["unit"] == "sak"
    f.product(session, "TEPUNG", unit="kg")
    f.receive(session, "TEPUNG", "10.5")
    res = manager.patch("/products/TEPUNG", json={"unit": "sak"})
    assert res.status_code == 422 and "unit" in res.get_json()["errors"]["json"]
    res = manager.patch("/products/TEPUNG", json={"unit": "liter"})
    assert res.status_code == 200


def test_suppliers_are_added_listed_read_and_changed(manager):
    res = manager.post("/suppliers", json={"code": "PUPUK", "name": "Distributor Pupuk", "lead_time_days": 7,
                                           "pack_size": "50", "contact": "0812-0000-0000"})
    assert res.status_code == 201
    assert res.get_json() == {"code": "PUPUK", "name": "Distributor Pupuk", "lead_time_days": 7, "pack_size": "50.000",
                              "contact": "0812-0000-0000"}
    assert [s["code"] for s in manager.get("/suppliers").get_json()] == ["BULOG", "PERTAMINA", "PUPUK"]
    res = manager.patch("/suppliers/PUPUK", json={"lead_time_days": 5, "pack_size": None})
    assert res.status_code == 200
    assert (res.get_json()["lead_time_days"], res.get_json()["pack_size"], res.get_json()["name"]) == (5, None,
                                                                                                     "Distributor Pupuk")
    assert manager.get("/suppliers/PUPUK").get_json()["lead_time_days"] == 5
    assert manager.get("/suppliers/NOPE").status_code == 404
    assert manager.post("/suppliers", json={"code": "PUPUK", "name": "x"}).status_code == 409


def test_the_openapi_document_describes_the_catalog(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/products", "/api/v1/products/{sku}", "/api/v1/suppliers"} <= set(spec["paths"])
    assert spec["paths"]["/api/v1/products"]["post"]["summary"] == "Add a product"


def test_a_sku_with_a_slash_can_be_read_changed_and_its_ledger_listed(manager):
    """The SKU rule allows '/', so every route that names a SKU must reach it."""
    res = manager.post("/products", json={"sku": "PUPUK/UREA-50", "name": "Urea 50 kg", "category": "pupuk",
                                          "unit": "sak", "price": 90000})
    assert res.status_code == 201
    assert manager.get("/products/PUPUK/UREA-50").get_json()["name"] == "Urea 50 kg"
    assert manager.patch("/products/PUPUK/UREA-50", json={"price": 95000}).get_json()["price"] == 95000
    manager.post("/stock/receipts", json={"lines": [{"sku": "PUPUK/UREA-50", "qty": 4}]})
    assert [m["qty"] for m in manager.get("/stock/PUPUK/UREA-50/movements").get_json()] == ["4.000"]


def test_patch_price_above_het_with_a_supplier_is_a_409_naming_price_not_a_500(api, session):
    import factories as fx

    fx.product(session, "MYK-X", unit="bungkus", price=15000, het=15700)
    res = api("manager").patch("/products/MYK-X", json={"price": 16500, "supplier": "BULOG"})
    assert res.status_code == 409, res.get_json()
    body = res.get_json()
    assert body["status"] == "price_above_het" and "price" in body["errors"]["json"]
    assert "Rp16.500" in body["message"] and "Rp15.700" in body["message"]
    assert api("manager").get("/products/MYK-X").get_json()["price"] == 15000


def test_lowering_het_below_the_price_names_the_het_field(api, session):
    import factories as fx

    fx.product(session, "MYK-Y", unit="bungkus", price=15000, het=15700)
    res = api("manager").patch("/products/MYK-Y", json={"het": 14000})
    assert res.status_code == 409 and "het" in res.get_json()["errors"]["json"]
