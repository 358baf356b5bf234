"""Faults between a shop and the real hub, in random schedules (issue 5, "Faults"): a hypothesis state
machine drives a shop (its app in this process, SQLite) against the hub served by `gerai serve`
(GERAI_ROLE=hub, PostgreSQL) over HTTP, through a TCP proxy that cuts connections.

Rules: the shop sells, receives goods, raises restock requests; it syncs cleanly, or through a
connection cut at a random byte of the request (the hub never got all of it) or of the answer (the
hub did the work, the shop never heard); the same batch is sent twice and batches are sent out of
order straight to the hub with the outlet's token; the hub is SIGKILLed in the middle of a sync and
started again; the shop is backed up, and later restored from an older backup (it loses its recent
work: the renumbering path). At the end, after one clean sync: every event the shop holds is on the
hub exactly once, the hub's accepted_through is the shop's last event, the hub's stock is the
shop's levels, no sale is on the hub twice (e2e.assert_agree).

GERAI_SYNC_FAULT_EXAMPLES sets how many schedules run (default 4: about a minute here);
GERAI_SYNC_FAULT_STEPS their length (default 14). Run more locally:
`GERAI_SYNC_FAULT_EXAMPLES=40 pytest tests/sync_e2e/test_faults.py -s`.
"""
from __future__ import annotations

import gzip
import http.client
import json
import os
import random
import threading
import time
from collections import Counter

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from e2e import CuttingProxy, Shop, assert_agree, shop_app
from gerai import outbox
from suppliers import sync_client

pytestmark = pytest.mark.postgres

EXAMPLES = int(os.environ.get("GERAI_SYNC_FAULT_EXAMPLES", "4"))
STEPS = int(os.environ.get("GERAI_SYNC_FAULT_STEPS", "14"))


def direct_push(hub, token: str, outlet: str, events: list[dict]) -> tuple[int, dict]:
    """A batch straight to the hub (not through the client), gzip as the client sends it."""
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=30)
    try:
        body = gzip.compress(json.dumps({"outlet": outlet, "events": events}).encode())
        conn.request("POST", "/api/v1/sync/push", body=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Content-Encoding": "gzip"})
        res = conn.getresponse()
        return res.status, json.loads(res.read())
    finally:
        conn.close()


class SyncFaults(RuleBasedStateMachine):
    hub = template_db = tmp = None  # set by the test
    figures: Counter = Counter()

    def __init__(self) -> None:
        super().__init__()
        cls = type(self)
        cls.figures["schedules"] += 1
        n = cls.figures["schedules"]
        self.code = f"FAULT-{n}"
        self.token = cls.hub.add_outlet(self.code)
        self.app, api = shop_app(cls.tmp / f"shop{n}", cls.template_db, secret=f"fault-{n}")
        self.shop = Shop(self.app, api)
        self.proxy = CuttingProxy(cls.hub.port)
        self.backups: list = []
        self.restored = False
        self.kills = 0
        self.rng = random.Random(n)

    def fault(self, kind: str) -> None:
        type(self).figures[kind] += 1
        type(self).figures["faults"] += 1

    def sync(self, url: str | None = None, **kw):
        return self.shop.sync(url or self.proxy.url, self.token, self.code, connect_timeout=2, read_timeout=20, **kw)

    def events(self, after: int, limit: int) -> list[dict]:
        with self.shop.db.read_session() as s:
            return outbox.events_after(s.connection(), after, limit)

    def pushed_through(self) -> int:
        with self.shop.db.read_session() as s:
            return s.execute(outbox.STATE.select()).one().pushed_through

    # --- the shop's work ----------------------------------------------------------------------

    @rule(n=st.integers(1, 4))
    def sell(self, n):
        for _ in range(n):
            self.shop.sell(self.rng)

    @rule(qty=st.integers(1, 30), sku=st.sampled_from(Shop.SKUS))
    def receive(self, qty, sku):
        self.shop.receive({sku: qty}, f"SJ-{self.rng.randint(1, 10**6)}")

    @rule(qty=st.integers(1, 50))
    def raise_request(self, qty):
        self.shop.request({"BERAS": qty, "GULA": 1})

    # --- syncing, with and without faults ------------------------------------------------------

    @rule()
    def sync_clean(self):
        self.sync()

    @rule(where=st.sampled_from(["request", "response"]), fraction=st.floats(0, 0.99))
    def sync_cut(self, where, fraction):
        self.proxy.plan.append((where, fraction))
        try:
            self.sync()
        except sync_client.Unreachable:
            pass
        else:
            raise AssertionError("a cut connection went unnoticed")
        self.proxy.plan.clear()
        self.fault(f"cut {where}")

    @rule(back=st.integers(0, 8), size=st.integers(1, 60))
    def same_batch_twice(self, back, size):
        events = self.events(max(0, self.pushed_through() - back), size)
        if not events:
            return
        answers = [direct_push(self.hub, self.token, self.code, events) for _ in range(2)]
        for status, body in answers:
            assert status == 200 or (status == 409 and body["reason"] == "sequence_conflict"), (status, body)
        assert answers[0] == answers[1]  # the second changes nothing
        self.fault("same batch twice")

    @rule(size=st.integers(1, 10))
    def batches_out_of_order(self, size):
        events = self.events(self.pushed_through(), 60)
        chunks = [events[i:i + size] for i in range(0, len(events), size)]
        if len(chunks) < 2:
            return
        self.rng.shuffle(chunks)
        for chunk in chunks:
            status, body = direct_push(self.hub, self.token, self.code, chunk)
            assert status == 200 or (status == 409 and body["reason"] == "sequence_conflict"), (status, body)
        self.fault("batches out of order")

    @precondition(lambda self: self.kills < 1)
    @rule(after=st.floats(0, 0.3))
    def kill_hub_mid_sync(self, after):
        self.shop.sell(self.rng)
        errors = []

        def go():
            try:
                self.sync(type(self).hub.url)
            except sync_client.SyncError:
                pass
            except BaseException as err:  # noqa: BLE001
                errors.append(err)

        worker = threading.Thread(target=go)
        worker.start()
        time.sleep(after)
        type(self).hub.sigkill()
        worker.join(60)
        assert not errors, errors
        type(self).hub.start()
        self.kills += 1
        self.fault("hub SIGKILL mid-sync")

    # --- backups --------------------------------------------------------------------------------

    @precondition(lambda self: len(self.backups) < 3)
    @rule()
    def back_up(self):
        path = type(self).tmp / f"{self.code}-{len(self.backups)}.db"
        self.shop.backup(path)
        self.backups.append(path)

    @precondition(lambda self: self.backups)
    @rule(which=st.integers(0, 2))
    def restore_older_backup(self, which):
        self.shop.restore(self.backups[which % len(self.backups)])
        self.restored = True
        self.fault("shop restored from an older backup")

    def teardown(self) -> None:
        try:
            self.sync(type(self).hub.url)  # one clean round, straight to the hub
            verified = assert_agree(self.shop.db, type(self).hub, self.code, shop_lost=self.restored)
            type(self).figures["events verified"] += verified["events"]
        finally:
            self.proxy.close()
            self.app.extensions["gerai_db"].dispose()


def test_random_fault_schedules_end_with_every_event_once(hub, template_db, tmp_path):
    hub.start()
    SyncFaults.hub, SyncFaults.template_db, SyncFaults.tmp = hub, template_db, tmp_path
    SyncFaults.figures = Counter()
    run_state_machine_as_test(SyncFaults, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))
    figures = SyncFaults.figures
    print(f"\nsync faults: {figures['schedules']} schedules, {figures['faults']} faults injected "
          f"({', '.join(f'{k}: {v}' for k, v in sorted(figures.items()) if k not in ('schedules', 'faults', 'events verified'))}), "
          f"{figures['events verified']} events verified on the hub exactly once")
    assert figures["schedules"] >= 1
