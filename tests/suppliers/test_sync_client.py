"""The shop's sync client over real HTTP against the REAL hub (GERAI_ROLE=hub on PostgreSQL, served in
this process by tests/suppliers/real_hub.py, which cuts connections and records pushes around it).

The shop side is real too: a migrated SQLite shop, its services, its outbox, `gerai sync` as a process.
One test keeps the hub double (hub_double.py): a hub restored from a backup (`restore_to`), which the
real hub can only be made into by putting back a copy of its database; that is done with a real hub
server in tests/sync_e2e/test_hub_crash.py.
"""
from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

import factories as f
from gerai import outbox
from gerai.db import utcnow
from hub_double import HubDouble, Served
from real_hub import serve_real_hub
from inventory import stock
from inventory.models import HetChange, Product
from suppliers import requests, sync_client
from suppliers.models import RestockRequest

TZ = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def hub(pg_db, tmp_path):
    """The real hub on a clean PostgreSQL database, outlet KDMP-0001 (zone "1") registered."""
    real, served = serve_real_hub(tmp_path / "hub", pg_db.url)
    with served as url:
        real.url = url
        yield real
    real.db.dispose()


@pytest.fixture
def double():
    """The hub double: only for a hub restored from a backup (see the module docstring)."""
    hub = HubDouble()
    with Served(hub) as url:
        hub.url = url
        yield hub


def hub_of(double, **kw) -> sync_client.Hub:
    return sync_client.Hub(double.url, kw.pop("token", double.token), kw.pop("outlet", double.outlet), **kw)


def shop_events(db) -> list[tuple[int, str]]:
    with db.read_session() as s:
        return [(r.seq, r.id) for r in s.execute(sa.select(outbox.OUTBOX.c.seq, outbox.OUTBOX.c.id)
                                                  .order_by(outbox.OUTBOX.c.seq))]


def state(db):
    with db.read_session() as s:
        return s.execute(sa.select(outbox.STATE)).one()


def emit_n(db, n: int, start: int = 0) -> None:
    with db.session() as s:
        outbox.emit_many(s, [("test", {"n": i}) for i in range(start, start + n)], utcnow())
        s.commit()


def assert_hub_has_shop_events_once(db, hub) -> None:
    shop = shop_events(db)
    assert hub.accepted_through == shop[-1][0]
    ids = hub.event_ids()
    assert len(ids) == len(set(ids)) == len(shop) and set(ids) == {i for _, i in shop}  # every event, once


@pytest.mark.postgres
def test_push_sends_every_event_gzip_in_batches_and_pull_applies_nothing_new(db, hub):
    with db.session() as s:
        f.product(s, "GULA", price=18000)
        f.receive(s, "GULA", 5)
    emit_n(db, 1100)
    result = sync_client.sync_round(db, hub_of(hub), TZ)
    total = len(shop_events(db))
    assert result.pushed == total and result.accepted_through == total and result.pulled == 0
    # the batches, then an empty one asking how far the hub has this shop (nothing more to send)
    assert [len(p["seqs"]) for p in hub.pushes] == [500, 500, total - 1000, 0]
    assert all(p["gzip"] for p in hub.pushes)
    assert_hub_has_shop_events_once(db, hub)
    st = state(db)
    assert st.pushed_through == total and st.last_error is None and st.last_push_at is not None
    assert "pushed 1102 events (hub accepted through 1102); pulled 0 events" in result.summary()
    # a second round has nothing to send
    assert sync_client.sync_round(db, hub_of(hub), TZ).pushed == 0
    assert [len(p["seqs"]) for p in hub.pushes][4:] == [0]


@pytest.mark.postgres
def test_connection_cut_after_the_hub_took_the_batch_resends_and_nothing_doubles(db, hub):
    emit_n(db, 30)
    hub.cut_after = 1
    with pytest.raises(sync_client.Unreachable, match="could not be reached"):
        sync_client.sync_round(db, hub_of(hub), TZ)
    assert hub.accepted_through == 30 and state(db).pushed_through == 0
    assert "could not be reached" in state(db).last_error
    emit_n(db, 5, 30)
    sync_client.sync_round(db, hub_of(hub), TZ)  # the 30 again (duplicates, skipped) and the 5 new
    assert_hub_has_shop_events_once(db, hub)
    assert state(db).last_error is None


@pytest.mark.postgres
def test_connection_cut_before_the_hub_took_it(db, hub):
    emit_n(db, 10)
    hub.cut_before = 1
    with pytest.raises(sync_client.Unreachable):
        sync_client.sync_round(db, hub_of(hub), TZ)
    assert hub.accepted_through == 0
    sync_client.sync_round(db, hub_of(hub), TZ)
    assert_hub_has_shop_events_once(db, hub)


def test_a_hub_restored_from_a_backup_gets_the_lost_events_again(db, double):
    hub = double
    emit_n(db, 40)
    sync_client.sync_round(db, hub_of(hub), TZ)
    hub.restore_to(15)
    # with nothing new to send, the round's empty batch learns the hub has only 15: 16..40 go again
    assert sync_client.sync_round(db, hub_of(hub), TZ).pushed == 25 and hub.accepted_through == 40
    hub.restore_to(15)
    emit_n(db, 3, 40)
    result = sync_client.sync_round(db, hub_of(hub), TZ)
    # first push 41..43 meets a gap (hub at 15): the hub answers 15, the client resends 16..43
    assert hub.pushes[-3]["seqs"] == [41, 42, 43] and hub.pushes[-2]["seqs"] == list(range(16, 44))
    assert hub.pushes[-1]["seqs"] == []
    assert result.accepted_through == 43
    shop = shop_events(db)
    assert hub.accepted_through == shop[-1][0] and hub.ids_in_order() == [i for _, i in shop]
    assert len({e["id"] for e in hub.applied}) == len(hub.applied) == len(shop)


@pytest.mark.postgres
def test_a_shop_restored_from_an_older_backup_renumbers_its_new_events(db, hub, tmp_path):
    """The shop pushed 1..20, was restored from a backup taken after 12 (pushed through 8), and made
    new events that took 13.. again: the hub answers 409, the client renumbers them after 20."""
    from gerai.db import Database

    emit_n(db, 12)
    sync_client.sync_round(db, hub_of(hub), TZ)  # hub through 12
    # the backup: the shop thinks the hub has only 8
    with db.session() as s:
        s.execute(outbox.STATE.update().values(pushed_through=8))
        s.commit()
    backup = tmp_path / "backup.db"
    path = db.engine.url.database
    db.dispose()
    import shutil

    shutil.copy(path, backup)
    emit_n(db, 8, 12)  # the shop before the restore: 13..20, pushed
    sync_client.sync_round(db, hub_of(hub), TZ)
    assert hub.accepted_through == 20
    db.dispose()
    shutil.copy(backup, path)  # restored: events 1..12, pushed_through 8
    restored = Database(f"sqlite:///{path}")
    try:
        emit_n(restored, 5, 100)  # new events 13..17: numbers the hub holds with other ids
        result = sync_client.sync_round(restored, hub_of(hub), TZ)
        assert result.renumbered == 9  # 9..17 after the agreed 8 -> 21..29
        seqs = [seq for seq, _ in shop_events(restored)]
        assert seqs == list(range(1, 9)) + list(range(21, 30))
        assert hub.accepted_through == 29 and state(restored).pushed_through == 29
        # every event of the restored shop is on the hub exactly once; 9..12 were known: not recorded again
        ids = hub.event_ids()
        assert {i for _, i in shop_events(restored)} <= set(ids)
        assert len(ids) == len(set(ids)) == 20 + 5
        # and new events follow on
        emit_n(restored, 1, 200)
        sync_client.sync_round(restored, hub_of(hub), TZ)
        assert hub.accepted_through == 30
    finally:
        restored.dispose()


@pytest.mark.postgres
def test_a_refused_token_stops_with_a_clear_message(db, hub):
    emit_n(db, 3)
    with pytest.raises(sync_client.Refused, match="GERAI_HUB_TOKEN"):
        sync_client.sync_round(db, hub_of(hub, token="gso_wrong"), TZ)
    with pytest.raises(sync_client.Refused, match="HTTP 403"):
        sync_client.sync_round(db, hub_of(hub, outlet="KDMP-9999"), TZ)
    assert hub.accepted_through == 0
    assert "gso_wrong" not in (state(db).last_error or "")


def test_an_unreachable_hub_times_out_quickly():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    port = listener.getsockname()[1]
    try:
        with pytest.raises(sync_client.Unreachable, match="timed out"):
            sync_client._call(sync_client.Hub(f"http://127.0.0.1:{port}", "t", "o", read_timeout=0.3), "GET",
                              "/api/v1/sync/pull?cursor=0")
    finally:
        listener.close()


# --- pull ---------------------------------------------------------------------------------------

@pytest.mark.postgres
def test_pulled_dispatch_het_and_product_are_applied_with_the_cursor(db, hub):
    requests.install(db)
    with db.session() as s:
        f.product(s, "GULA", name="Gula", price=18000, het=19000)
        f.product(s, "MINYAK", name="Minyak", price=17000)
    rid = str(uuid.uuid4())
    with db.session() as s:
        requests.create_request(s, rid, "BULOG", [{"sku": "GULA", "qty": Decimal(20)}, {"sku": "MINYAK", "qty": Decimal(5)}])
    today = utcnow().astimezone(TZ).date()
    eta = (utcnow() + timedelta(days=2)).isoformat()
    hub.add_feed("dispatch", {"request_id": rid, "dispatch_id": "d-1", "supplier": "BULOG", "eta": eta,
                              "lines": [{"sku": "GULA", "qty": "12.000"}]})
    hub.add_feed("het", {"sku": "GULA", "het": 17500, "effective_from": today.isoformat(), "zone": None})
    hub.add_feed("het", {"sku": "MINYAK", "het": 15000, "effective_from": (today + timedelta(days=3)).isoformat(),
                         "zone": "1"})
    hub.add_feed("product", {"sku": "SPHP-5", "name": "Beras SPHP 5 kg", "category": "sembako", "unit": "bungkus",
                             "het": 62500, "subsidised": True, "quota": {"qty": "2", "period_days": 1},
                             "supplier": "BULOG", "barcodes": [f.ean13(17), "8990000000017"]})
    hub.add_feed("product", {"sku": "GULA", "name": "Gula pasir", "het": 17500})
    hub.add_feed("product", {"sku": "NOHET", "name": "Tanpa HET", "category": "sembako", "unit": "pcs", "het": None})
    hub.add_feed("dispatch", {"request_id": rid, "dispatch_id": "d-2", "supplier": "BULOG", "eta": None,
                              "lines": [{"sku": "MINYAK", "qty": "2.000", "dispatched_qty": "2.000"}]})
    hub.add_feed("dispatch", {"request_id": rid, "dispatch_id": "d-2", "supplier": "BULOG", "eta": None,
                              "lines": [{"sku": "MINYAK", "qty": "2.000", "dispatched_qty": "2.000"}]})  # sent twice
    hub.add_feed("price_list_v9", {"anything": 1})
    hub.add_feed("dispatch", {"request_id": str(uuid.uuid4()), "lines": []})  # not this shop's request
    result = sync_client.sync_round(db, hub_of(hub), TZ)
    assert result.pulled == 10 and result.applied == 7 and result.skipped == 3
    assert state(db).pull_cursor == 10
    with db.read_session() as s:
        req = s.get(RestockRequest, rid)
        assert req.status == "dispatched" and req.eta is not None
        assert {ln.sku: ln.dispatched_qty for ln in req.lines} == {"GULA": Decimal(12), "MINYAK": Decimal(2)}
        gula = s.scalar(sa.select(Product).where(Product.sku == "GULA"))
        assert (gula.name, gula.het, gula.price) == ("Gula pasir", 17500, 17500)  # lowered to the new HET
        minyak = s.scalar(sa.select(Product).where(Product.sku == "MINYAK"))
        assert (minyak.het, minyak.price) == (None, 17000)  # dated ahead: pending
        pending = s.scalars(sa.select(HetChange).where(HetChange.product_id == minyak.id)).all()
        assert [(h.het, h.pending, h.source) for h in pending] == [(15000, True, "hub")]
        sphp = s.scalar(sa.select(Product).where(Product.sku == "SPHP-5"))
        assert (sphp.price, sphp.het, sphp.unit, sphp.subsidised, sphp.quota_qty) == (62500, 62500, "bungkus", True, 2)
        assert [b.barcode for b in sphp.barcodes] == [f.ean13(17)]  # the misread one left off
        assert s.scalar(sa.select(Product).where(Product.sku == "NOHET")) is None
    # the dispatch shows at the hub too: the request's snapshot went into the outbox
    with db.read_session() as s:
        snaps = [json.loads(d) for d in s.scalars(sa.select(outbox.OUTBOX.c.data)
                                                  .where(outbox.OUTBOX.c.type == "restock_request"))]
    assert snaps[-1]["status"] == "dispatched"
    # nothing new: the next round pulls nothing and keeps the cursor
    assert sync_client.sync_round(db, hub_of(hub), TZ).pulled == 0
    assert state(db).pull_cursor == 10
    # receiving against the dispatched request
    with db.session() as s:
        stock.receive_goods(s, "BULOG", "SJ-9", [{"sku": "GULA", "qty": Decimal(12), "unit_cost": 15000}],
                            restock_request_id=rid)
    with db.read_session() as s:
        assert s.get(RestockRequest, rid).status == "partially_received"


def test_a_het_dated_ahead_takes_effect_on_its_day_without_a_link(db):
    from suppliers import sync_apply

    with db.session() as s:
        f.product(s, "MINYAK", price=17000)
    tomorrow = (utcnow().astimezone(TZ) + timedelta(days=1)).date().isoformat()
    with db.session() as s:
        sync_apply.apply_page(s, [{"id": 1, "type": "het", "at": None,
                                   "data": {"sku": "MINYAK", "het": 15000, "effective_from": tomorrow}}], 1, TZ)
    with db.session() as s:
        from inventory import catalog

        assert catalog.apply_due_hets(s, utcnow()) == 0
        assert catalog.apply_due_hets(s, utcnow() + timedelta(days=2)) == 1
        s.commit()
    with db.read_session() as s:
        minyak = s.scalar(sa.select(Product).where(Product.sku == "MINYAK"))
        assert (minyak.het, minyak.price) == (15000, 15000)


@pytest.mark.postgres
def test_a_page_that_fails_applies_nothing_and_keeps_the_cursor(db, hub, monkeypatch):
    from suppliers import sync_apply

    with db.session() as s:
        f.product(s, "GULA", price=18000)
    hub.add_feed("het", {"sku": "GULA", "het": 17000, "effective_from": "2020-01-01"})
    hub.add_feed("het", {"sku": "GULA", "het": 16000, "effective_from": "2020-01-02"})

    def crash(session, data, at, tz):
        if data["het"] == 16000:
            raise RuntimeError("power cut")
        return real(session, data, at, tz)

    real = sync_apply.APPLY["het"]
    monkeypatch.setitem(sync_apply.APPLY, "het", crash)
    with pytest.raises(RuntimeError):
        sync_client.sync_round(db, hub_of(hub), TZ)
    with db.read_session() as s:
        assert s.scalar(sa.select(Product.het).where(Product.sku == "GULA")) is None
    assert state(db).pull_cursor == 0
    monkeypatch.setitem(sync_apply.APPLY, "het", real)
    sync_client.sync_round(db, hub_of(hub), TZ)
    with db.read_session() as s:
        assert s.scalar(sa.select(Product.het).where(Product.sku == "GULA")) == 16000
    assert state(db).pull_cursor == 2


# --- the command and the loop -------------------------------------------------------------------

def _gerai(instance: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("gerai")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from gerai.cli import main; main()"]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GERAI_")}
    environ.update({"GERAI_INSTANCE": str(instance), "GERAI_SECRET_KEY": "k" * 32, **env})
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=environ, timeout=120)


def test_gerai_sync_exits_1_with_a_message_when_the_hub_is_unreachable(instance):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    out = _gerai(instance, "sync", "--hub", f"http://127.0.0.1:{port}", "--token", "gso_secret-token",
                 GERAI_OUTLET="KDMP-0001")
    assert out.returncode == 1
    assert "could not be reached" in out.stderr and "connection refused" in out.stderr
    assert "gso_secret-token" not in out.stderr + out.stdout


@pytest.mark.postgres
def test_gerai_sync_pushes_and_prints_what_moved(instance, hub):
    out = _gerai(instance, "sync", GERAI_HUB_URL=hub.url, GERAI_HUB_TOKEN=hub.token, GERAI_OUTLET=hub.outlet)
    assert out.returncode == 0, out.stderr
    assert "pushed 0 events (hub accepted through 0); pulled 0 events" in out.stdout
    refused = _gerai(instance, "sync", "--token", "gso_wrong", GERAI_HUB_URL=hub.url, GERAI_OUTLET=hub.outlet)
    assert refused.returncode == 1 and "refused" in refused.stderr


def test_gerai_sync_without_settings_says_what_to_set(instance):
    out = _gerai(instance, "sync")
    assert out.returncode == 1
    assert "GERAI_HUB_URL" in out.stderr and "GERAI_HUB_TOKEN" in out.stderr and "GERAI_OUTLET" in out.stderr


@pytest.mark.postgres
def test_the_loop_syncs_in_the_background_and_backs_off(db, hub):
    import time

    emit_n(db, 7)
    loop = sync_client.SyncLoop(db, hub_of(hub), TZ, interval=1)
    loop.start()
    try:
        deadline = time.monotonic() + 20
        while hub.accepted_through < 7 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hub.accepted_through == 7
    finally:
        loop.stop()
        loop.join(10)
    assert not loop.is_alive()


def test_backoff_grows_with_jitter_up_to_15_minutes():
    import random

    rng = random.Random(1)
    assert sync_client.backoff(0, 60, rng) == 60
    waits = [sync_client.backoff(n, 60, rng) for n in range(1, 12)]
    assert 60 <= waits[0] <= 120 and all(w <= 900 for w in waits) and max(waits) >= 450
    assert len(set(waits)) == len(waits)  # jittered


@pytest.mark.postgres
def test_the_gzip_body_is_what_the_contract_says(db, hub):
    emit_n(db, 2)
    sync_client.sync_round(db, hub_of(hub), TZ)
    assert hub.pushes[0]["gzip"]
    body = hub.pushes[0]["body"]
    assert body["outlet"] == hub.outlet
    assert [sorted(e) for e in body["events"]] == [["at", "data", "id", "seq", "type"]] * 2
    assert body["events"][0]["data"] == {"n": 0}


@pytest.mark.postgres
def test_gerai_serve_syncs_in_the_background_and_never_logs_the_token(instance, db, hub):
    import time

    with db.session() as s:
        f.product(s, "GULA", price=18000)
    db.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = Path(sys.executable).with_name("gerai")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from gerai.cli import main; main()"]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GERAI_")}
    environ.update({"GERAI_INSTANCE": str(instance), "GERAI_SECRET_KEY": "k" * 32, "GERAI_HUB_URL": hub.url,
                    "GERAI_HUB_TOKEN": hub.token, "GERAI_OUTLET": hub.outlet, "GERAI_SYNC_INTERVAL": "1"})
    hub.cut_before = 1  # the first round fails: the loop goes on
    proc = subprocess.Popen([*cmd, "serve", "--port", str(port)], env=environ, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while hub.accepted_through < 1 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert hub.accepted_through == 1  # the product event
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0]
    assert f"Syncing with {hub.url} as {hub.outlet} every 1 s." in output
    assert "sync failed (1 in a row)" in output
    assert hub.token not in output


def test_a_bad_sync_interval_is_named(instance):
    out = _gerai(instance, "serve", "--port", "1", GERAI_HUB_URL="http://127.0.0.1:9", GERAI_HUB_TOKEN="t",
                 GERAI_OUTLET="o", GERAI_SYNC_INTERVAL="often")
    assert out.returncode != 0 and "GERAI_SYNC_INTERVAL" in out.stderr
