"""Two (or four) writers at once never lose an update, and stock never goes below zero.

SQLite lets one writer in at a time (`BEGIN IMMEDIATE`, the others wait on the busy timeout);
PostgreSQL lets them run side by side and serialises them on the stock level's row lock
(`SELECT ... FOR UPDATE` in product order). Every test runs on both, each thread with its own session.
"""
from __future__ import annotations

import random
import threading
import time
from decimal import Decimal

import pytest
import sqlalchemy as sa

import factories as f
from gerai.db import utcnow
from inventory import stock
from inventory.ledger import MovementSpec, ledger_differences, post_movements
from inventory.models import Product, StockLevel
from inventory.rules import InsufficientStock

JOIN_TIMEOUT = 60


def run_together(workers) -> list[BaseException]:
    """Start every callable at the same moment on its own thread; return what they raised."""
    barrier, errors = threading.Barrier(len(workers)), []

    def run(work):
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # noqa: BLE001 (handed back to the test)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a writer never finished (deadlock or lost wake-up?)"
    return errors


def on_hand(db, product) -> Decimal:
    level, _, _ = f.ledger_by_sql(db)[product.id]
    return Decimal(level).scaleb(-3)


@pytest.fixture
def goods(any_db):
    with any_db.session() as s:
        rice = f.product(s, "BRS-5", unit="kg", price=13000)
        lpg = f.product(s, "LPG-3", unit="tabung", category="lpg", price=18000)
    return any_db, rice, lpg


def test_four_writers_receiving_and_writing_off_the_same_products_lose_no_update(goods):
    db, rice, lpg = goods
    with db.session() as s:
        stock.receive_goods(s, "BULOG", "SJ-0", [{"sku": rice.sku, "qty": Decimal("20"), "unit_cost": 12000},
                                                 {"sku": lpg.sku, "qty": Decimal("20"), "unit_cost": 16000}])
    done: list[tuple[str, Decimal]] = []  # (sku, signed qty) of every document the services accepted
    refused: list[int] = []
    lock = threading.Lock()

    def writer(seed: int):
        rng = random.Random(seed)

        def work():
            for _ in range(15):
                sku, unit_step = rng.choice(((rice.sku, Decimal("0.25")), (lpg.sku, Decimal(1))))
                qty = unit_step * rng.randint(1, 12)
                session = db.session()
                try:
                    if rng.random() < 0.4:
                        stock.receive_goods(session, "BULOG", f"SJ-{seed}", [{"sku": sku, "qty": qty, "unit_cost": 100}])
                        signed = qty
                    else:
                        stock.write_off(session, "damaged", [{"sku": sku, "qty": qty}])
                        signed = -qty
                except InsufficientStock:
                    with lock:
                        refused.append(seed)
                    continue
                finally:
                    session.close()
                with lock:
                    done.append((sku, signed))

        return work

    assert run_together([writer(seed) for seed in range(4)]) == []
    for product in (rice, lpg):
        expected = Decimal(20) + sum(q for sku, q in done if sku == product.sku)
        assert on_hand(db, product) == expected
    f.assert_ledger_sound(db)  # level == sum(movements), no balance_after below zero
    with db.read_session() as s:
        assert ledger_differences(s) == []
    assert len(done) + len(refused) == 60
    movements = sum(1 for _ in done) + 2
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM stock_movements").scalar() == movements


@pytest.mark.parametrize("writers", [2, 4])
def test_a_race_to_write_off_the_last_units_has_exactly_one_winner(goods, writers):
    db, _, lpg = goods
    for round_no in range(3):
        with db.session() as s:
            f.receive(s, lpg.sku, 3)
        wins, losses = [], []

        def work():
            session = db.session()
            try:
                stock.write_off(session, "lost", [{"sku": lpg.sku, "qty": Decimal(3)}])
                wins.append(1)
            except InsufficientStock:
                losses.append(1)
            finally:
                session.close()

        assert run_together([work] * writers) == []
        assert (len(wins), len(losses)) == (1, writers - 1), f"round {round_no}"
        assert on_hand(db, lpg) == 0
    f.assert_ledger_sound(db)


def test_a_second_writer_waits_for_the_first_and_then_sees_its_change(goods):
    """Deterministic: the first transaction holds the level (SQLite: the write lock; PostgreSQL: the row)
    with its write-off posted but not committed; a second write-off of the same units must wait, then
    find them gone. Without the lock both would succeed and the level would end at 0 while the
    movements sum to -3: a lost update."""
    db, _, lpg = goods
    with db.session() as s:
        f.receive(s, lpg.sku, 3)
    first = db.session()
    outcome: list[object] = []
    calling = threading.Event()

    def second():
        session = db.session()
        try:
            calling.set()
            stock.write_off(session, "damaged", [{"sku": lpg.sku, "qty": Decimal(3)}])
            outcome.append("written off")
        except BaseException as exc:  # noqa: BLE001
            outcome.append(exc)
        finally:
            session.close()

    thread = threading.Thread(target=second)
    try:
        post_movements(first, [MovementSpec(lpg.id, Decimal(-3), "write_off")], at=utcnow(), source_type="test",
                       source_id="first")
        thread.start()
        assert calling.wait(JOIN_TIMEOUT)
        time.sleep(0.5)  # a write-off takes milliseconds: still running now means waiting for the lock
        assert thread.is_alive(), f"the second writer did not wait: {outcome}"
        first.commit()
    finally:
        first.close()
        thread.join(JOIN_TIMEOUT)
    assert len(outcome) == 1 and isinstance(outcome[0], InsufficientStock), outcome
    assert on_hand(db, lpg) == 0
    f.assert_ledger_sound(db)


def add_shelf_of_products(db, n: int) -> None:
    """`n` more products with empty levels, written in bulk (a shop's catalog, for the table's shape)."""
    now = utcnow()
    with db.session() as s:
        ids = s.scalars(sa.insert(Product).returning(Product.id, sort_by_parameter_order=True), [
            {"sku": f"FILL-{i}", "name": f"Barang {i}", "category": "lainnya", "unit": "pcs", "price": 1000,
             "subsidised": False, "taxable": False, "active": True, "created_at": now, "updated_at": now}
            for i in range(n)]).all()
        s.execute(sa.insert(StockLevel), [{"product_id": pid, "on_hand": Decimal(0), "updated_at": now} for pid in ids])
        s.commit()


def test_a_count_and_a_receipt_over_the_same_products_never_deadlock(goods):
    """A count locks its products' levels, as every ledger write does, in product order. Here the first
    transaction holds rice (the lower id) and will next take LPG; a count of both must queue behind it
    rather than grab LPG first. With a few hundred products on the shelf, rice's updated level row no
    longer fits its page and moves to the end of the table, so PostgreSQL's scan meets LPG before rice:
    a count that locked in scan order would hold LPG and wait for rice, a deadlock."""
    db, rice, lpg = goods
    assert rice.id < lpg.id
    add_shelf_of_products(db, 400)
    with db.session() as s:
        f.receive(s, rice.sku, 5)
    first = db.session()
    outcome: list[object] = []
    calling = threading.Event()

    def count():
        session = db.session()
        try:
            calling.set()
            stock.count_stock(session, [{"sku": lpg.sku, "counted": Decimal(4)},
                                        {"sku": rice.sku, "counted": Decimal(10)}])
            outcome.append("counted")
        except BaseException as exc:  # noqa: BLE001
            outcome.append(exc)
        finally:
            session.close()

    thread = threading.Thread(target=count)
    try:
        post_movements(first, [MovementSpec(rice.id, Decimal(2), "receipt")], at=utcnow(), source_type="test",
                       source_id="first")
        thread.start()
        assert calling.wait(JOIN_TIMEOUT)
        time.sleep(0.5)  # the count takes what locks it can, then waits
        assert thread.is_alive(), outcome
        post_movements(first, [MovementSpec(lpg.id, Decimal(2), "receipt")], at=utcnow(), source_type="test",
                       source_id="first")
        first.commit()
    finally:
        first.close()
        thread.join(JOIN_TIMEOUT)
    assert outcome == ["counted"]
    assert (on_hand(db, rice), on_hand(db, lpg)) == (10, 4)  # the count came last and set both
    f.assert_ledger_sound(db)
