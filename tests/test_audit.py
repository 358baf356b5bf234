"""The audit log: each audited action writes exactly one row saying who did what; a refused action
writes none; nobody can change or delete a row (the database refuses, on SQLite and PostgreSQL); a
manager reads it on /audit and GET /api/v1/audit, a cashier may not. (Sales and refunds: tests/pos/test_audit_till.py.)"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

import factories as f
from conftest import TEST_USERS
from gerai import audit, auth
from gerai.cli import main
from gerai.models import AuditEntry

JAKARTA_OFFSET = timedelta(hours=7)


def entries(db) -> list[AuditEntry]:
    with db.read_session() as s:
        rows = list(s.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
        s.expunge_all()
    return rows


@pytest.fixture
def manager(issued_api, session):
    f.product(session, "BRS-5", name="Beras medium", unit="kg", price=13000, het=14000)
    f.product(session, "LPG-3", name="LPG 3 kg", unit="tabung", category="lpg", price=18000)
    f.receive(session, "BRS-5", 20)
    f.receive(session, "LPG-3", 10)
    session.commit()
    return issued_api("manager")


# --- each audited action: exactly one row, who and what -----------------------------------------

def test_a_price_change_writes_one_row_with_before_and_after(manager, db):
    res = manager.patch("/products/BRS-5", json={"price": 12500, "het": 13500})
    assert res.status_code == 200, res.get_json()
    [row] = entries(db)
    assert (row.action, row.subject, row.username) == ("price_change", "BRS-5", TEST_USERS["manager"])
    assert row.user_id is not None and row.at.tzinfo is not None
    assert row.details == {"before": {"price": 13000, "het": 14000}, "after": {"price": 12500, "het": 13500},
                           "source": "manual"}


def test_a_change_without_price_or_het_and_a_refused_price_change_write_nothing(manager, db):
    assert manager.patch("/products/BRS-5", json={"name": "Beras medium curah"}).status_code == 200
    assert manager.patch("/products/BRS-5", json={"price": 15000}).status_code == 409  # above HET
    assert manager.patch("/products/NOPE", json={"price": 1}).status_code == 404
    assert entries(db) == []


def test_a_stock_count_with_adjustments_writes_one_row(manager, db):
    res = manager.post("/stock/counts", json={"note": "opname", "lines": [
        {"sku": "BRS-5", "counted": "18.5"}, {"sku": "LPG-3", "counted": 10}]})
    assert res.status_code == 201, res.get_json()
    [row] = entries(db)
    assert (row.action, row.username) == ("stock_count", TEST_USERS["manager"])
    assert row.subject == f"opname #{res.get_json()['id']}"
    assert row.details == {"note": "opname", "lines": [["BRS-5", "20.000", "18.500", "-1.500"]]}  # LPG counted right


def test_a_count_that_changes_nothing_and_a_refused_count_write_nothing(manager, db):
    assert manager.post("/stock/counts", json={"lines": [{"sku": "BRS-5", "counted": 20}]}).status_code == 201
    assert manager.post("/stock/counts", json={"lines": [{"sku": "BRS-5", "counted": "-1"}]}).status_code == 422
    assert manager.post("/stock/counts", json={"lines": [{"sku": "NOPE", "counted": 1}]}).status_code in (404, 422)
    assert entries(db) == []


def test_a_write_off_writes_one_row_and_a_refused_one_none(manager, db):
    assert manager.post("/stock/write-offs", json={"reason": "damaged", "lines": [{"sku": "LPG-3", "qty": 99}]}
                        ).status_code == 409  # more than on hand
    assert entries(db) == []
    res = manager.post("/stock/write-offs", json={"reason": "damaged", "note": "bocor",
                                                  "lines": [{"sku": "LPG-3", "qty": 2}]})
    assert res.status_code == 201, res.get_json()
    [row] = entries(db)
    assert (row.action, row.subject, row.username) == ("write_off", f"write-off #{res.get_json()['id']}",
                                                       TEST_USERS["manager"])
    assert row.details == {"reason": "damaged", "note": "bocor", "lines": [["LPG-3", "2.000"]]}


def test_user_changes_on_the_command_line_write_one_row_each(runner, db):
    assert runner.invoke(main, ["create-user", "siti", "--role", "cashier", "--password", "kasir-123"]).exit_code == 0
    assert runner.invoke(main, ["set-password", "siti", "--password", "kasir-456"]).exit_code == 0
    assert runner.invoke(main, ["change-user", "siti", "--role", "manager"]).exit_code == 0
    assert runner.invoke(main, ["change-user", "siti", "--inactive"]).exit_code == 0
    rows = entries(db)
    assert [(r.action, r.subject, r.username, r.user_id) for r in rows] == [
        ("user_create", "siti", audit.COMMAND_LINE, None), ("user_password", "siti", audit.COMMAND_LINE, None),
        ("user_change", "siti", audit.COMMAND_LINE, None), ("user_change", "siti", audit.COMMAND_LINE, None)]
    assert rows[0].details == {"role": "cashier", "supplier": None, "area": None, "full_name": ""}
    assert rows[1].details == {}  # never the password
    assert rows[2].details == {"before": {"role": "cashier"}, "after": {"role": "manager"}}
    assert rows[3].details == {"before": {"active": True}, "after": {"active": False}}


def test_refused_user_changes_write_nothing(runner, db):
    assert runner.invoke(main, ["create-user", TEST_USERS["cashier"], "--role", "cashier", "--password", "x" * 8]).exit_code == 1
    assert runner.invoke(main, ["create-user", "siti", "--role", "cashier", "--password", "short"]).exit_code == 1
    assert runner.invoke(main, ["set-password", "nobody", "--password", "kasir-456"]).exit_code == 1
    assert runner.invoke(main, ["set-password", TEST_USERS["cashier"], "--password", "abc"]).exit_code == 1
    assert runner.invoke(main, ["change-user", "nobody", "--role", "manager"]).exit_code == 1
    assert runner.invoke(main, ["change-user", TEST_USERS["cashier"], "--role", "coordinator"]).exit_code == 1
    assert runner.invoke(main, ["change-user", TEST_USERS["cashier"], "--role", "cashier"]).exit_code == 0  # no change
    assert entries(db) == []


def test_a_user_change_names_the_manager_who_made_it(db, session):
    actor = f.user_id(session, TEST_USERS["admin"])
    auth.create_user(session, "budi", "manager", "budi-1234", actor_id=actor)
    [row] = entries(db)
    assert (row.user_id, row.username) == (actor, TEST_USERS["admin"])


def test_a_deactivated_user_is_let_in_no_more(runner, db, client, api):
    manager = api("manager")
    assert manager.get("/audit").status_code == 200
    assert runner.invoke(main, ["change-user", TEST_USERS["manager"], "--inactive"]).exit_code == 0
    assert manager.get("/audit").status_code == 401


# --- append-only on both engines -------------------------------------------------------------------

@pytest.mark.parametrize("statement", ["UPDATE audit_log SET username = 'someone else'", "DELETE FROM audit_log",
                                       "UPDATE audit_log SET details = '{}' WHERE action = 'write_off'"])
def test_the_database_refuses_to_change_or_delete_an_audit_row(any_db, statement):
    with any_db.session() as s:
        audit.record(s, "write_off", "write-off #1", {"reason": "lost"}, username="t-manajer")
        s.commit()
    with any_db.engine.connect() as conn:
        with pytest.raises(DatabaseError, match="append-only"):
            with conn.begin():
                conn.exec_driver_sql(statement)
    with any_db.session() as s:
        rows = s.execute(sa.select(AuditEntry.username, AuditEntry.details)).all()
        s.rollback()
    assert [tuple(r) for r in rows] == [("t-manajer", {"reason": "lost"})]


def test_the_app_has_no_route_that_writes_the_audit_log(app):
    rules = [(r.rule, r.methods) for r in app.url_map.iter_rules() if "audit" in r.rule]
    assert rules and all(methods <= {"GET", "HEAD", "OPTIONS"} for _, methods in rules), rules


# --- reading it ------------------------------------------------------------------------------------

def _some_entries(db):
    base = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)  # 10:00 in Jakarta
    with db.session() as s:
        for i in range(60):
            audit.record(s, "write_off" if i % 3 else "price_change", f"S-{i}", {"i": i}, username="t-manajer",
                         at=base + timedelta(hours=i))
        s.commit()
    return base


def test_cashiers_may_not_read_the_audit_log(api, client):
    assert api("cashier").get("/audit").status_code == 403
    assert api("coordinator").get("/audit").status_code == 403
    from test_csrf_forms import signed_in

    assert signed_in(client.application, "cashier").get("/audit").status_code == 403


def test_the_api_filters_by_action_and_time_and_pages(api, db):
    base = _some_entries(db)
    res = api("manager").get("/audit?action=price_change&page_size=5")
    assert res.status_code == 200
    rows = res.get_json()
    assert len(rows) == 5 and all(r["action"] == "price_change" for r in rows)
    assert rows[0]["subject"] == "S-57" and rows[0]["details"] == {"i": 57}  # newest first
    assert json_pagination(res)["total"] == 20
    since = (base + timedelta(hours=10)).isoformat()
    until = (base + timedelta(hours=20)).isoformat()
    res = api("admin").get("/audit", query_string={"since": since, "until": until})
    assert [r["subject"] for r in res.get_json()] == [f"S-{i}" for i in range(19, 9, -1)]
    assert api("manager").get("/audit?action=nope").status_code == 422
    assert api("manager").get("/audit?since=yesterday").status_code == 422


def json_pagination(res) -> dict:
    import json

    return json.loads(res.headers["X-Pagination"])


def test_the_page_filters_by_action_and_local_day_and_pages(app, db):
    from test_csrf_forms import signed_in

    _some_entries(db)
    client = signed_in(app, "manager")
    html = client.get("/audit").get_data(as_text=True)
    assert "Log audit" in html and "<code>S-59</code>" in html and "<code>S-9</code>" not in html
    assert html.count("<tr>") == 50 + 1  # one page of 50, and the header
    assert "/audit?page=2" in html
    page2 = client.get("/audit?page=2").get_data(as_text=True)
    assert page2.count("<tr>") == 10 + 1
    # 2026-11-21 in Jakarta: 00:00 local = 17:00 UTC on the 20th = entry 14; to entry 37 (23:00 local)
    day = client.get("/audit?since=2026-11-21&until=2026-11-21&action=price_change").get_data(as_text=True)
    subjects = re.findall(r"<code>(S-\d+)</code>", day)
    assert subjects == [f"S-{i}" for i in range(36, 14, -1) if i % 3 == 0]
    bad = client.get("/audit?since=kemarin").get_data(as_text=True)
    assert "Bukan tanggal" in bad
