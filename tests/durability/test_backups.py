"""The daily backup (gerai serve's thread, or `gerai backup --auto` from cron): when it runs, what it
keeps, that every backup is verified; and the restore drill: sell, back up, sell more, restore, and
the shop is exactly as backed up, its ledger sound; a file that is not a sound Gerai backup is refused."""
from __future__ import annotations

import logging
import shutil
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import factories as f
from durability_helpers import damage_a_page, free_port, kill, new_shop, serve, shop_env, sign_in
from gerai import backup
from gerai.cli import main
from gerai.config import load_config

JAKARTA = ZoneInfo("Asia/Jakarta")
TABLES = (*f.DIGEST_TABLES, "shifts", "sales", "sale_lines", "sale_payments", "pos_counters")


def gerai(runner, *args: str):
    return runner.invoke(main, list(args))


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=JAKARTA)


def test_the_policy_reads_hour_and_keep_and_names_a_bad_value(tmp_path):
    p = backup.policy(load_config({}, instance=str(tmp_path), secret_key="k"))
    assert (p.hour, p.keep, p.folder) == (21, 14, tmp_path / "backups")
    p = backup.policy(load_config({"GERAI_BACKUP_HOUR": "3", "GERAI_BACKUP_KEEP": "30"}, instance=str(tmp_path), secret_key="k"))
    assert (p.hour, p.keep) == (3, 30)
    for name, value in (("GERAI_BACKUP_HOUR", "24"), ("GERAI_BACKUP_HOUR", "jam9"), ("GERAI_BACKUP_KEEP", "0")):
        with pytest.raises(backup.BackupError, match=name):
            backup.policy(load_config({name: value}, instance=str(tmp_path), secret_key="k"))


@pytest.mark.parametrize("now, last, due", [
    ("2026-03-02 10:00", None, "2026-03-02 10:00"),  # no backup yet: at once
    ("2026-03-02 10:00", "2026-03-01 09:59", "2026-03-02 10:00"),  # 24 h old: at once (start-up)
    ("2026-03-02 10:00", "2026-03-01 21:00", "2026-03-02 21:00"),  # the day's hour
    ("2026-03-02 21:00", "2026-03-02 21:00", "2026-03-03 21:00"),  # done today: tomorrow
    ("2026-03-02 23:30", "2026-03-02 21:00", "2026-03-03 21:00"),
])
def test_the_next_backup_is_due(tmp_path, now, last, due):
    p = backup.Policy(tmp_path, 21, 14, JAKARTA)
    assert backup.next_run(p, at(now), at(last) if last else None) == at(due)


def test_scheduled_backups_are_verified_named_and_rotated(db, session, tmp_path):
    f.product(session, "BRS-5", unit="kg")
    f.receive(session, "BRS-5", "10")
    p = backup.Policy(tmp_path / "backups", 21, 3, JAKARTA)
    (tmp_path / "backups").mkdir()
    (tmp_path / "backups" / "notes.txt").write_text("kept: not a backup")
    written = [backup.run_scheduled(db, p, at(f"2026-03-0{day} 21:00")) for day in range(1, 6)]
    assert [w.name for w in written] == [f"gerai-2026030{day}-2100.db" for day in range(1, 6)]
    assert [path.name for _, path in backup.backups(p.folder, JAKARTA)] == [w.name for w in written[-3:]]
    assert (tmp_path / "backups" / "notes.txt").is_file()
    assert not list(p.folder.glob("*.partial"))
    for w in written[-3:]:
        backup.check_backup_file(w)  # opens as a Gerai backup, integrity_check ok
    assert backup.newest(p) == at("2026-03-05 21:00")


def test_the_scheduler_backs_up_at_start_up_when_the_newest_is_old(db, tmp_path):
    p = backup.Policy(tmp_path / "backups", 21, 14, JAKARTA)
    now = at("2026-03-02 10:00")
    backup.run_scheduled(db, p, now - timedelta(days=2))
    scheduler = backup.Scheduler(db, p, logging.getLogger("test"), clock=lambda: now)
    scheduler.start()
    try:
        deadline = time.monotonic() + 30
        while not scheduler.runs and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.stop()
        scheduler.join(10)
    assert [path.name for path in scheduler.runs] == ["gerai-20260302-1000.db"]  # once: then not before 21:00
    assert len(backup.backups(p.folder, JAKARTA)) == 2


def test_backup_auto_writes_into_the_instance_backups(runner, settings):
    result = gerai(runner, "backup", "--auto")
    assert result.exit_code == 0, result.output
    found = backup.backups(settings.instance_path / "backups", settings.tz)
    assert len(found) == 1 and str(found[0][1]) in result.output
    assert gerai(runner, "backup").exit_code == 2  # neither FILE nor --auto
    assert gerai(runner, "backup", "x.db", "--auto").exit_code == 2


def sell(cashier, sku: str, qty: str) -> dict:
    res = cashier.post("/sales", json={"id": str(uuid.uuid4()), "lines": [{"sku": sku, "qty": qty}],
                                       "payments": [{"method": "cash", "amount": 1_000_000}]})
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def test_restore_drill_sell_backup_sell_restore(runner, app, issued_api, session, db, settings):
    f.product(session, "BRS-5", unit="kg", price=13000)
    f.product(session, "GULA-1", price=18000)
    f.receive(session, "BRS-5", "100")
    f.receive(session, "GULA-1", 50)
    session.close()
    cashier = issued_api("cashier")
    assert cashier.post("/shifts", json={"opening_cash": 0}).status_code == 201
    for qty in ("2.5", "1.25", "3"):
        sell(cashier, "BRS-5", qty)
    sell(cashier, "GULA-1", "2")
    result = gerai(runner, "backup", "--auto")
    assert result.exit_code == 0, result.output
    saved = f.db_digest(db, TABLES)
    for qty in ("4", "0.5"):
        sell(cashier, "BRS-5", qty)
    assert f.db_digest(db, TABLES) != saved
    db.dispose()
    (path,) = [p for _, p in backup.backups(settings.instance_path / "backups", settings.tz)]
    result = gerai(runner, "restore", str(path))
    assert result.exit_code == 0, result.output
    assert f.db_digest(db, TABLES) == saved
    result = gerai(runner, "check-ledger")
    assert result.exit_code == 0 and "Ledger OK" in result.output
    rows = {r["sku"]: r["on_hand"] for r in issued_api("manager").get("/stock").get_json()}
    assert rows == {"BRS-5": "93.250", "GULA-1": "48.000"}
    assert sell(cashier, "BRS-5", "1")["number"] == 5  # the restored shop sells on from the backup's numbers


def test_restore_refuses_a_damaged_backup(runner, db, session, settings, tmp_path):
    f.product(session, "BRS-5", unit="kg")
    for _ in range(300):
        f.receive(session, "BRS-5", "1")
    session.close()
    good = tmp_path / "good.db"
    assert gerai(runner, "backup", str(good)).exit_code == 0
    bad = tmp_path / "gerai-20260301-2100.db"
    shutil.copyfile(good, bad)
    damage_a_page(bad)
    before = f.db_digest(db)
    result = gerai(runner, "restore", str(bad))
    assert result.exit_code == 1 and "damaged" in result.output and "Traceback" not in result.output
    assert f.db_digest(db) == before
    assert not list(settings.instance_path.glob("*before-restore*"))


def test_the_stock_page_shows_the_last_backup(runner, app, client, settings):
    sign_in(client)
    html = client.get("/stock").get_data(as_text=True)
    assert "Belum ada cadangan" in html
    assert gerai(runner, "backup", "--auto").exit_code == 0
    (when, _), = backup.backups(settings.instance_path / "backups", settings.tz)
    html = client.get("/stock").get_data(as_text=True)
    assert f"Cadangan terakhir: {when:%d-%m-%Y %H:%M}" in html and "Belum ada cadangan" not in html


def test_serve_backs_up_a_shop_that_has_no_backup(tmp_path):
    instance = tmp_path / "instance"
    env, port = shop_env(instance), free_port()
    new_shop(env, {})
    server = serve({**env, "GERAI_BACKUP_KEEP": "2"}, port, tmp_path / "server.log")
    try:
        deadline = time.monotonic() + 60
        while not backup.backups(instance / "backups", JAKARTA) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        kill(server, sig=15)
    (_, path), = backup.backups(instance / "backups", JAKARTA)
    backup.check_backup_file(path)
    assert "Daily backup at 21:00" in (tmp_path / "server.log").read_text()
