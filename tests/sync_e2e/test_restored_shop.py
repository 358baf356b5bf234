"""Issue 6 item 4: a shop restored from an older backup re-syncs with the hub without doubling anything.

backup -> sell -> sync -> restore -> sell -> sync. The sales made between the backup and the restore
happened (the goods left the shop, the money was taken): the hub keeps them, though the restored shop
no longer has them. The restored shop's receipt counter is back where the backup left it, so its new
sales reuse receipt numbers the lost sales had: the hub then shows TWO sales under such a number, with
different sale ids and times (hub_sales is keyed by the sale's UUID, never by its number), each once.
The shop's new events first collide with numbers the hub holds (409 sequence_conflict) and are
renumbered to follow the hub's; the events the backup still held and the hub already had are
recognised by id and not applied again.
"""
from __future__ import annotations

import random
from collections import Counter

import pytest

from e2e import Shop, assert_agree, shop_facts

pytestmark = pytest.mark.postgres


def test_backup_sell_sync_restore_sell_sync(hub, app, issued_api, tmp_path):
    hub.start()
    token = hub.add_outlet("KDMP-0100")
    shop = Shop(app, issued_api)
    rng = random.Random(11)
    for _ in range(3):
        shop.sell(rng, ["BERAS", "GULA"])
    shop.sync(hub.url, token, "KDMP-0100")
    shop.backup(tmp_path / "before.db")
    lost = [shop.sell(rng, ["BERAS", "GULA"])["number"] for _ in range(4)]
    shop.receive({"MINYAK": 40}, "SJ-LOST")  # only the lost work touched MINYAK
    shop.sync(hub.url, token, "KDMP-0100")
    assert_agree(shop.db, hub, "KDMP-0100")
    on_hub_before = hub.facts("KDMP-0100")

    shop.restore(tmp_path / "before.db")
    assert len(shop_facts(shop.db)["sales"]) == 3
    new = [shop.sell(rng, ["BERAS", "GULA"])["number"] for _ in range(2)]
    assert new == lost[:2]  # the restored counter hands out the lost sales' numbers again
    result = shop.sync(hub.url, token, "KDMP-0100")
    assert result.renumbered > 0

    assert_agree(shop.db, hub, "KDMP-0100", shop_lost=True)  # hub_stock included: MINYAK as the shop has it
    there = hub.facts("KDMP-0100")
    assert set(on_hub_before["sales"]) <= set(there["sales"])  # the lost sales stay: they happened
    assert len(there["sales"]) == 3 + 4 + 2
    numbers = Counter(number for _sid, number, _total in there["sales"])
    assert {n: c for n, c in numbers.items() if c > 1} == {n: 2 for n in new}
    assert set(on_hub_before["events"]) <= set(there["events"])  # nothing the hub had was dropped or moved
    # and later work follows on without conflicts
    shop.sell(rng)
    assert shop.sync(hub.url, token, "KDMP-0100").renumbered == 0
    assert_agree(shop.db, hub, "KDMP-0100", shop_lost=True)


def test_a_restored_shop_with_no_new_work_still_puts_the_hubs_stock_right(hub, app, issued_api, tmp_path):
    """Restored and synced before selling anything: nothing to push past the backup's events, yet the
    hub answers more than the shop holds; the shop renumbers and sends its levels ("resync" movements)."""
    hub.start()
    token = hub.add_outlet("KDMP-0101")
    shop = Shop(app, issued_api)
    shop.sync(hub.url, token, "KDMP-0101")
    shop.backup(tmp_path / "before.db")
    shop.receive({"MINYAK": 25}, "SJ-LOST")
    shop.sell(random.Random(3), ["GULA"])
    shop.sync(hub.url, token, "KDMP-0101")
    shop.restore(tmp_path / "before.db")
    result = shop.sync(hub.url, token, "KDMP-0101")
    assert result.renumbered == 3  # one "resync" movement per product
    assert_agree(shop.db, hub, "KDMP-0101", shop_lost=True)
    assert shop.sync(hub.url, token, "KDMP-0101").pushed == 0
