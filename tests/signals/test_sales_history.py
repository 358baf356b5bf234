"""The daily sales history kept by the ledger: local days, refunds, stock-out spells, and its invariant."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

import factories as f
from gerai.db import Database
from inventory import signals
from inventory.ledger import MovementSpec, post_movements
from inventory.models import StockMovement
from inventory.sales_history import DailySales, StockOut, day_date, day_number

WITA = ZoneInfo("Asia/Makassar")


def rows(session, product):
    session.expire_all()
    return {(day_date(r.day), r.qty, r.lines, r.amount)
            for r in session.scalars(sa.select(DailySales).where(DailySales.product_id == product.id))}


@pytest.fixture
def wita_session(settings):
    db = Database(settings.database_url, timezone="Asia/Makassar")
    s = db.session()
    yield s
    s.close()
    db.dispose()


def test_a_sale_at_23_30_wita_counts_on_that_wita_day(wita_session):
    s = wita_session
    p = f.product(s, price=10000)
    f.receive(s, p.sku, 10)
    late = datetime(2025, 3, 10, 23, 30, tzinfo=WITA)  # 15:30 UTC, and already 00:30 on the 11th in WIT
    just_after = datetime(2025, 3, 11, 0, 30, tzinfo=WITA)  # 16:30 UTC on the 10th
    for at in (late, just_after):
        post_movements(s, [MovementSpec(p.id, Decimal(-1), "sale")], at=at.astimezone(timezone.utc),
                       source_type="test", source_id="x", sold=True)
    s.commit()
    assert rows(s, p) == {(date(2025, 3, 10), 1, 1, 10000), (date(2025, 3, 11), 1, 1, 10000)}


def test_with_a_frozen_clock_just_after_midnight_wita_yesterday_is_complete(wita_session):
    s = wita_session
    p = f.product(s)
    f.receive(s, p.sku, 100)
    post_movements(s, [MovementSpec(p.id, Decimal(-3), "sale")], at=datetime(2025, 3, 10, 23, 30, tzinfo=WITA),
                   source_type="test", source_id="x", sold=True)
    s.commit()
    now = datetime(2025, 3, 11, 0, 5, tzinfo=WITA).astimezone(timezone.utc)
    sig = next(x for x in signals.compute(s, now=now) if x.sku == p.sku)
    assert sig.last_sale_day == date(2025, 3, 10)
    assert sig.days_since_sale == 1 and sig.silent_days == 0


def test_refunds_reduce_the_day_they_are_made_and_the_selling_price_is_kept(session):
    p = f.product(session, price=12000)
    f.receive(session, p.sku, 10)
    at = datetime(2025, 5, 2, 3, 0, tzinfo=timezone.utc)
    post_movements(session, [MovementSpec(p.id, Decimal(-2), "sale", unit_price=11000),
                             MovementSpec(p.id, Decimal(-1), "sale", unit_price=11000)], at=at, source_type="t",
                   source_id="s", sold=True)
    post_movements(session, [MovementSpec(p.id, Decimal(1), "refund")], at=at + timedelta(hours=2), source_type="t",
                   source_id="r")
    session.commit()
    assert rows(session, p) == {(date(2025, 5, 2), 2, 2, 33000 - 12000)}


def test_stock_out_spells_open_when_the_shelf_empties_and_close_when_it_is_refilled(session):
    p = f.product(session)
    f.receive(session, p.sku, 2)
    t0 = datetime(2025, 5, 2, 3, 0, tzinfo=timezone.utc)
    post_movements(session, [MovementSpec(p.id, Decimal(-2), "sale")], at=t0, source_type="t", source_id="s", sold=True)
    session.commit()
    spell = session.scalar(sa.select(StockOut))
    assert (spell.product_id, spell.started_at, spell.ended_at) == (p.id, t0, None)
    t1 = t0 + timedelta(days=3)
    post_movements(session, [MovementSpec(p.id, Decimal(5), "receipt", 1000)], at=t1, source_type="t", source_id="r")
    session.commit()
    session.expire_all()
    assert session.scalar(sa.select(StockOut)).ended_at == t1


def test_the_history_is_kept_on_postgresql_too(pg_db):
    s = pg_db.session()
    try:
        p = f.product(s, price=5000)
        f.receive(s, p.sku, 10)
        at = datetime(2025, 5, 2, 18, 0, tzinfo=timezone.utc)  # 01:00 on the 3rd in Jakarta
        for _ in range(2):
            post_movements(s, [MovementSpec(p.id, Decimal(-1), "sale")], at=at,
                           source_type="t", source_id="s", sold=True)
        post_movements(s, [MovementSpec(p.id, Decimal(1), "refund", unit_price=4000)], at=at, source_type="t",
                       source_id="r")
        s.commit()
        assert rows(s, p) == {(date(2025, 5, 3), 1, 2, 10000 - 4000)}
    finally:
        s.close()


moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2025, 1, 20),
                       timezones=st.just(timezone.utc))
operations = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["sale", "refund", "receipt"]),
                                st.integers(1, 5), moments), min_size=1, max_size=30)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, zone=st.sampled_from(["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]))
def test_daily_history_sums_equal_the_ledger_s_sales_and_refunds(settings, ops, zone):
    db = Database(settings.database_url, timezone=zone)
    s = db.session()
    try:
        products = [f.product(s) for _ in range(3)]
        for p in products:
            f.receive(s, p.sku, 1000)
        for index, kind, qty, at in ops:
            sign = -1 if kind == "sale" else 1
            post_movements(s, [MovementSpec(products[index].id, Decimal(sign * qty), kind, 100)], at=at,
                           source_type="t", source_id="x", sold=kind == "sale")
        s.commit()
        tz = ZoneInfo(zone)
        for p in products:
            ledger = s.execute(sa.select(StockMovement.at, StockMovement.qty, StockMovement.kind).where(
                StockMovement.product_id == p.id, StockMovement.kind.in_(("sale", "refund")))).all()
            expected: dict[int, list] = {}
            for at, qty, kind in ledger:
                day = expected.setdefault(day_number(at.astimezone(tz).date()), [Decimal(0), 0])
                day[0] -= qty
                day[1] += kind == "sale"
            kept = {r.day: [r.qty, r.lines] for r in s.scalars(sa.select(DailySales).where(DailySales.product_id == p.id))}
            assert kept == expected
    finally:
        s.close()
        db.dispose()
