"""Push and pull at the hub (notes SYNC.md): each event applied once, in order; tokens bind outlets."""
from __future__ import annotations

import gzip
import json
import uuid
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from hub_helpers import T0, count, digest, movement, pull, push, register, request_snapshot, sale
from suppliers.hub import feed
from suppliers.hub.models import HubOutlet, HubRequest, HubRequestLine, HubSalesDaily, HubStock


def db_of(app):
    return app.extensions["gerai_db"]


def test_a_batch_is_applied_once_however_often_it_comes(hub):
    db, client = db_of(hub), hub.test_client()
    token = register(db, "A1")
    events = [movement(1, balance="9.000"), sale(2), movement(3, balance="8.000", kind="sale")]
    for _ in range(3):
        res = push(client, token, "A1", events)
        assert res.status_code == 200, res.get_json()
        assert res.get_json() == {"accepted_through": 3}
    assert (count(db, "hub_events"), count(db, "hub_movements"), count(db, "hub_sales")) == (3, 2, 1)
    with db.read_session() as s:
        stock = s.scalar(sa.select(HubStock))
        assert (stock.sku, stock.on_hand, stock.name, stock.unit) == ("BRS-5", Decimal("8.000"), "Beras 5 kg", "kg")
        assert stock.last_sold_at == T0.replace(minute=3)
        daily = s.scalar(sa.select(HubSalesDaily))
        assert (daily.day, daily.sales_count, daily.total) == (date(2026, 11, 20), 1, 13000)  # 10:02 in Jakarta
        outlet = s.scalar(sa.select(HubOutlet))
        assert outlet.accepted_through == 3 and outlet.last_sale_at == T0.replace(minute=2)


def test_the_shops_local_day_counts_for_daily_sales(hub):
    db, client = db_of(hub), hub.test_client()
    token = register(db, "A1")
    late = T0.replace(hour=18)  # 18:00 UTC = 01:00 next day in Jakarta
    assert push(client, token, "A1", [sale(1, at=late), sale(2, at=T0)]).status_code == 200
    with db.read_session() as s:
        assert sorted((d.day, d.sales_count) for d in s.scalars(sa.select(HubSalesDaily))) == [
            (date(2026, 11, 20), 1), (date(2026, 11, 21), 1)]


def test_out_of_order_batches_and_a_gap(hub):
    db, client = db_of(hub), hub.test_client()
    token = register(db, "A1")
    events = [movement(i, balance=f"{100 - i}.000") for i in range(1, 7)]
    res = push(client, token, "A1", [events[4], events[3]])  # 5, 4: a gap before them
    assert res.get_json() == {"accepted_through": 0}
    assert count(db, "hub_movements") == 0
    res = push(client, token, "A1", [events[1], events[0], events[3]])  # 2, 1, (gap at 3) 4
    assert res.get_json() == {"accepted_through": 2}
    assert count(db, "hub_movements") == 2
    res = push(client, token, "A1", list(reversed(events)))
    assert res.get_json() == {"accepted_through": 6}
    assert count(db, "hub_movements") == 6
    with db.read_session() as s:
        assert s.scalar(sa.select(HubStock.on_hand)) == Decimal("94.000")  # the latest by seq, whatever the order sent


def test_a_different_event_under_an_accepted_number_is_a_409_and_changes_nothing(hub):
    db, client = db_of(hub), hub.test_client()
    token = register(db, "A1")
    assert push(client, token, "A1", [movement(1), movement(2)]).status_code == 200
    before = digest(db)
    res = push(client, token, "A1", [movement(2), movement(3)])
    assert res.status_code == 409
    body = res.get_json()
    assert body["reason"] == "sequence_conflict" and body["accepted_through"] == 2 and body["code"] == 409
    assert body["status"] == "Conflict" and body["message"]
    assert digest(db) == before


def test_a_renumbered_known_event_is_accepted_without_applying_it_again(hub):
    db, client = db_of(hub), hub.test_client()
    token = register(db, "A1")
    first = movement(1, balance="9.000")
    assert push(client, token, "A1", [first]).status_code == 200
    again = {**first, "seq": 2}  # a restored shop renumbered it
    res = push(client, token, "A1", [again, movement(3, balance="7.000")])
    assert res.get_json() == {"accepted_through": 3}
    assert count(db, "hub_movements") == 2
    # and the renumbered one is recognised as a duplicate when it comes once more
    assert push(client, token, "A1", [again]).get_json() == {"accepted_through": 3}


def test_gzip_bodies(hub):
    db, client = db_of(hub), hub.test_client()
    token = register(db, "A1")
    res = push(client, token, "A1", [movement(1), sale(2)], gz=True)
    assert res.status_code == 200 and res.get_json() == {"accepted_through": 2}
    bad = client.post("/api/v1/sync/push", data=b"not gzip", headers={
        "Authorization": f"Bearer {token}", "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.get_json()["code"] == 400


def test_a_body_over_the_cap_after_decompression_is_413(hub):
    db, client = db_of(hub), hub.test_client()
    token = register(db, "A1")
    bomb = gzip.compress(b'{"outlet": "A1", "events": [], "pad": "' + b"x" * (17 * 1024 * 1024) + b'"}')
    res = client.post("/api/v1/sync/push", data=bomb, headers={
        "Authorization": f"Bearer {token}", "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert res.status_code == 413 and res.get_json()["code"] == 413


BAD_EVENTS = [
    ("events", lambda e: None),
    ("events.0.id", lambda e: {**e, "id": "nope"}),
    ("events.0.seq", lambda e: {**e, "seq": 0}),
    ("events.0.seq", lambda e: {**e, "seq": "1"}),
    ("events.0.at", lambda e: {**e, "at": "2026-11-20T10:00:00"}),  # no offset
    ("events.0.data", lambda e: {**e, "data": []}),
    ("events.0.data.sku", lambda e: {**e, "data": {**e["data"], "sku": None}}),
    ("events.0.data.qty", lambda e: {**e, "data": {**e["data"], "qty": 1.5}}),
    ("events.0.data.balance_after", lambda e: {**e, "data": {**e["data"], "balance_after": "1.0001"}}),
    ("events.0.type", lambda e: {**e, "type": "x" * 33}),
]


@pytest.mark.parametrize("field,spoil", BAD_EVENTS, ids=[b[0] + str(i) for i, b in enumerate(BAD_EVENTS)])
def test_a_bad_event_is_a_422_naming_the_field_and_nothing_changes(hub, field, spoil):
    db, client = db_of(hub), hub.test_client()
    token = register(db, "A1")
    good = movement(2)
    spoiled = spoil(movement(1))
    before = digest(db)
    events = spoiled if spoiled is None else [spoiled, good]
    res = push(client, token, "A1", events)
    assert res.status_code == 422, res.get_json()
    assert field in res.get_json()["errors"]["json"], res.get_json()
    assert digest(db) == before


def test_too_many_events_names_events(hub):
    db, client = db_of(hub), hub.test_client()
    token = register(db, "A1")
    res = push(client, token, "A1", [movement(i) for i in range(1, 1002)])
    assert res.status_code == 422 and "events" in res.get_json()["errors"]["json"]


@pytest.mark.parametrize("raw", [b"", b"[1,2", b"\xff\xfe", b'{"outlet": "A1", "events": [], "x": "\\u0000"}'])
def test_unreadable_bodies_are_400(hub, raw):
    db, client = db_of(hub), hub.test_client()
    token = register(db, "A1")
    res = client.post("/api/v1/sync/push", data=raw, headers={"Authorization": f"Bearer {token}",
                                                              "Content-Type": "application/json"})
    assert res.status_code in (400, 422) and res.get_json()["code"] == res.status_code


def test_unknown_event_types_are_stored_not_applied(hub):
    db, client = db_of(hub), hub.test_client()
    token = register(db, "A1")
    odd = {"id": str(uuid.uuid4()), "seq": 1, "type": "future_thing", "at": T0.isoformat(), "data": {"x": 1}}
    assert push(client, token, "A1", [odd, movement(2)]).get_json() == {"accepted_through": 2}
    assert count(db, "hub_events") == 2 and count(db, "hub_movements") == 1


def test_tokens_bind_outlets(hub):
    db, client = db_of(hub), hub.test_client()
    token_a, _token_b = register(db, "A1"), register(db, "B1")
    before = digest(db)
    res = push(client, token_a, "B1", [movement(1)])
    assert res.status_code == 403 and res.get_json()["code"] == 403
    for bad in ("", "gso_wrong", "Bearer"):
        assert push(client, bad, "A1", [movement(1)]).status_code == 401
    assert client.post("/api/v1/sync/push", json={"outlet": "A1", "events": []}).status_code == 401
    assert pull(client, "gso_nope").status_code == 401
    assert digest(db) == before
    with db.session() as s:  # an inactive outlet's token stops working
        s.execute(sa.update(HubOutlet).where(HubOutlet.code == "A1").values(active=False))
        s.commit()
    assert push(client, token_a, "A1", [movement(1)]).status_code == 401


def test_pull_gives_each_outlet_its_own_feed(hub):
    db, client = db_of(hub), hub.test_client()
    token_a, token_b = register(db, "A1", zone="Z1"), register(db, "B1", zone="Z2")
    with db.session() as s:
        ids = dict(s.execute(sa.select(HubOutlet.code, HubOutlet.id)).all())
        feed.append(s, "dispatch", {"request_id": "r-a"}, outlet_id=ids["A1"])
        feed.append(s, "dispatch", {"request_id": "r-b"}, outlet_id=ids["B1"])
        feed.append(s, "het", {"sku": "BRS-5", "het": 14000, "effective_from": "2026-12-01", "zone": None})
        feed.append(s, "het", {"sku": "BRS-5", "het": 15000, "effective_from": "2026-12-01", "zone": "Z2"}, zone="Z2")
        s.commit()
    a = pull(client, token_a).get_json()
    assert [e["data"].get("request_id") or e["data"]["het"] for e in a["events"]] == ["r-a", 14000]
    assert a["cursor"] == a["events"][-1]["id"]
    b = pull(client, token_b).get_json()
    assert [e["data"].get("request_id") or e["data"]["het"] for e in b["events"]] == ["r-b", 14000, 15000]
    assert pull(client, token_b, cursor=b["cursor"]).get_json() == {"cursor": b["cursor"], "events": []}
    limited = pull(client, token_b, limit=1).get_json()
    assert len(limited["events"]) == 1 and limited["cursor"] == limited["events"][0]["id"]
    for bad in ("cursor=-1", "cursor=x", "limit=0", "limit=1001"):
        res = client.get(f"/api/v1/sync/pull?{bad}", headers={"Authorization": f"Bearer {token_a}"})
        assert res.status_code == 422 and bad.split("=")[0] in res.get_json()["errors"]["query"]


def test_restock_request_snapshots_never_move_backwards(hub):
    db, client = db_of(hub), hub.test_client()
    token = register(db, "A1")
    rid = str(uuid.uuid4())
    events = [request_snapshot(1, rid, "submitted"), request_snapshot(2, rid, "partially_received", received="5.000"),
              request_snapshot(3, rid, "submitted"), request_snapshot(4, rid, "cancelled")]
    assert push(client, token, "A1", events[:2]).status_code == 200
    assert push(client, token, "A1", events[2:]).status_code == 200
    with db.read_session() as s:
        req = s.get(HubRequest, rid)
        assert req.status == "partially_received"
        line = s.scalar(sa.select(HubRequestLine))
        assert (line.qty, line.received_qty) == (Decimal("20.000"), Decimal("5.000"))
    rid2 = str(uuid.uuid4())
    assert push(client, token, "A1", [request_snapshot(5, rid2), request_snapshot(6, rid2, "cancelled")]).status_code == 200
    with db.read_session() as s:
        assert s.get(HubRequest, rid2).status == "cancelled"


def test_an_outlet_cannot_overwrite_another_outlets_request(hub):
    db, client = db_of(hub), hub.test_client()
    token_a, token_b = register(db, "A1"), register(db, "B1")
    rid = str(uuid.uuid4())
    assert push(client, token_a, "A1", [request_snapshot(1, rid)]).status_code == 200
    assert push(client, token_b, "B1", [request_snapshot(1, rid, "cancelled", supplier="X")]).status_code == 200
    with db.read_session() as s:
        req = s.get(HubRequest, rid)
        assert (req.status, req.supplier) == ("submitted", "BULOG")


def test_a_shop_has_no_sync_endpoints(client):
    assert client.post("/api/v1/sync/push", json={}).status_code in (401, 404)
    assert client.get("/api/v1/sync/pull").status_code in (401, 404)
    assert "/api/v1/sync/push" not in {r.rule for r in client.application.url_map.iter_rules()}


@pytest.mark.postgres
def test_partitions_for_a_new_month_are_made_on_ingest(pg_hub):
    db, client = db_of(pg_hub), pg_hub.test_client()
    token = register(db, "A1")
    far = T0.replace(year=2031, month=3)
    assert push(client, token, "A1", [movement(1, at=far), sale(2, at=far)]).status_code == 200
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM hub_movements_y2031m03")).scalar() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM hub_sales_y2031m03")).scalar() == 1
