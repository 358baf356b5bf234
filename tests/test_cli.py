"""The `gerai` command, through Click's runner (and `gerai serve --demo` once as a real process)."""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

import factories as f
from gerai import auth
from gerai.app import create_app
from gerai.cli import main
from gerai.config import load_config
from gerai.db import Database
from gerai.models import User
from inventory.models import Product, StockLevel

GERAI = Path(sys.executable).parent / "gerai"


def gerai(runner, *args: str):
    return runner.invoke(main, list(args))


def product_count(db) -> int:
    with db.read_session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Product))


# --- create-user ---------------------------------------------------------------------------------

def test_create_user_adds_a_user_who_can_sign_in(runner, session):
    result = gerai(runner, "create-user", "siti", "--role", "cashier", "--password", "kasir-123")
    assert result.exit_code == 0, result.output
    assert "siti" in result.output
    assert auth.authenticate(session, "siti", "kasir-123").role == "cashier"


def test_create_user_refuses_a_name_that_exists(runner, db):
    gerai(runner, "create-user", "siti", "--role", "cashier", "--password", "kasir-123")
    result = gerai(runner, "create-user", "Siti", "--role", "manager", "--password", "other-123")
    assert result.exit_code != 0
    assert "already exists" in result.output
    with db.read_session() as s:
        assert s.scalar(sa.select(User.role).where(User.username == "siti")) == "cashier"


@pytest.mark.parametrize(("args", "message"), [
    (("bulog2", "--role", "coordinator", "--password", "bulog-123"), "supplier"),
    (("budi", "--role", "cashier", "--password", "123"), "6 characters"),
    (("bad name", "--role", "cashier", "--password", "kasir-123"), "username"),
])
def test_create_user_explains_what_is_wrong(runner, args, message):
    result = gerai(runner, "create-user", *args)
    assert result.exit_code == 1
    assert message in result.output


def test_create_user_refuses_an_unknown_role(runner):
    result = gerai(runner, "create-user", "x", "--role", "owner", "--password", "kasir-123")
    assert result.exit_code == 2 and "owner" in result.output


def test_set_password(runner, session):
    assert gerai(runner, "set-password", "t-kasir", "--password", "baru-12345").exit_code == 0
    assert auth.authenticate(session, "t-kasir", "baru-12345").username == "t-kasir"
    assert gerai(runner, "set-password", "nobody", "--password", "baru-12345").exit_code == 1


# --- import-products -----------------------------------------------------------------------------

HEADER = "sku,name,category,unit,price,het,barcodes,subsidised,quota_qty,quota_period_days,supplier,reorder_min,reorder_max"


def write_csv(tmp_path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "products.csv"
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


def test_import_products_adds_then_updates(runner, session, db, tmp_path):
    f.supplier(session, "BULOG")
    e1, e2, e3 = f.ean13(101), f.ean13(102), f.ean13(103)
    path = write_csv(tmp_path,
                     f"SPHP-5,Beras SPHP 5 kg,sembako,pcs,62500,62500,{e1},ya,5,1,BULOG,,",
                     f'LPG-3,"LPG 3 kg, tabung hijau",lpg,tabung,18000,19000,{e2}|{e3},ya,2,30,,5,20',
                     "BRS-CURAH,Beras curah,sembako,kg,13000,13500,,tidak,,,BULOG,10.5,50")
    result = gerai(runner, "import-products", str(path))
    assert result.exit_code == 0, result.output
    assert "3 new" in result.output
    with db.read_session() as s:
        lpg = s.scalar(sa.select(Product).where(Product.sku == "LPG-3"))
        assert (lpg.name, lpg.unit, lpg.het, lpg.subsidised) == ("LPG 3 kg, tabung hijau", "tabung", 19000, True)
        assert [b.barcode for b in lpg.barcodes] == [e2, e3]
        assert (lpg.quota_qty, lpg.quota_period_days, lpg.reorder_min) == (2, 30, 5)
        assert s.get(StockLevel, lpg.id).on_hand == 0
    path = write_csv(tmp_path, "BRS-CURAH,Beras curah premium,sembako,kg,13400,13500,,tidak,,,BULOG,,")
    result = gerai(runner, "import-products", str(path))
    assert result.exit_code == 0 and "0 new and 1 updated" in result.output, result.output
    with db.read_session() as s:
        rice = s.scalar(sa.select(Product).where(Product.sku == "BRS-CURAH"))
        assert (rice.name, rice.price, rice.reorder_min) == ("Beras curah premium", 13400, Decimal("10.5"))


def test_import_products_reports_every_bad_row_and_imports_nothing(runner, session, db, tmp_path):
    f.supplier(session, "BULOG")
    before = f.db_digest(db)
    path = write_csv(tmp_path,
                     "GOOD-1,Gula,sembako,kg,17000,,,,,,BULOG,,",                 # line 2
                     "BAD-1,Teh,sembako,pcs,lima ribu,,,,,,BULOG,,",             # line 3: price not a number
                     "GOOD-2,Kopi,sembako,pcs,2000,,,,,,BULOG,,",                 # line 4
                     "BAD-2,LPG,lpg,tabung,20000,19000,,,,,,,",                 # line 5: above HET
                     "BAD-3,LPG 12,lpg,tabung,20000,,,,1.5,30,,,",              # line 6: 1.5 cylinders
                     "GOOD-1,Gula lagi,sembako,kg,17000,,,,,,BULOG,,")            # line 7: sku repeated
    result = gerai(runner, "import-products", str(path))
    assert result.exit_code == 1
    for line in (3, 5, 6, 7):
        assert f"line {line}:" in result.output, result.output
    for line in (2, 4):
        assert f"line {line}:" not in result.output
    assert "nothing was imported" in result.output
    assert f.db_digest(db) == before


@pytest.mark.parametrize(("header", "problem"), [
    ("sku,nama,category,unit,price", "missing columns name"),
    ("sku,name,category,unit,price,colour", "unknown columns colour"),
    ("", "missing columns"),
])
def test_import_products_refuses_a_bad_header(runner, db, tmp_path, header, problem):
    before = f.db_digest(db)
    path = write_csv(tmp_path, "GULA,Gula,sembako,kg,17000", header=header)
    result = gerai(runner, "import-products", str(path))
    assert result.exit_code == 1
    assert problem in result.output and "Expected header" in result.output
    assert f.db_digest(db) == before


def test_import_products_refuses_a_file_that_is_not_utf8_csv(runner, db, tmp_path):
    path = tmp_path / "products.csv"
    path.write_bytes(HEADER.encode() + b"\nGULA,Gula \xff\xfe,sembako,kg,17000\n")
    result = gerai(runner, "import-products", str(path))
    assert result.exit_code == 1 and "UTF-8" in result.output
    assert product_count(db) == 0


# --- check-ledger --------------------------------------------------------------------------------

def test_check_ledger_passes_then_names_a_corrupted_product(runner, session, db):
    f.product(session, "BRS-5", unit="kg")
    f.product(session, "LPG-3", unit="tabung", category="lpg")
    f.receive(session, "BRS-5", "12.5")
    f.receive(session, "LPG-3", 4)
    result = gerai(runner, "check-ledger")
    assert result.exit_code == 0 and "Ledger OK" in result.output
    with db.engine.begin() as conn:  # someone edits a level behind the ledger's back
        conn.execute(sa.text("UPDATE stock_levels SET on_hand = on_hand + 500 WHERE product_id = "
                             "(SELECT id FROM products WHERE sku = 'BRS-5')"))
    result = gerai(runner, "check-ledger")
    assert result.exit_code == 1
    assert "BRS-5" in result.output and "LPG-3" not in result.output


def test_check_ledger_names_a_product_without_a_level_row(runner, session, db):
    p = f.product(session, "GULA-1")
    with db.engine.begin() as conn:
        conn.execute(sa.delete(StockLevel).where(StockLevel.product_id == p.id))
    result = gerai(runner, "check-ledger")
    assert result.exit_code == 1 and "GULA-1" in result.output


# --- backup and restore --------------------------------------------------------------------------

def test_backup_and_restore_round_trip(runner, session, db, app, tmp_path):
    f.product(session, "BRS-5", unit="kg")
    f.receive(session, "BRS-5", "7.25")
    backup = tmp_path / "backups" / "gerai-backup.db"
    result = gerai(runner, "backup", str(backup))
    assert result.exit_code == 0, result.output
    saved = f.db_digest(db)
    f.product(session, "AFTER-BACKUP")
    session.close()
    db.dispose()
    result = gerai(runner, "restore", str(backup))
    assert result.exit_code == 0, result.output
    assert f.db_digest(db) == saved
    kept = Path(result.output.strip().rsplit(" ", 1)[-1])
    assert kept.is_file()
    with sqlite3.connect(kept) as old:
        assert old.execute("SELECT COUNT(*) FROM products WHERE sku = 'AFTER-BACKUP'").fetchone() == (1,)
    old.close()
    assert gerai(runner, "check-ledger").exit_code == 0
    client = app.test_client()  # the running app reads the restored database
    token = client.post("/api/v1/auth/token", json={"username": "t-manajer", "password": "rahasia-123"}).get_json()["token"]
    rows = client.get("/api/v1/stock", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [(r["sku"], r["on_hand"]) for r in rows] == [("BRS-5", "7.250")]


@pytest.mark.parametrize("kind", ["text", "empty", "other-sqlite", "truncated"])
def test_restore_refuses_a_file_that_is_not_a_gerai_backup(runner, db, tmp_path, settings, kind):
    path = tmp_path / "not-a-backup.db"
    if kind == "text":
        path.write_text("sku,name\nGULA,Gula\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "other-sqlite":
        with sqlite3.connect(path) as other:
            other.execute("CREATE TABLE products (id INTEGER PRIMARY KEY)")
        other.close()
    else:
        path.write_bytes(Path(settings.instance_path / "gerai.db").read_bytes()[:3000])
    before = f.db_digest(db)
    result = gerai(runner, "restore", str(path))
    assert result.exit_code == 1
    assert "not a Gerai backup" in result.output or "cannot be read" in result.output or "damaged" in result.output
    assert f.db_digest(db) == before
    assert list(Path(settings.instance_path).glob("*before-restore*")) == []


def test_restore_refuses_a_backup_from_another_version_of_gerai(runner, db, tmp_path, settings):
    """An unknown schema revision used to replace the live database and then fail in the upgrade."""
    backup = tmp_path / "from-the-future.db"
    assert gerai(runner, "backup", str(backup)).exit_code == 0
    with sqlite3.connect(backup) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    before = f.db_digest(db)
    result = gerai(runner, "restore", str(backup))
    assert result.exit_code == 1 and "9999" in result.output and "Traceback" not in result.output
    assert f.db_digest(db) == before
    assert list(Path(settings.instance_path).glob("*before-restore*")) == []


def test_backup_refuses_to_overwrite_the_live_database(runner, settings):
    result = gerai(runner, "backup", str(settings.instance_path / "gerai.db"))
    assert result.exit_code == 1 and "live database" in result.output


# --- demo ----------------------------------------------------------------------------------------

@pytest.fixture
def empty_hub(tmp_path):
    """A hub with no database yet (what `gerai init` starts from); `gerai serve --demo` below loads a shop.
    SQLite keeps this quick: the loader's one engine-specific path, post_movements, is exercised on
    PostgreSQL by the ledger property and concurrency tests."""
    app = create_app(load_config({}, instance=str(tmp_path / "hub"), secret_key="k", role="hub"))
    yield app
    app.extensions["gerai_db"].dispose()


def test_demo_loads_the_shop_and_its_ledger_adds_up(empty_hub):
    runner = empty_hub.test_cli_runner()
    assert gerai(runner, "init").exit_code == 0
    result = gerai(runner, "demo")
    assert result.exit_code == 0, result.output
    db = empty_hub.extensions["gerai_db"]
    assert 55 <= product_count(db) <= 70
    with db.read_session() as s:
        assert {u for u in s.scalars(sa.select(User.username))} == {"kasir", "manajer", "admin", "bulog"}
        assert s.scalar(sa.select(sa.func.count()).select_from(StockLevel).where(StockLevel.on_hand < 0)) == 0
    with db.session() as s:
        bulog = auth.authenticate(s, "bulog", "bulog123")  # API.md: the hub's demo coordinator
        assert (bulog.role, bulog.supplier_code) == ("coordinator", "BULOG")
    assert gerai(runner, "check-ledger").exit_code == 0
    f.assert_ledger_sound(db)
    again = gerai(runner, "demo")
    assert again.exit_code == 1 and "empty" in again.output
    assert 55 <= product_count(db) <= 70


def test_demo_refuses_a_shop_that_has_users(runner, db):
    result = gerai(runner, "demo")
    assert result.exit_code == 1
    assert product_count(db) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: dict | None = None, token: str | None = None):
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    req = urllib.request.Request(url, method=method, headers=headers,
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req, timeout=10) as res:
        return res.status, json.loads(res.read() or b"null"), res.headers


@pytest.mark.skipif(not GERAI.is_file(), reason="the gerai console script is not installed")
def test_serve_demo_starts_a_server_with_the_demo_shop(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GERAI_")}
    env.update(GERAI_INSTANCE=str(tmp_path / "instance"))
    proc = subprocess.Popen([str(GERAI), "serve", "--demo", "--port", str(port)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.communicate()[0]
            try:
                http("GET", base + "/api/v1/openapi.json")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "gerai serve --demo did not answer within 120 s"
                time.sleep(0.25)
        status, body, _ = http("POST", base + "/api/v1/auth/token", {"username": "kasir", "password": "kasir123"})
        assert status == 200 and body["role"] == "cashier"
        status, products, headers = http("GET", base + "/api/v1/products?page_size=100", token=body["token"])
        assert status == 200 and 55 <= len(products) <= 70
        assert json.loads(headers["X-Pagination"])["total"] == len(products)
    finally:
        proc.terminate()
        try:
            output = proc.communicate(timeout=15)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            output = proc.communicate()[0]
    assert "Loading the demo shop" in output and "Demo shop loaded" in output, output
    served = Database(f"sqlite:///{tmp_path / 'instance' / 'gerai.db'}")
    try:
        assert product_count(served) == len(products)
        f.assert_ledger_sound(served)
    finally:
        served.dispose()
