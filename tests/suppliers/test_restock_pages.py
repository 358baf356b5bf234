"""The manager's pages: dashboard, product page with its chart, requests (one click, print, CSV, cancel)."""
import csv
import io
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

import factories as f
from gerai import auth
from gerai.models import User
from signal_helpers import JAKARTA, history, stock_in
from suppliers.models import RestockRequest
from signal_helpers import app_session  # noqa: F401 (fixtures)


def today():
    return datetime.now(JAKARTA).date()


@pytest.fixture
def signed_in(client, app_session):
    def as_(username):
        user = app_session.scalar(sa.select(User).where(User.username == username))
        uid, fingerprint = user.id, auth.password_fingerprint(user)
        app_session.rollback()  # let go of SQLite's write lock before the pages write
        with client.session_transaction() as s:
            s["uid"], s["fp"], s["csrf_token"] = uid, fingerprint, "tok"
        return client
    return as_


@pytest.fixture
def shop_with_signals(app_session):
    low = f.product(app_session, sku="GULA", name="Gula pasir 1 kg")
    history(app_session, low, [10] * 56, end=today(), opening=575)
    slow = f.product(app_session, sku="KOPI", name="Kopi bubuk")
    history(app_session, slow, [9] * 46 + [0] * 10, end=today(), opening=9 * 46 + 200, lines=3)
    dead = f.product(app_session, sku="PUPUK", name="Pupuk NPK")
    stock_in(app_session, dead, 4, today() - timedelta(days=80), cost=100000)
    app_session.commit()


def test_the_dashboard_shows_what_runs_out_what_does_not_sell_and_what_to_order(signed_in, shop_with_signals):
    page = signed_in("t-manajer").get("/signals").get_data(as_text=True)
    assert "Dasbor" in page and "Hampir habis" in page
    assert "Biasanya terjual 9/hari; 11 hari tidak terjual" in page
    assert "Belum pernah terjual selama 80 hari di gudang; modal tertahan Rp400.000" in page
    assert "Kirim permintaan ke BULOG" in page
    assert page.index("Saran pesan ulang") < page.index("Gula pasir 1 kg", page.index("Saran pesan ulang"))
    assert "Kopi bubuk" not in page[page.index("Saran pesan ulang"):]  # not selling: never suggested


def test_cashiers_do_not_see_the_dashboard(signed_in):
    assert signed_in("t-kasir").get("/signals").status_code == 403


def test_one_click_sends_the_suggested_request_then_print_csv_and_cancel(signed_in, shop_with_signals, app_session):
    client = signed_in("t-manajer")
    res = client.post("/restock-requests/new", data={"csrf_token": "tok", "supplier": "BULOG", "from": "suggestions"})
    assert res.status_code == 302
    req = app_session.scalar(sa.select(RestockRequest))
    assert req.status == "submitted" and [(ln.product.sku, ln.qty) for ln in req.lines] == [("GULA", 85)]
    rid = req.id
    app_session.rollback()
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "Permintaan restok" in page and "Gula pasir 1 kg" in page and "data-print" in page and "js/print.js" in page
    rows = list(csv.reader(io.StringIO(client.get(f"/restock-requests/{rid}.csv").get_data(as_text=True))))
    assert rows[0][:5] == ["request_id", "supplier", "status", "created_at", "sku"]
    assert (rows[1][4], rows[1][7]) == ("GULA", "85.000")
    assert "Kirim permintaan ke BULOG" not in client.get("/signals").get_data(as_text=True)  # now on order
    client.post(f"/restock-requests/{rid}/cancel", data={"csrf_token": "tok", "reason": "salah hitung"})
    assert app_session.get(RestockRequest, rid).status == "cancelled"
    app_session.rollback()
    assert "dibatalkan" in client.get("/restock-requests").get_data(as_text=True)


def test_an_edited_request_with_a_bad_quantity_is_refused_with_a_message(signed_in, shop_with_signals, app_session):
    client = signed_in("t-manajer")
    form = {"csrf_token": "tok", "supplier": "BULOG", "sku": ["GULA", "KOPI"], "qty": ["50", "1,5"]}
    res = client.post("/restock-requests/new", data=form, follow_redirects=True)
    assert "pcs dijual utuh" in res.get_data(as_text=True)
    assert app_session.scalar(sa.select(sa.func.count()).select_from(RestockRequest)) == 0
    app_session.rollback()
    form["qty"] = ["50", "2"]
    assert client.post("/restock-requests/new", data=form).status_code == 302
    app_session.rollback()
    assert [ln.qty for ln in app_session.scalar(sa.select(RestockRequest)).lines] == [50, 2]


def test_the_auto_setting_is_switched_on_the_dashboard(signed_in, app_session):
    client = signed_in("t-manajer")
    client.post("/signals/auto", data={"csrf_token": "tok", "auto": "on"})
    assert 'value="on" checked' in client.get("/signals").get_data(as_text=True)
    client.post("/signals/auto", data={"csrf_token": "tok"})
    assert 'value="on" checked' not in client.get("/signals").get_data(as_text=True)


def test_the_product_page_draws_ninety_days_of_sales_and_stock(signed_in, shop_with_signals):
    page = signed_in("t-manajer").get("/signals/products/GULA").get_data(as_text=True)
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert len(re.findall(r'<rect class="sold"', svg)) == 90
    assert '<polyline class="level"' in svg
    assert "Titik pesan ulang" in page and "menipis" in page
    assert signed_in("t-manajer").get("/signals/products/NOPE").status_code == 404


def test_the_product_page_of_a_sku_with_a_slash(signed_in, app_session):
    f.product(app_session, sku="PUPUK/UREA-50", name="Urea 50 kg", unit="sak", category="pupuk")
    app_session.rollback()
    page = signed_in("t-manajer").get("/signals/products/PUPUK/UREA-50")
    assert page.status_code == 200 and "Urea 50 kg" in page.get_data(as_text=True)
