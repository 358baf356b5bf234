"""The manager pages through the Flask test client, signed in through the /login form with a
real session cookie and CSRF token, on a real SQLite shop."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa

import factories as f
from conftest import PASSWORD, TEST_USERS
from gerai.numbers import format_qty
from inventory import stock
from inventory.models import HetChange, Product, StockLevel, StockMovement
from inventory.views import parse_qty_text, parse_rupiah_text

PAGES = ["/products", "/products/new", "/products/{sku}/edit", "/stock", "/stock?status=out", "/stock/receive",
         "/stock/count", "/stock/count?print=1", "/stock/{sku}/movements", "/stock/write-off"]
FORMS = ["/products/new", "/products/{sku}/edit", "/stock/receive", "/stock/count", "/stock/write-off"]


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def sign_in(client, role: str = "manager"):
    page = client.get("/login")
    res = client.post("/login", data={"username": TEST_USERS[role], "password": PASSWORD,
                                      "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert res.status_code == 302, res.get_data(as_text=True)
    return client


def submit(client, url: str, data: dict):
    """GET the form (for its CSRF token), then POST it the way a browser does."""
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def text(res) -> str:
    return unescape(res.get_data(as_text=True))


def field_error(html: str, name: str) -> str | None:
    m = re.search(rf'data-field="{re.escape(name)}"[^>]*>([^<]+)<', html)
    return m[1].strip() if m else None


def ledger(db) -> list[tuple]:
    with db.read_session() as s:
        return s.execute(sa.select(StockMovement.id, StockMovement.product_id, StockMovement.kind,
                                   StockMovement.qty)).all()


def levels(db) -> dict[str, Decimal]:
    with db.read_session() as s:
        return dict(s.execute(sa.select(Product.sku, StockLevel.on_hand).join(StockLevel)).all())


def product_state(db, sku: str) -> dict:
    with db.read_session() as s:
        p = s.scalar(sa.select(Product).where(Product.sku == sku))
        hets = s.scalar(sa.select(sa.func.count()).select_from(HetChange).where(HetChange.product_id == p.id))
        return {"price": p.price, "het": p.het, "name": p.name, "unit": p.unit, "barcodes": [b.barcode for b in p.barcodes],
                "quota": (p.quota_qty, p.quota_period_days), "reorder": (p.reorder_min, p.reorder_max),
                "supplier": p.supplier_code, "taxable": p.taxable, "subsidised": p.subsidised, "het_rows": hets}


@pytest.fixture
def shop(session):
    """Rice by the kg, LPG by the cylinder, oil under a HET; committed, so the app sees them."""
    rice = f.product(session, "BRS-KG", name="Beras medium curah", unit="kg", price=13000, het=13500)
    lpg = f.product(session, "LPG-3", name="LPG 3 kg", unit="tabung", category="lpg", price=18000, het=18000,
                    subsidised=True)
    oil = f.product(session, "MYK-1L", name="Minyakita 1 liter", unit="bungkus", price=15000, het=15700)
    f.receive(session, rice.sku, "40")
    f.receive(session, lpg.sku, 10)
    session.close()
    return {"rice": rice, "lpg": lpg, "oil": oil}


@pytest.fixture
def manager(client):
    return sign_in(client, "manager")


# --- access ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_for_a_manager_in_indonesian(manager, shop, path):
    res = manager.get(path.format(sku="LPG-3"))
    assert res.status_code == 200
    html = text(res)
    assert '<html lang="id">' in html
    assert "Stok" in html or "Lembar stok opname" in html  # the top bar (or the sheet) speaks Indonesian


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitor_is_sent_to_login(client, shop, path):
    res = client.get(path.format(sku="LPG-3"))
    assert res.status_code == 302
    assert res.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", PAGES)
def test_cashier_gets_403(client, shop, path):
    sign_in(client, "cashier")
    assert client.get(path.format(sku="LPG-3")).status_code == 403


@pytest.mark.parametrize("path", FORMS)
def test_cashier_cannot_post_manager_forms(client, shop, db, path):
    sign_in(client, "cashier")
    before = ledger(db), levels(db)
    # the cashier's own CSRF token (from the sign-out form on the front page)
    token = csrf_from(client.get("/").get_data(as_text=True))
    res = client.post(path.format(sku="LPG-3"), data={"csrf_token": token, "lines-0-code": "LPG-3", "lines-0-qty": "1",
                                                      "counted-LPG-3": "1", "reason": "lost"})
    assert res.status_code == 403
    assert (ledger(db), levels(db)) == before


def test_post_without_csrf_token_is_refused_and_changes_nothing(manager, shop, db):
    before = ledger(db), levels(db)
    res = manager.post("/stock/receive", data={"lines-0-code": "LPG-3", "lines-0-qty": "5"})
    assert res.status_code == 400
    res = manager.post("/stock/receive", data={"lines-0-code": "LPG-3", "lines-0-qty": "5", "csrf_token": "forged"})
    assert res.status_code == 400
    assert (ledger(db), levels(db)) == before


def test_english_after_the_language_switch(manager, shop):
    manager.get("/lang/en")
    html = text(manager.get("/stock"))
    assert '<html lang="en">' in html and "Receive goods" in html and "Terima barang" not in html


# --- products ----------------------------------------------------------------------------------

def test_search_by_name_sku_and_barcode_and_category(manager, shop):
    rice_barcode = shop["rice"].barcodes[0].barcode
    assert "Beras medium curah" in text(manager.get("/products?q=beras"))
    assert "LPG 3 kg" not in text(manager.get("/products?q=beras"))
    assert "Minyakita" in text(manager.get("/products?q=myk-1"))
    html = text(manager.get(f"/products?q={rice_barcode}"))
    assert "Beras medium curah" in html and "Minyakita" not in html
    html = text(manager.get("/products?category=lpg"))
    assert "LPG 3 kg" in html and "Beras" not in html
    html = text(manager.get("/products"))
    assert "Rp13.000" in html and "Rp13.500" in html  # price and HET as Rupiah
    assert "bersubsidi" in html  # the subsidised badge on LPG
    assert "Tidak ada barang yang cocok" in text(manager.get("/products?q=zzz-nothing"))


def test_product_list_pages(manager, session):
    for i in range(55):
        f.product(session, f"P-{i:03d}", name=f"Barang {i:03d}")
    session.close()
    first, second = text(manager.get("/products")), text(manager.get("/products?page=2"))
    assert "Barang 000" in first and "Barang 049" in first and "Barang 050" not in first
    assert "Barang 050" in second and "Barang 054" in second and "Barang 000" not in second
    assert "Halaman 2 dari 2" in second


def test_create_product_through_the_form(manager, shop, db, session):
    f.supplier(session, "IDFOOD", name="ID FOOD")
    session.close()
    codes = [f.ean13(), f.ean13()]
    res = submit(manager, "/products/new", {
        "sku": "GLP-1", "name": "Gula pasir 1 kg", "barcodes": "\n".join(codes) + "\n", "category": "sembako",
        "unit": "kg", "price": "Rp17.500", "het": "18.000", "quota_qty": "2,5", "quota_period_days": "7",
        "reorder_min": "10", "reorder_max": "1.000", "supplier": "IDFOOD", "taxable": "1", "active": "1"})
    assert res.status_code == 302
    state = product_state(db, "GLP-1")
    assert state == {"price": 17500, "het": 18000, "name": "Gula pasir 1 kg", "unit": "kg", "barcodes": codes,
                     "quota": (Decimal("2.5"), 7), "reorder": (Decimal(10), Decimal(1000)), "supplier": "IDFOOD",
                     "taxable": True, "subsidised": False, "het_rows": 1}
    html = text(manager.get(res.headers["Location"]))
    assert "Barang GLP-1 ditambahkan" in html and "Gula pasir 1 kg" in html
    edit = text(manager.get("/products/GLP-1/edit"))
    assert 'value="2,5"' in edit and 'value="1.000"' in edit  # written back in Indonesian, read back the same


def test_edit_product_changes_fields_and_records_the_new_het(manager, shop, db):
    before = product_state(db, "MYK-1L")
    html = text(manager.get("/products/MYK-1L/edit"))
    assert "Riwayat HET" in html and "Rp15.700" in html
    res = submit(manager, "/products/MYK-1L/edit", {
        "name": "Minyakita 1 L", "barcodes": "\n".join(before["barcodes"]), "category": "sembako",
        "unit": "bungkus", "price": "15.900", "het": "16.000", "het_effective_from": "2026-01-01",
        "supplier": "BULOG", "active": "1"})
    assert res.status_code == 302, field_error(text(res), "_form")
    after = product_state(db, "MYK-1L")
    assert (after["name"], after["price"], after["het"], after["het_rows"]) == ("Minyakita 1 L", 15900, 16000, 2)
    with db.read_session() as s:
        newest = s.scalars(sa.select(HetChange).order_by(HetChange.id.desc())).first()
    # midnight in Jakarta (UTC+7) is 17:00 UTC the day before
    assert newest.effective_from == datetime(2025, 12, 31, 17, 0, tzinfo=timezone.utc)
    assert "Rp16.000" in text(manager.get("/products/MYK-1L/edit"))


def test_price_above_het_is_refused_next_to_the_price_and_changes_nothing(manager, shop, db):
    before = product_state(db, "MYK-1L")
    res = submit(manager, "/products/MYK-1L/edit", {
        "name": "Minyakita mahal", "barcodes": "", "category": "sembako", "unit": "bungkus", "price": "16.500",
        "het": "15.700", "supplier": "BULOG", "active": "1"})
    assert res.status_code == 422
    html = text(res)
    message = field_error(html, "price")
    assert "Rp16.500" in message and "HET" in message
    assert 'value="Minyakita mahal"' in html  # what was typed is kept
    assert product_state(db, "MYK-1L") == before


def test_new_product_form_reports_each_bad_input(manager, shop, db):
    res = submit(manager, "/products/new", {"sku": "bad sku!", "name": "", "category": "sembako", "unit": "kg",
                                            "price": "dua ribu", "quota_qty": "1", "reorder_min": "x", "reorder_max": "2"})
    assert res.status_code == 422
    html = text(res)
    for name in ("sku", "name", "price", "quota_period_days", "reorder_min"):
        assert field_error(html, name), name
    with db.read_session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Product)) == 3


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2026-02-30", "besok"])
def test_het_date_out_of_range_is_refused(manager, shop, db, day):
    before = product_state(db, "MYK-1L")
    res = submit(manager, "/products/MYK-1L/edit", {
        "name": "Minyakita 1 liter", "barcodes": "\n".join(before["barcodes"]), "category": "sembako",
        "unit": "bungkus", "price": "15.000", "het": "15.500", "het_effective_from": day, "active": "1"})
    assert res.status_code == 422 and field_error(text(res), "het_effective_from") == "Isi tanggal."
    assert product_state(db, "MYK-1L") == before


def test_fractional_quota_of_a_tabung_product_is_refused(manager, shop, db):
    before = product_state(db, "LPG-3")
    res = submit(manager, "/products/LPG-3/edit", {
        "name": "LPG 3 kg", "barcodes": "", "category": "lpg", "unit": "tabung", "price": "18000", "het": "18000",
        "subsidised": "1", "quota_qty": "1,5", "quota_period_days": "30", "active": "1"})
    assert res.status_code == 422
    assert "tabung" in field_error(text(res), "quota_qty")
    assert product_state(db, "LPG-3") == before


# --- stock -------------------------------------------------------------------------------------

def test_stock_page_filters_and_totals(manager, shop):
    html = text(manager.get("/stock"))
    assert "Beras medium curah" in html and "40" in html
    assert re.search(r"<strong>1</strong>\s*barang habis", html)  # the oil was never received
    html = text(manager.get("/stock?status=out"))
    assert "Minyakita" in html and "Beras medium" not in html
    html = text(manager.get("/stock?category=lpg"))
    assert "LPG 3 kg" in html and "Beras medium" not in html
    assert "/stock/LPG-3/movements" in html


def many_products(session, n: int) -> None:
    """n products with their (empty) level rows, straight into the tables: the page, not the catalog, is tested."""
    now = datetime(2026, 1, 5, tzinfo=timezone.utc)
    session.execute(Product.__table__.insert(), [
        {"sku": f"BRG-{i:03d}", "name": f"Barang {i:03d}", "category": "sembako", "unit": "pcs", "price": 1000,
         "subsidised": False, "taxable": False, "active": True, "created_at": now, "updated_at": now}
        for i in range(n)])
    ids = session.scalars(sa.select(Product.id).where(Product.sku.like("BRG-%"))).all()
    session.execute(StockLevel.__table__.insert(), [{"product_id": pid, "on_hand": Decimal(0), "updated_at": now}
                                                    for pid in ids])
    session.commit()


def test_stock_page_shows_100_rows_a_page_and_keeps_the_filters(manager, shop, session):
    many_products(session, 130)  # with rice, LPG and oil: 133 products, 131 out of stock (the oil too)
    html = text(manager.get("/stock"))  # by category, then name: LPG, Barang 000-129, Beras, Minyakita
    assert "LPG 3 kg" in html and "Barang 098" in html and "Barang 099" not in html
    assert html.count('<tr class="row-') == 100
    assert re.search(r"<strong>131</strong>\s*barang habis", html) and "133 barang" in html  # totals of every page
    assert "Halaman 1 dari 2" in html and "Barang 1-100 dari 133" in html and 'href="/stock?page=2"' in html
    html = text(manager.get("/stock?page=2"))
    assert "Barang 099" in html and "Minyakita" in html and "Barang 098" not in html and "LPG 3 kg" not in html
    assert html.count('<tr class="row-') == 33 and "Barang 101-133 dari 133" in html
    raw = manager.get("/stock?category=sembako&status=out&page=2").get_data(as_text=True)
    assert unescape(raw).count('<tr class="row-out"') == 31 and "Barang 100" in raw and "Barang 099" not in raw
    assert 'href="/stock?category=sembako&amp;status=out&amp;page=1"' in raw  # the filters stay on the page links
    assert "Barang 129" in text(manager.get("/stock?page=99"))  # past the end: the last page


def test_receive_goods_through_the_form_raises_stock(manager, shop, db):
    oil_barcode = shop["oil"].barcodes[0].barcode
    res = submit(manager, "/stock/receive", {
        "supplier": "BULOG", "reference": "SJ-0042", "note": "truk pagi",
        "lines-0-code": "BRS-KG", "lines-0-qty": "12,5", "lines-0-cost": "11.800",
        "lines-3-code": oil_barcode, "lines-3-qty": "24", "lines-3-cost": ""})
    assert res.status_code == 302
    assert levels(db)["BRS-KG"] == Decimal("52.5") and levels(db)["MYK-1L"] == 24
    with db.read_session() as s:
        moves = s.execute(sa.select(StockMovement.kind, StockMovement.qty, StockMovement.reference)
                          .order_by(StockMovement.id.desc()).limit(2)).all()
    assert sorted(moves) == [("receipt", Decimal("12.5"), "SJ-0042"), ("receipt", Decimal(24), "SJ-0042")]
    assert "Barang diterima: 2 baris" in text(manager.get(res.headers["Location"]))


def test_fractional_quantity_of_a_tabung_product_is_refused_and_changes_nothing(manager, shop, db):
    before = ledger(db), levels(db)
    res = submit(manager, "/stock/receive", {"supplier": "BULOG", "lines-0-code": "BRS-KG", "lines-0-qty": "5",
                                             "lines-1-code": "LPG-3", "lines-1-qty": "1,5"})
    assert res.status_code == 422
    html = text(res)
    assert "tabung" in field_error(html, "lines-1-qty")
    assert 'value="1,5"' in html and 'value="BRS-KG"' in html
    assert (ledger(db), levels(db)) == before


def test_unknown_sku_in_a_receipt_line_is_shown_on_its_row_and_changes_nothing(manager, shop, db):
    before = ledger(db), levels(db)
    res = submit(manager, "/stock/receive", {"lines-0-code": "BRS-KG", "lines-0-qty": "5",
                                             "lines-2-code": "NOPE-1", "lines-2-qty": "3"})
    assert res.status_code == 422
    assert "NOPE-1" in field_error(text(res), "lines-2-code")
    assert (ledger(db), levels(db)) == before


def test_receipt_with_no_lines_or_bad_numbers_is_refused(manager, shop, db):
    before = ledger(db)
    res = submit(manager, "/stock/receive", {"reference": "SJ-1"})
    assert res.status_code == 422 and field_error(text(res), "_form")
    res = submit(manager, "/stock/receive", {"lines-0-code": "BRS-KG", "lines-0-qty": "lima", "lines-0-cost": "1,5",
                                             "lines-1-qty": "2"})
    html = text(res)
    assert res.status_code == 422
    assert field_error(html, "lines-0-qty") and field_error(html, "lines-0-cost") and field_error(html, "lines-1-code")
    assert ledger(db) == before


def test_receive_form_keeps_extra_rows_added_by_the_script(manager, shop):
    res = submit(manager, "/stock/receive", {"lines-14-code": "NOPE", "lines-14-qty": "1"})
    html = text(res)
    assert 'name="lines-14-code"' in html and field_error(html, "lines-14-code")


def test_count_sheet_produces_adjustments_for_filled_rows_only(manager, shop, db):
    html = text(manager.get("/stock/count"))
    assert 'name="counted-BRS-KG"' in html and 'name="counted-LPG-3"' in html
    before = ledger(db)
    res = submit(manager, "/stock/count", {"counted-BRS-KG": "38,5", "counted-LPG-3": "10", "counted-MYK-1L": "",
                                           "note": "opname Januari"})
    assert res.status_code == 302
    new = [row for row in ledger(db) if row not in before]
    assert [(kind, qty) for _, _, kind, qty in new] == [("adjustment", Decimal("-1.5"))]
    assert levels(db) == {"BRS-KG": Decimal("38.5"), "LPG-3": 10, "MYK-1L": 0}
    assert "2 barang dihitung, 1 disesuaikan" in text(manager.get(res.headers["Location"]))


def test_count_sheet_keeps_the_sales_made_while_counting(manager, shop, db, session):
    page = text(manager.get("/stock/count"))
    book = re.search(r'name="book-BRS-KG" value="([^"]+)"', page)[1]
    assert book == "40.000" and "penjualan sejak itu tetap" in page  # the page says how it counts
    csrf = csrf_from(page)
    stock.write_off(session, "damaged", [{"sku": "BRS-KG", "qty": Decimal(2)}])  # the till goes on meanwhile
    res = manager.post("/stock/count", data={"csrf_token": csrf, "counted-BRS-KG": "39", "book-BRS-KG": book,
                                             "book-LPG-3": "10.000", "counted-LPG-3": ""})
    assert res.status_code == 302
    assert levels(db)["BRS-KG"] == Decimal(37)  # 38 now, minus the 1 the count found missing
    res = manager.post("/stock/count", data={"csrf_token": csrf, "counted-BRS-KG": "1", "book-BRS-KG": "40.000",
                                             "counted-LPG-3": "x"})
    assert res.status_code == 422
    assert 'name="book-BRS-KG" value="40.000"' in text(res)  # a refused sheet keeps the book it showed


def test_count_sheet_refuses_a_fraction_of_a_cylinder_and_changes_nothing(manager, shop, db):
    before = ledger(db), levels(db)
    res = submit(manager, "/stock/count", {"counted-BRS-KG": "30", "counted-LPG-3": "9,5"})
    assert res.status_code == 422
    html = text(res)
    assert field_error(html, "counted-LPG-3") == "tabung dijual utuh, tidak bisa 9,5."
    assert 'value="30"' in html
    res = submit(manager, "/stock/count", {"counted-BRS-KG": ""})
    assert res.status_code == 422 and field_error(text(res), "_form")
    assert (ledger(db), levels(db)) == before


def test_printable_count_sheet_has_boxes_not_inputs(manager, shop):
    html = text(manager.get("/stock/count?print=1&category=lpg"))
    assert "LPG 3 kg" in html and "Beras" not in html
    assert "<input" not in html and 'class="box"' in html


def test_write_off_through_the_form(manager, shop, db):
    res = submit(manager, "/stock/write-off", {"reason": "damaged", "lines-0-code": "BRS-KG", "lines-0-qty": "2"})
    assert res.status_code == 302
    assert levels(db)["BRS-KG"] == 38
    before = ledger(db), levels(db)
    res = submit(manager, "/stock/write-off", {"reason": "lost", "lines-0-code": "LPG-3", "lines-0-qty": "11"})
    assert res.status_code == 422
    assert "LPG 3 kg" in field_error(text(res), "lines-0-qty")
    res = submit(manager, "/stock/write-off", {"reason": "stolen", "lines-0-code": "LPG-3", "lines-0-qty": "1"})
    assert res.status_code == 422 and field_error(text(res), "reason")
    assert (ledger(db), levels(db)) == before


def test_movements_newest_first_in_shop_time_with_kind_filter_and_paging(manager, shop, session):
    rice = shop["rice"]
    stock.receive_goods(session, "BULOG", "SJ-MALAM", [{"sku": rice.sku, "qty": Decimal(1), "unit_cost": None}],
                        at=datetime(2026, 1, 1, 17, 30, tzinfo=timezone.utc))
    stock.write_off(session, "expired", [{"sku": rice.sku, "qty": Decimal("0.5")}])
    session.close()
    html = text(manager.get("/stock/BRS-KG/movements"))
    assert "02-01-2026 00:30" in html  # 17:30 UTC is half past midnight in Jakarta
    assert html.index("kind-write_off") < html.index("SJ-MALAM")  # newest first
    html = text(manager.get("/stock/BRS-KG/movements?kind=write_off"))
    assert "SJ-MALAM" not in html and "-0,5" in html
    for _ in range(55):
        f.receive(session, "LPG-3", 1)
    session.close()
    assert "Halaman 1 dari 2" in text(manager.get("/stock/LPG-3/movements"))
    assert "SJ-TEST" in text(manager.get("/stock/LPG-3/movements?page=2"))
    assert manager.get("/stock/NOPE/movements").status_code == 404


# --- reading numbers as people type them ---------------------------------------------------------

@pytest.mark.parametrize("typed, qty", [("2,5", "2.5"), ("2.5", "2.5"), ("1.000", "1000"), ("1.234,5", "1234.5"),
                                        ("0,125", "0.125"), (" 12 ", "12"), ("-1", "-1")])
def test_quantities_read_the_indonesian_way(typed, qty):
    assert parse_qty_text(typed) == Decimal(qty)


@pytest.mark.parametrize("typed", ["", "abc", "1,2345", "1e3", "NaN", "2,5,1"])
def test_not_quantities(typed):
    assert parse_qty_text(typed) is None


@pytest.mark.parametrize("typed, amount", [("12500", 12500), ("12.500", 12500), ("Rp12.500", 12500),
                                           ("rp 1.250.000", 1250000), ("0", 0)])
def test_rupiah_read_the_indonesian_way(typed, amount):
    assert parse_rupiah_text(typed) == amount


@pytest.mark.parametrize("typed", ["", "12,5", "-500", "1e6", "Rp", "12.50", "１２"])
def test_not_rupiah(typed):
    assert parse_rupiah_text(typed) is None


@pytest.mark.parametrize("qty", ["0.5", "2.5", "1000", "1234.5", "1234567.125", "0"])
def test_quantities_shown_on_a_form_read_back_the_same(qty):
    assert parse_qty_text(format_qty(Decimal(qty))) == Decimal(qty)


def test_login_form_refuses_a_wrong_password_in_indonesian(client):
    page = client.get("/login")
    res = client.post("/login", data={"username": TEST_USERS["manager"], "password": "salah-sekali",
                                      "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert res.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in text(res)
    assert client.get("/stock").status_code == 302  # still signed out
