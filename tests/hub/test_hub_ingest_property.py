"""Whatever the link does (batches repeated, reordered, cut short, split anywhere), every event of a
shop ends on the hub exactly once, and the hub's answer is always what the protocol says."""
from __future__ import annotations

import itertools
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from hub_helpers import movement, push, register, sale
from suppliers.hub.models import HubEvent, HubMovement, HubOutlet, HubSale, HubSalesDaily, HubStock

_codes = itertools.count(1)


def shop_events(n: int) -> list[dict]:
    events, balance = [], Decimal(100)
    for seq in range(1, n + 1):
        if seq % 3 == 0:
            events.append(sale(seq, total=1000 * seq))
        else:
            balance -= 1
            events.append(movement(seq, sku=f"SKU-{seq % 2}", balance=f"{balance}.000"))
    return events


batches = st.lists(st.tuples(st.integers(0, 29), st.integers(1, 12), st.booleans(), st.booleans()), max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 30), schedule=batches, data=st.data())
def test_every_event_lands_exactly_once(hub, n, schedule, data):
    db, client = hub.extensions["gerai_db"], hub.test_client()
    code = f"P{next(_codes)}"
    token = register(db, code)
    events = shop_events(n)
    accepted = 0  # the model of the hub
    for start, size, shuffle, doubled in schedule:
        batch = events[start % n:start % n + size]
        if doubled:
            batch = batch + batch[:2]
        if shuffle:
            batch = data.draw(st.permutations(batch))
        res = push(client, token, code, batch)
        assert res.status_code == 200, res.get_json()
        for seq in sorted({e["seq"] for e in batch}):
            if seq == accepted + 1:
                accepted = seq
            elif seq > accepted + 1:
                break
        assert res.get_json() == {"accepted_through": accepted}
    # the shop always resends from accepted_through + 1 until the hub has everything
    while accepted < n:
        res = push(client, token, code, events[accepted:accepted + 7])
        accepted = res.get_json()["accepted_through"]
    with db.read_session() as s:
        oid = s.scalar(sa.select(HubOutlet.id).where(HubOutlet.code == code))
        stored = s.scalars(sa.select(HubEvent.event_id).where(HubEvent.outlet_id == oid).order_by(HubEvent.seq)).all()
        assert stored == [e["id"] for e in events]
        moves = [e for e in events if e["type"] == "movement"]
        assert sorted(s.scalars(sa.select(HubMovement.event_id).where(HubMovement.outlet_id == oid))) == \
            sorted(e["id"] for e in moves)
        sales = [e for e in events if e["type"] == "sale"]
        assert s.scalar(sa.select(sa.func.count()).select_from(HubSale).where(HubSale.outlet_id == oid)) == len(sales)
        daily = s.execute(sa.select(sa.func.sum(HubSalesDaily.sales_count), sa.func.sum(HubSalesDaily.total))
                          .where(HubSalesDaily.outlet_id == oid)).one()
        assert (daily[0] or 0, daily[1] or 0) == (len(sales), sum(e["data"]["total"] for e in sales))
        last = {}
        for e in moves:
            last[e["data"]["sku"]] = Decimal(e["data"]["balance_after"])
        assert dict(s.execute(sa.select(HubStock.sku, HubStock.on_hand).where(HubStock.outlet_id == oid)).all()) == last
