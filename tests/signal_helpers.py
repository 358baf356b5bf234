"""Synthetic shop histories for the signal tests: receipts and sales on given local days."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from inventory.ledger import MovementSpec, post_movements

JAKARTA = ZoneInfo("Asia/Jakarta")
TODAY = date(2025, 6, 30)
NOW = datetime.combine(TODAY, time(12, 0), tzinfo=JAKARTA).astimezone(timezone.utc)


def local(day: date, hour: int = 10, minute: int = 0, tz=JAKARTA) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(timezone.utc)


def stock_in(session, product, qty, day: date, cost: int = 8000, hour: int = 7) -> None:
    post_movements(session, [MovementSpec(product.id, Decimal(qty), "receipt", cost)], at=local(day, hour),
                   source_type="test", source_id="receipt")


def sell(session, product, qty, day: date, hour: int = 10, lines: int = 1) -> None:
    """`qty` units on `day`, in `lines` equal sale movements."""
    for i in range(lines):
        post_movements(session, [MovementSpec(product.id, -Decimal(qty) / lines, "sale")], at=local(day, hour, i),
                       source_type="test", source_id="sale", sold=True)


def days_before(n: int, end: date = TODAY) -> date:
    return end - timedelta(days=n)


def history(session, product, daily: list, *, end: date = TODAY, opening=None, lines: int = 1) -> None:
    """Opening stock early on the first day (default: all it will sell and 10 more), then `daily[i]` units
    sold on each day up to `end` - 1 (oldest first)."""
    first = end - timedelta(days=len(daily))
    opening = sum(daily) + 10 if opening is None else opening
    if opening:
        stock_in(session, product, opening, first, hour=6)
    for i, qty in enumerate(daily):
        if qty:
            sell(session, product, qty, first + timedelta(days=i), lines=lines)
    session.commit()


# Fixtures for the signal and restock tests (import them into a test module to use them).

@pytest.fixture
def app_session(app):
    """A session on the app's own database (its listeners installed), to build histories for API tests."""
    s = app.extensions["gerai_db"].session()
    yield s
    s.close()


@pytest.fixture
def shop(db):
    """A session on a database with the suppliers listeners installed, as the app factory does."""
    from suppliers import requests

    requests.install(db)
    s = db.session()
    yield s
    s.close()
