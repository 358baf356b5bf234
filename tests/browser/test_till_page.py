"""The till page as the server renders it (Flask client): who may open it, what it tells the
scripts (scale layout, words in Bahasa Indonesia), and the QR drawing for QRIS."""
from __future__ import annotations

import json
import re
import uuid

import pytest

from gerai.app import create_app
from gerai.config import load_config
from tests.conftest import PASSWORD, TEST_USERS


def make_client(instance, **env):
    settings = load_config({f"GERAI_{k.upper()}": v for k, v in env.items()}, instance=str(instance),
                           secret_key="till-" + uuid.uuid4().hex)
    app = create_app(settings)
    app.config.update(TESTING=True)
    return app, app.test_client()


def sign_in(client, role: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    res = client.post("/login", data={"username": TEST_USERS[role], "password": PASSWORD, "csrf_token": token})
    assert res.status_code == 302, res.get_data(as_text=True)


def json_block(html: str, block_id: str) -> dict:
    return json.loads(re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', html, re.S).group(1))


@pytest.fixture
def till(instance):
    app, client = make_client(instance)
    yield client
    app.extensions["gerai_db"].dispose()


def test_anonymous_visitor_is_sent_to_sign_in(till):
    res = till.get("/till")
    assert res.status_code == 302 and "/login?next=/till" in res.headers["Location"]


@pytest.mark.parametrize("role", ["coordinator", "monitor"])
def test_hub_roles_may_not_open_the_till(till, role):
    sign_in(till, role)
    assert till.get("/till").status_code == 403


@pytest.mark.parametrize("role", ["cashier", "manager", "admin"])
def test_till_tells_its_scripts_the_csrf_token_scale_layout_and_words(till, role):
    sign_in(till, role)
    res = till.get("/till")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    config = json_block(html, "till-config")
    with till.session_transaction() as session:
        assert config["csrf"] == session["csrf_token"]
    assert config["scale"] == {"pattern": "PPIIIIIWWWWWC", "problem": None}
    assert config["api"] == "/api/v1" and config["printer"] is False
    words = json_block(html, "till-text")
    assert words["retrying"].startswith("Menyimpan... mencoba lagi")
    assert words["nik_digits"] == "NIK harus 16 angka; yang diketik {n} angka."
    assert "Pindai atau ketik kode barang" in html and "Batalkan transaksi" in html


def test_english_on_request(till):
    sign_in(till, "cashier")
    html = till.get("/till?lang=en").get_data(as_text=True)
    assert json_block(html, "till-text")["retrying"].startswith("Saving... retrying")
    assert "Scan or type a barcode" in html


def test_scale_layout_comes_from_the_configuration_and_a_bad_one_is_refused(instance):
    app, client = make_client(instance, scale_layout="PPIIIIIVVVVVC", printer="file:/tmp/x.bin")
    sign_in(client, "cashier")
    config = json_block(client.get("/till").get_data(as_text=True), "till-config")
    assert config["scale"] == {"pattern": "PPIIIIIVVVVVC", "problem": None} and config["printer"] is True
    app.extensions["gerai_db"].dispose()

    app, client = make_client(instance, scale_layout="PPIIIIIWWWWW")
    sign_in(client, "cashier")
    config = json_block(client.get("/till").get_data(as_text=True), "till-config")
    assert config["scale"]["pattern"] is None and "13 letters" in config["scale"]["problem"]
    app.extensions["gerai_db"].dispose()


def test_qr_code_is_drawn_as_svg_offline(till):
    sign_in(till, "cashier")
    res = till.get("/till/qr.svg", query_string={"data": "00020101021226..."})
    assert res.status_code == 200 and res.mimetype == "image/svg+xml"
    svg = res.get_data(as_text=True)
    assert "<svg" in svg and "<path" in svg
    assert till.get("/till/qr.svg").status_code == 400
    assert till.get("/till/qr.svg", query_string={"data": "x" * 600}).status_code == 400
