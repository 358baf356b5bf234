"""A damaged database file is found, said, and never sold on: `gerai check-ledger` runs SQLite's
integrity and foreign-key checks, and the till refuses every write (503 `database_damaged`) while
pages show a banner. The damage is real: bytes overwritten in a page of a real shop's file."""
from __future__ import annotations

import sqlite3
import uuid

import pytest
import sqlalchemy as sa

import factories as f
from durability_helpers import damage_a_page, sign_in
from gerai import integrity
from gerai.cli import main
from gerai.db import Database


def gerai(runner, *args: str):
    return runner.invoke(main, list(args))


def stock_a_shop(db, receipts: int = 300) -> None:
    """Enough movements that stock_movements spans several pages."""
    with db.session() as s:
        f.product(s, "BRS-5", unit="kg", price=13000)
        for _ in range(receipts):
            f.receive(s, "BRS-5", "2.5")
    db.dispose()


def test_check_ledger_says_the_database_is_sound(runner, db):
    stock_a_shop(db, receipts=3)
    result = gerai(runner, "check-ledger")
    assert result.exit_code == 0, result.output
    assert "Database file OK: SQLite integrity_check" in result.output and "Ledger OK" in result.output
    result = gerai(runner, "check-ledger", "--quick")
    assert result.exit_code == 0 and "Database file OK: SQLite quick_check" in result.output


def test_check_ledger_refuses_a_damaged_file_and_says_to_restore(runner, db, settings):
    stock_a_shop(db)
    damage_a_page(settings.instance_path / "gerai.db")
    result = gerai(runner, "check-ledger")
    assert result.exit_code == 1
    assert "DAMAGED" in result.output and "gerai restore" in result.output
    assert "Traceback" not in result.output and "Ledger OK" not in result.output
    assert gerai(runner, "check-ledger", "--quick").exit_code == 1


def test_check_ledger_finds_a_row_whose_parent_is_gone(runner, db, settings):
    stock_a_shop(db, receipts=2)
    con = sqlite3.connect(settings.instance_path / "gerai.db")  # foreign keys off: as an outside edit would be
    con.execute("DELETE FROM stock_documents WHERE id = (SELECT min(id) FROM stock_documents)")
    con.commit()
    con.close()
    result = gerai(runner, "check-ledger")
    assert result.exit_code == 1
    assert "stock_document_lines row" in result.output and "stock_documents" in result.output


def test_the_checks_find_the_damage_quick_and_full(db, settings):
    stock_a_shop(db)
    assert integrity.check_database(db, quick=True).ok and integrity.check_database(db).ok
    page = damage_a_page(settings.instance_path / "gerai.db")
    fresh = Database(settings.database_url)
    try:
        quick, full = integrity.check_database(fresh, quick=True), integrity.check_database(fresh)
    finally:
        fresh.dispose()
    assert not quick.ok and not full.ok, (page, quick, full)
    assert (quick.how, full.how) == ("quick_check", "integrity_check")


def test_a_file_that_is_not_a_database_is_damaged(tmp_path):
    path = tmp_path / "gerai.db"
    path.write_bytes(b"this is not SQLite" * 500)
    db = Database(f"sqlite:///{path}")
    try:
        found = integrity.check_database(db, quick=True)
    finally:
        db.dispose()
    assert not found.ok and "cannot read" in found.problems[0]


def sale(sku: str = "BRS-5") -> dict:
    return {"id": str(uuid.uuid4()), "lines": [{"sku": sku, "qty": "1.5"}], "payments": [{"method": "cash", "amount": 50000}]}


@pytest.mark.parametrize("lang, words", [("id", "rusak"), ("en", "damaged")])
def test_the_till_refuses_to_sell_on_a_damaged_database(app, issued_api, client, db, settings, lang, words):
    stock_a_shop(db)
    cashier = issued_api("cashier")
    headers = {"Accept-Language": lang}
    assert cashier.post("/shifts", json={"opening_cash": 0}).status_code == 201  # checks, finds it sound
    assert app.extensions[integrity.HEALTH].ok
    assert cashier.post("/sales", json=sale(), headers=headers).status_code == 201
    app.extensions["gerai_db"].dispose()
    damage_a_page(settings.instance_path / "gerai.db")
    app.extensions.pop(integrity.HEALTH)  # as a restarted server would: check again
    before = f.db_digest(Database(settings.database_url), tables=("users", "products", "stock_levels"))
    res = cashier.post("/sales", json=sale(), headers=headers)
    assert res.status_code == 503
    body = res.get_json()
    assert body["status"] == "database_damaged" and words in body["message"] and "gerai restore" in body["message"]
    assert issued_api("manager").post("/stock/receipts", json={"supplier": "BULOG", "reference": "x", "lines": [
        {"sku": "BRS-5", "qty": 1, "unit_cost": 1}]}).status_code == 503
    assert f.db_digest(Database(settings.database_url), tables=("users", "products", "stock_levels")) == before
    assert cashier.get("/products?q=BRS").status_code == 200  # reading what can be read still works


def test_pages_show_a_banner_on_a_damaged_database(app, client, db, settings):
    stock_a_shop(db)
    sign_in(client)
    page = client.get("/stock")
    assert page.status_code == 200 and "rusak" not in page.get_data(as_text=True)
    app.extensions["gerai_db"].dispose()
    damage_a_page(settings.instance_path / "gerai.db")
    app.extensions.pop(integrity.HEALTH)
    for path in ("/stock", "/login"):  # signed in or not
        html = client.get(path).get_data(as_text=True)
        assert 'role="alert"' in html and "rusak" in html and "gerai restore" in html, path


@pytest.mark.postgres
def test_postgres_has_nothing_to_check(pg_db):
    found = integrity.check_database(pg_db, quick=True)
    assert found.ok and found.how == "none"


def test_a_sound_database_is_checked_once(app, issued_api, db):
    stock_a_shop(db, receipts=1)
    cashier = issued_api("cashier")
    assert cashier.post("/shifts", json={"opening_cash": 0}).status_code == 201
    first = app.extensions[integrity.HEALTH]
    assert cashier.post("/sales", json=sale()).status_code == 201
    assert app.extensions[integrity.HEALTH] is first
    with db.read_session() as s:
        assert s.scalar(sa.text("SELECT count(*) FROM sales")) == 1


def test_serve_checks_at_start_up_and_the_till_refuses_to_sell(tmp_path):
    """The real start-up path: `gerai serve` on a file with a damaged page says so and does not sell."""
    from durability_helpers import free_port, kill, login, new_shop, once, serve, shop_env

    instance = tmp_path / "instance"
    env, port, log = shop_env(instance), free_port(), tmp_path / "server.log"
    new_shop(env, {"ksr": "cashier"})
    db = Database(f"sqlite:///{instance / 'gerai.db'}")
    stock_a_shop(db)
    damage_a_page(instance / "gerai.db")
    server = serve(env, port, log)
    try:
        status, body = once(port, "POST", "/sales", sale(), login(port, "ksr"))
    finally:
        kill(server, sig=15)
    assert status == 503 and body["status"] == "database_damaged"
    text = log.read_text()
    assert "Database file DAMAGED" in text and "refuse to sell" in text and "gerai restore" in text
    assert not (instance / "backups").exists()  # a damaged file is not backed up over the good backups
