"""The outbox: an event exactly when its change was committed, seq gapless and in order.

On SQLite (threads sharing the one write lock) and PostgreSQL (the sync_state row locked);
a hypothesis property over random shop work: one movement event per stock_movements row.
"""
from __future__ import annotations

import json
import threading
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import factories as f
from gerai import outbox
from gerai.db import utcnow
from gerai.errors import DomainError
from inventory import stock
from pos import refunds
from pos_helpers import make_shop, open_shifts_for, sale_in, sell
from suppliers import requests


def events(db) -> list[dict]:
    with db.read_session() as s:
        rows = s.execute(sa.select(outbox.OUTBOX).order_by(outbox.OUTBOX.c.seq)).all()
    return [{"seq": r.seq, "id": r.id, "type": r.type, "at": r.at, "data": json.loads(r.data)} for r in rows]


def movement_ids(db) -> list[int]:
    with db.read_session() as s:
        return list(s.scalars(sa.text("SELECT id FROM stock_movements ORDER BY id")))


def assert_outbox_sound(db) -> list[dict]:
    """Seq 1..N without a gap, ids unique, one movement event per ledger row naming it."""
    evs = events(db)
    assert [e["seq"] for e in evs] == list(range(1, len(evs) + 1))
    assert len({e["id"] for e in evs}) == len(evs)
    moved = [e["data"]["movement_id"] for e in evs if e["type"] == "movement"]
    assert sorted(moved) == movement_ids(db)
    assert len(moved) == len(set(moved))
    return evs


def test_a_sale_emits_its_movements_and_itself_in_its_transaction(db):
    shop = open_shifts_for(make_shop(db, stock=20))
    before = len(events(db))
    out = sell(db, shop.cashier, sale_in([("GULA-1KG", 2), ("BERAS-KG", "1.250")]))
    new = events(db)[before:]
    assert [e["type"] for e in new] == ["movement", "movement", "sale"]
    gula, beras, sale = (e["data"] for e in new)
    assert gula == {"movement_id": gula["movement_id"], "sku": "GULA-1KG", "name": "Gula pasir 1 kg", "unit": "pcs",
                    "kind": "sale", "qty": "-2.000", "balance_after": "18.000", "at": new[0]["at"].isoformat(),
                    "source_type": "sale", "source_id": out.sale.id}
    assert beras["qty"] == "-1.250" and beras["unit"] == "kg"
    assert sale["sale_id"] == out.sale.id and sale["number"] == out.sale.number
    assert sale["total"] == 36000 + 16250 and sale["paid"] == 1_000_000 and sale["cashier"] == "t-kasir"
    assert sale["lines"] == [{"sku": "GULA-1KG", "qty": "2.000", "unit_price": 18000, "amount": 36000},
                             {"sku": "BERAS-KG", "qty": "1.250", "unit_price": 13000, "amount": 16250}]
    assert sale["payments"] == [{"method": "cash", "amount": 1_000_000}]
    assert "nik" not in json.dumps(sale).lower()
    assert_outbox_sound(db)


def test_a_refused_sale_leaves_no_event_and_no_gap(db):
    shop = open_shifts_for(make_shop(db, stock=5))
    before = events(db)
    with pytest.raises(DomainError):  # the second line takes more than is on hand: the whole sale is refused
        sell(db, shop.cashier, sale_in([("GULA-1KG", 1), ("BERAS-KG", 6)]))
    assert events(db) == before
    sell(db, shop.cashier, sale_in([("GULA-1KG", 1)]))
    assert_outbox_sound(db)


def test_a_retried_sale_emits_nothing_more(db):
    shop = open_shifts_for(make_shop(db, stock=5))
    sale = sale_in([("GULA-1KG", 1)])
    sell(db, shop.cashier, sale)
    count = len(events(db))
    assert sell(db, shop.cashier, sale).created is False
    assert len(events(db)) == count


def test_refund_and_restock_request_changes_are_events(db):
    shop = open_shifts_for(make_shop(db, stock=5))
    requests.install(db)
    out = sell(db, shop.cashier, sale_in([("GULA-1KG", 2)]))
    with db.session() as s:
        refunds.refund_sale(s, out.sale.id, refunds.RefundIn(str(uuid.uuid4()), "rusak", (("GULA-1KG", Decimal(1)),)),
                            shop.manager, fingerprint="x" * 64)
    refund = [e for e in events(db) if e["type"] == "refund"][-1]["data"]
    assert refund["sale_id"] == out.sale.id and refund["total"] == 18000
    assert refund["lines"] == [{"sku": "GULA-1KG", "qty": "1.000", "amount": 18000}]

    rid = str(uuid.uuid4())
    with db.session() as s:
        requests.create_request(s, rid, "BULOG", [{"sku": "GULA-1KG", "qty": Decimal(10)}])
    with db.session() as s:
        requests.dispatch_request(s, rid, [{"sku": "GULA-1KG", "qty": Decimal(8)}])
    with db.session() as s:
        stock.receive_goods(s, "BULOG", "SJ-1", [{"sku": "GULA-1KG", "qty": Decimal(8), "unit_cost": 1000}],
                            restock_request_id=rid)
    snaps = [e["data"] for e in events(db) if e["type"] == "restock_request" and e["data"]["request_id"] == rid]
    assert [s["status"] for s in snaps] == ["submitted", "dispatched", "partially_received"]
    assert snaps[-1]["lines"] == [{"sku": "GULA-1KG", "name": "Gula pasir 1 kg", "unit": "pcs", "qty": "10.000",
                                   "dispatched_qty": "8.000", "received_qty": "8.000"}]
    assert snaps[0]["supplier"] == "BULOG" and snaps[0]["auto"] is False
    assert_outbox_sound(db)


def test_a_draft_is_the_shops_own_until_submitted(db):
    make_shop(db, stock=5)
    rid = str(uuid.uuid4())
    with db.session() as s:
        requests.create_request(s, rid, "BULOG", [{"sku": "GULA-1KG", "qty": Decimal(3)}], draft=True)
    assert not [e for e in events(db) if e["type"] == "restock_request"]
    with db.session() as s:
        requests.submit_request(s, rid)
    assert [e["data"]["status"] for e in events(db) if e["type"] == "restock_request"] == ["submitted"]


def test_product_changes_are_events(db):
    with db.session() as s:
        f.product(s, "TEH-1", name="Teh celup", price=5000)
    with db.session() as s:
        from inventory import catalog

        catalog.update_product(s, "TEH-1", {"price": 4500})
    prods = [e["data"] for e in events(db) if e["type"] == "product"]
    assert [(p["sku"], p["price"]) for p in prods] == [("TEH-1", 5000), ("TEH-1", 4500)]


# --- seq under concurrent writers -------------------------------------------------------------

def test_seq_is_gapless_under_concurrent_writers(any_db):
    db = any_db
    with db.session() as s:
        for i in range(4):
            f.product(s, f"CC-{i}", barcodes=[])
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for j in range(6):
                with db.session() as s:
                    if j % 3 == 2:  # some refused: a write-off of more than is on hand rolls back
                        with pytest.raises(DomainError):
                            stock.write_off(s, "damaged", [{"sku": f"CC-{n}", "qty": Decimal(10**6)}])
                    else:
                        stock.receive_goods(s, "BULOG", f"SJ-{n}-{j}", [{"sku": f"CC-{n}", "qty": Decimal(1),
                                                                         "unit_cost": 100},
                                                                        {"sku": f"CC-{(n + 1) % 4}", "qty": Decimal(2),
                                                                         "unit_cost": 100}])
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    evs = assert_outbox_sound(db)
    assert len([e for e in evs if e["type"] == "movement"]) == 4 * 4 * 2


def test_emit_many_on_each_engine_and_renumbering_keeps_order(any_db):
    db = any_db
    with db.session() as s:
        at = utcnow()
        seqs = outbox.emit_many(s, [("x", {"n": i}) for i in range(5)], at)
        s.commit()
    assert seqs == [1, 2, 3, 4, 5]
    with db.session() as s:
        conn = s.connection()
        outbox.lock(conn)
        assert outbox.renumber_after(conn, 2, 40) == 3  # seq 3, 4, 5 -> 41, 42, 43
        s.commit()
    evs = events(db)
    assert [(e["seq"], e["data"]["n"]) for e in evs] == [(1, 0), (2, 1), (41, 2), (42, 3), (43, 4)]
    with db.session() as s:
        assert outbox.emit(s, "x", {"n": 5}, at) == 44
        s.commit()


# --- the property -------------------------------------------------------------------------------

SKUS = ("GULA-1KG", "BERAS-KG")
qty = st.integers(min_value=1, max_value=8).map(Decimal)
work = st.one_of(
    st.tuples(st.just("sale"), st.sampled_from(SKUS), qty),
    st.tuples(st.just("receipt"), st.sampled_from(SKUS), qty),
    st.tuples(st.just("count"), st.sampled_from(SKUS), st.integers(min_value=0, max_value=12).map(Decimal)),
    st.tuples(st.just("write_off"), st.sampled_from(SKUS), qty),
    st.tuples(st.just("request"), st.sampled_from(SKUS), qty),
    st.tuples(st.just("refund"), st.sampled_from(SKUS), qty),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(work, min_size=1, max_size=12))
def test_any_shop_work_gives_one_movement_event_per_ledger_row(tmp_path_factory, template_db, steps):
    """Sales (some refused for stock), receipts (some against a request), counts, write-offs (some
    refused), refunds and requests: the outbox always holds one movement event per ledger row and
    seq 1..N, whatever was refused."""
    import shutil

    from gerai.db import Database

    path = tmp_path_factory.mktemp("prop") / "gerai.db"
    shutil.copy(template_db, path)
    db = Database(f"sqlite:///{path}")
    try:
        shop = open_shifts_for(make_shop(db, stock=5))
        requests.install(db)
        sold: list[str] = []
        open_request: str | None = None
        for kind, sku, n in steps:
            try:
                with db.session() as s:
                    if kind == "sale":
                        sold.append(sell(db, shop.cashier, sale_in([(sku, n)])).sale.id)
                    elif kind == "receipt":
                        stock.receive_goods(s, "BULOG", "SJ", [{"sku": sku, "qty": n, "unit_cost": 900}],
                                            restock_request_id=open_request)
                        open_request = None
                    elif kind == "count":
                        stock.count_stock(s, [{"sku": sku, "counted": n}])
                    elif kind == "write_off":
                        stock.write_off(s, "damaged", [{"sku": sku, "qty": n}])
                    elif kind == "request":
                        open_request = str(uuid.uuid4())
                        requests.create_request(s, open_request, "BULOG", [{"sku": sku, "qty": n}])
                    elif kind == "refund" and sold:
                        refunds.refund_sale(s, sold[-1], refunds.RefundIn(str(uuid.uuid4()), "kembali", ((sku, n),)), shop.manager,
                                            fingerprint=uuid.uuid4().hex)
            except DomainError:
                pass
        assert_outbox_sound(db)
    finally:
        db.dispose()

