"""Receipts, counts and write-offs through the services, on a real SQLite database."""
from decimal import Decimal

import pytest
import sqlalchemy as sa

import factories as f
from gerai.errors import Invalid
from inventory import stock
from inventory.ledger import ledger_differences
from inventory.models import StockLevel, StockMovement
from inventory.rules import InsufficientStock


def on_hand(session, product) -> Decimal:
    session.expire_all()
    return session.get(StockLevel, product.id).on_hand


def test_receipt_raises_level_and_writes_one_movement_per_line(session):
    p = f.product(session, unit="kg", price=13000)
    doc = stock.receive_goods(session, "BULOG", "SJ-7", [{"sku": p.sku, "qty": Decimal("25.5"), "unit_cost": 11800},
                                                          {"sku": p.sku, "qty": Decimal("4.5"), "unit_cost": 12100}])
    assert on_hand(session, p) == Decimal("30.000")
    moves = session.scalars(sa.select(StockMovement).order_by(StockMovement.id)).all()
    assert [(m.kind, m.qty, m.balance_after) for m in moves] == [("receipt", Decimal("25.5"), Decimal("25.5")),
                                                                 ("receipt", Decimal("4.5"), Decimal("30"))]
    assert all(m.source_id == str(doc.id) for m in moves)
    # moving average: (25.5 x 11800 + 4.5 x 12100) / 30 = 11845
    assert session.get(StockLevel, p.id).avg_cost == 11845
    assert ledger_differences(session) == []


def test_count_writes_adjustment_only_where_the_count_differs(session):
    a, b = f.product(session), f.product(session)
    f.receive(session, a.sku, 10)
    f.receive(session, b.sku, 5)
    doc = stock.count_stock(session, [{"sku": a.sku, "counted": Decimal(8)}, {"sku": b.sku, "counted": Decimal(5)}],
                            note="opname bulanan")
    assert on_hand(session, a) == 8 and on_hand(session, b) == 5
    adjustments = session.scalars(sa.select(StockMovement).where(StockMovement.kind == "adjustment")).all()
    assert [(m.product_id, m.qty) for m in adjustments] == [(a.id, Decimal(-2))]
    assert {(ln.product_id, ln.expected, ln.qty) for ln in doc.lines} == {(a.id, 10, 8), (b.id, 5, 5)}


def test_write_off_more_than_on_hand_is_refused_and_changes_nothing(session):
    p = f.product(session)
    f.receive(session, p.sku, 3)
    before = session.scalar(sa.select(sa.func.count()).select_from(StockMovement))
    with pytest.raises(InsufficientStock) as err:
        stock.write_off(session, "damaged", [{"sku": p.sku, "qty": Decimal(4)}])
    assert err.value.field == "lines.0.qty"
    assert on_hand(session, p) == 3
    assert session.scalar(sa.select(sa.func.count()).select_from(StockMovement)) == before


def test_whole_units_cannot_move_in_fractions(session):
    p = f.product(session, unit="tabung", category="lpg")
    with pytest.raises(Invalid) as err:
        f.receive(session, p.sku, "1.5")
    assert err.value.field == "lines.0.qty"
    assert on_hand(session, p) == 0
