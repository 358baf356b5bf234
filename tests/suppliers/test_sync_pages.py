"""Manager pages for sync: the dashboard's sync card and "Sync now" (against the real hub on PostgreSQL
over real HTTP, see real_hub.py), and expected deliveries on the receive-goods page."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

import factories as f
from gerai import auth
from gerai.config import load_config
from gerai.models import User
from real_hub import serve_real_hub
from suppliers import requests
from suppliers.models import RestockRequest


@pytest.fixture
def hub(pg_db, tmp_path):
    real, served = serve_real_hub(tmp_path / "hub", pg_db.url)
    with served as url:
        real.url = url
        yield real
    real.db.dispose()


def make_app(instance, **hub):
    from gerai.app import create_app

    app = create_app(load_config({}, instance=str(instance), secret_key="test-secret-" + uuid.uuid4().hex, **hub))
    app.config.update(TESTING=True)
    return app


def signed_in(app, username="t-manajer"):
    client = app.test_client()
    with app.extensions["gerai_db"].session() as s:
        user = s.scalar(sa.select(User).where(User.username == username))
        uid, fp = user.id, auth.password_fingerprint(user)
    with client.session_transaction() as sess:
        sess["uid"], sess["fp"], sess["csrf_token"] = uid, fp, "tok"
    return client


@pytest.mark.postgres
def test_the_dashboard_shows_sync_state_and_sync_now_pushes(instance, hub):
    app = make_app(instance, hub_url=hub.url, hub_token=hub.token, outlet=hub.outlet)
    try:
        with app.extensions["gerai_db"].session() as s:
            f.product(s, "GULA", price=18000)
            f.receive(s, "GULA", 5)
        client = signed_in(app)
        page = client.get("/signals").get_data(as_text=True)
        assert "Sinkronisasi dengan hub" in page and "belum pernah" in page
        assert "Peristiwa yang menunggu dikirim</dt><dd>2</dd>" in page  # the product and its receipt movement
        assert client.post("/signals/sync", data={"csrf_token": "wrong"}).status_code in (400, 403)
        res = client.post("/signals/sync", data={"csrf_token": "tok"})
        assert res.status_code == 302 and hub.accepted_through == 2
        page = client.get("/signals").get_data(as_text=True)
        assert "Tersinkron: 2 peristiwa terkirim, 0 diterima dari hub." in page
        assert "Peristiwa yang menunggu dikirim</dt><dd>0</dd>" in page and "belum pernah" not in page
        assert signed_in(app, "t-kasir").post("/signals/sync", data={"csrf_token": "tok"}).status_code == 403
        assert hub.token not in page
    finally:
        app.extensions["gerai_db"].dispose()


def test_sync_now_with_the_hub_down_shows_the_error(instance):
    app = make_app(instance, hub_url="http://127.0.0.1:9", hub_token="gso_secret", outlet="KDMP-0001")
    try:
        client = signed_in(app)
        client.post("/signals/sync", data={"csrf_token": "tok"})
        page = client.get("/signals").get_data(as_text=True)
        assert "Sinkronisasi gagal" in page and "could not be reached" in page
        assert "Kesalahan terakhir" in page and "gso_secret" not in page
    finally:
        app.extensions["gerai_db"].dispose()


def test_a_shop_without_a_hub_says_how_to_start(client, app):
    with app.extensions["gerai_db"].session() as s:
        user = s.scalar(sa.select(User).where(User.username == "t-manajer"))
        uid, fp = user.id, auth.password_fingerprint(user)
    with client.session_transaction() as sess:
        sess["uid"], sess["fp"], sess["csrf_token"] = uid, fp, "tok"
    page = client.get("/signals").get_data(as_text=True)
    assert "Gerai ini tidak tersinkron dengan hub" in page and "Sinkronkan sekarang" not in page


def test_a_dispatched_request_is_an_expected_delivery_received_in_one_click(app):
    db = app.extensions["gerai_db"]
    with db.session() as s:
        f.product(s, "GULA", name="Gula pasir", price=18000)
        f.product(s, "BERAS", name="Beras curah", unit="kg", price=13000)
    rid = str(uuid.uuid4())
    with db.session() as s:
        requests.create_request(s, rid, "BULOG", [{"sku": "GULA", "qty": Decimal(20)}, {"sku": "BERAS", "qty": Decimal(50)}])
    with db.session() as s:
        requests.apply_dispatch(s, rid, [{"sku": "GULA", "qty": Decimal(12)}, {"sku": "BERAS", "qty": Decimal("25.5")}],
                                dispatch_id="d-1")
        s.commit()
    client = signed_in(app)
    page = client.get("/stock/receive").get_data(as_text=True)
    assert "Kiriman yang ditunggu" in page and "Gula pasir 12 pcs" in page and "Beras curah 25,5 kg" in page
    assert f"/stock/receive?request={rid}" in page
    form = client.get(f"/stock/receive?request={rid}").get_data(as_text=True)
    assert f'name="restock_request_id" value="{rid}"' in form
    assert 'name="lines-0-code" value="GULA"' in form and 'name="lines-0-qty" value="12"' in form
    assert 'name="lines-1-qty" value="25,5"' in form
    res = client.post("/stock/receive", data={"csrf_token": "tok", "supplier": "BULOG", "reference": "SJ-1",
                                              "restock_request_id": rid, "lines-0-code": "GULA", "lines-0-qty": "12",
                                              "lines-0-cost": "15000", "lines-1-code": "BERAS", "lines-1-qty": "25,5",
                                              "lines-1-cost": "11000"})
    assert res.status_code == 302, res.get_data(as_text=True)
    with db.read_session() as s:
        req = s.get(RestockRequest, rid)
        assert req.status == "partially_received"
        assert {ln.sku: ln.received_qty for ln in req.lines} == {"GULA": Decimal(12), "BERAS": Decimal("25.5")}
    assert "Kiriman yang ditunggu" not in client.get("/stock/receive").get_data(as_text=True)  # all that came is in


def test_a_receipt_naming_no_real_request_is_refused_whole(app):
    db = app.extensions["gerai_db"]
    with db.session() as s:
        f.product(s, "GULA", price=18000)
    client = signed_in(app)
    for bad in ("not-a-uuid" * 5, str(uuid.uuid4())):
        res = client.post("/stock/receive", data={"csrf_token": "tok", "supplier": "BULOG", "reference": "SJ-1",
                                                  "restock_request_id": bad, "lines-0-code": "GULA", "lines-0-qty": "1"})
        assert res.status_code == 422
    with db.read_session() as s:
        assert s.scalar(sa.text("SELECT count(*) FROM stock_documents")) == 0
