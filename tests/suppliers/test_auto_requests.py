"""Automatic restock requests when a movement takes a product across its reorder point (if enabled)."""
from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa

import factories as f
from inventory.ledger import MovementSpec, post_movements
from signal_helpers import JAKARTA, history
from suppliers import auto
from suppliers.models import RestockRequest
from signal_helpers import shop  # noqa: F401 (fixtures)


def today():
    return datetime.now(JAKARTA).date()


def sell_now(session, product, qty):
    post_movements(session, [MovementSpec(product.id, Decimal(-qty), "sale")], at=datetime.now(timezone.utc),
                   source_type="test", source_id="now", sold=True)
    session.commit()


def requests_of(session):
    session.expire_all()
    return session.scalars(sa.select(RestockRequest)).all()


def test_crossing_the_reorder_point_raises_one_submitted_auto_request_when_enabled(shop):
    p = f.product(shop)
    history(shop, p, [10] * 56, end=today(), opening=560 + 35)  # 35 left, reorder point 30
    auto.set_auto(shop, True)
    sell_now(shop, p, 4)  # 31: still above
    assert requests_of(shop) == []
    sell_now(shop, p, 3)  # 28: crossed
    [req] = requests_of(shop)
    assert (req.status, req.auto, req.supplier_code) == ("submitted", True, "BULOG")
    assert req.note.startswith("Permintaan otomatis") and p.sku in req.note
    assert [(ln.product_id, ln.qty) for ln in req.lines] == [(p.id, Decimal(100 - 28))]
    sell_now(shop, p, 3)  # further down, but the request is on order: no second one
    assert len(requests_of(shop)) == 1


def test_nothing_is_raised_while_the_setting_is_off(shop):
    p = f.product(shop)
    history(shop, p, [10] * 56, end=today(), opening=560 + 35)
    assert not auto.auto_enabled(shop)
    sell_now(shop, p, 10)
    assert requests_of(shop) == []
