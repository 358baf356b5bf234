"""Sales per product per local day, and the spells each product was out of stock.

Both are kept up to date by `inventory.ledger.post_movements` in the ledger's own
transaction, so the signals (what is not selling, what will run out) read a few dozen rows
per product instead of summing the ledger. A "day" is the shop's local day
(`GERAI_TIMEZONE`, carried by the session): a sale at 23:30 WITA counts on that WITA day.
Days are stored as integers (days since 1970-01-01) so that window arithmetic is the same
plain integer SQL on SQLite and PostgreSQL.

Out-of-stock spells are opened when a level goes from above zero to zero or below and
closed when it comes back; a product that never had stock has no spell, so days before any
recorded stock count as in stock (API.md, `gerai import-sales`).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from gerai.db import Base, UTCDateTime, utcnow
from gerai.fastsql import Prepared
from gerai.numbers import Quantity, to_milli
from inventory.models import StockMovement

EPOCH = date(1970, 1, 1)
SALE_KINDS = ("sale", "refund")
DEFAULT_TIMEZONE = "Asia/Jakarta"
HISTORY_VERSION = "sales_history_version"  # app setting: changes whenever a past day's history does


class DailySales(Base):
    """Net units sold (sales minus refunds), sale lines and Rupiah of one product on one local day."""

    __tablename__ = "daily_sales"
    __table_args__ = (sa.Index("ix_daily_sales_day", "day"),)  # the whole shop's figures for a day or a week

    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # local day, days since 1970-01-01
    qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    lines: Mapped[int] = mapped_column(default=0)  # sale movements: the events the stall test counts
    amount: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class StockOut(Base):
    """A spell with nothing on hand: from the movement that emptied the shelf to the one that refilled it."""

    __tablename__ = "stock_outs"
    __table_args__ = (sa.Index("ix_stock_outs_product_id_started_at", "product_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def day_number(d: date) -> int:
    return (d - EPOCH).days


def day_date(n: int) -> date:
    return EPOCH + timedelta(days=n)


def shop_timezone(session: Session) -> ZoneInfo:
    return ZoneInfo(session.info.get("timezone", DEFAULT_TIMEZONE))


def local_day(at: datetime, tz: ZoneInfo) -> int:
    """The shop's local day number of an aware moment."""
    return day_number(at.astimezone(tz).date())


def day_start(day: int, tz: ZoneInfo) -> datetime:
    """The UTC moment a local day begins."""
    d = day_date(day)
    return datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(timezone.utc)


# One statement per ledger call, whatever its number of lines (the checkout's hot path).
# Without a selling price, the catalog price values the line; rounding half away from zero
# in integer arithmetic (integer division truncates toward zero on both engines).
_UPSERT = sa.text("""
INSERT INTO daily_sales (product_id, day, qty, lines, amount)
VALUES (:pid, :day, :qty, :lines, COALESCE(:amount,
        (SELECT (:qty * p.price + CASE WHEN :qty >= 0 THEN 500 ELSE -500 END) / 1000 FROM products p WHERE p.id = :pid)))
ON CONFLICT (product_id, day) DO UPDATE SET qty = daily_sales.qty + excluded.qty,
    lines = daily_sales.lines + excluded.lines, amount = daily_sales.amount + excluded.amount
""")


def record(session: Session, specs: list, before: dict[int, Decimal], after: dict[int, Decimal], at: datetime) -> None:
    """Called by post_movements: add its sales and refunds to their day; open or close stock-out spells."""
    tz = shop_timezone(session)
    day = None
    rows: dict[int, dict] = {}
    for spec in specs:
        if spec.kind not in SALE_KINDS:
            continue
        if day is None:
            day = local_day(at, tz)
        row = rows.setdefault(spec.product_id, {"pid": spec.product_id, "day": day, "qty": 0, "lines": 0, "amount": 0})
        sold = -to_milli(spec.qty)  # a sale moves stock out (negative), a refund back in
        row["qty"] += sold
        row["lines"] += spec.kind == "sale"
        if row["amount"] is not None and spec.unit_price is not None:
            row["amount"] += _rupiah(sold, spec.unit_price)
        else:
            row["amount"] = None
    if rows:
        _UPSERT_PREPARED.executemany(session.connection(), list(rows.values()))
    spells = _track_stock_outs(session, before, after, at)
    if (rows or spells) and local_day(at, tz) < local_day(utcnow(), tz):
        bump_version(session)  # a past day changed: estimates kept for today are stale


_UPSERT_PREPARED = Prepared(_UPSERT)  # compiled once, run on the driver on SQLite (gerai.fastsql)


def bump_version(session: Session) -> None:
    session.execute(_VERSION, {"key": HISTORY_VERSION, "value": uuid.uuid4().hex, "at": utcnow()})


_VERSION = sa.text("INSERT INTO app_settings (key, value, updated_at) VALUES (:key, :value, :at) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")


def _rupiah(milli: int, unit_price: int) -> int:
    value = milli * unit_price
    return (abs(value) + 500) // 1000 * (1 if value >= 0 else -1)


def _track_stock_outs(session: Session, before: dict[int, Decimal], after: dict[int, Decimal], at: datetime) -> bool:
    emptied = [pid for pid, was in before.items() if was > 0 >= after[pid]]
    refilled = [pid for pid, was in before.items() if was <= 0 < after[pid]]
    table = StockOut.__table__
    if emptied:
        session.execute(sa.insert(table), [{"product_id": pid, "started_at": at} for pid in emptied])
    if refilled:
        session.execute(table.update().where(table.c.product_id.in_(refilled), table.c.ended_at.is_(None))
                        .values(ended_at=at))
    return bool(emptied or refilled)


def daily_totals(session: Session, product_id: int, first_day: int, last_day: int) -> dict[int, tuple[Decimal, int]]:
    """{day: (net qty sold, sale lines)} of one product over [first_day, last_day]."""
    rows = session.execute(sa.select(DailySales.day, DailySales.qty, DailySales.lines).where(
        DailySales.product_id == product_id, DailySales.day.between(first_day, last_day)))
    return {day: (qty, lines) for day, qty, lines in rows}


def unavailable_days(spells: list[tuple[datetime, datetime | None]], tz: ZoneInfo, first_day: int, last_day: int,
                     now: datetime) -> set[int]:
    """Local days in [first_day, last_day] on which the product was out of stock from start to end."""
    out: set[int] = set()
    for started, ended in spells:
        first = local_day(started, tz)
        if day_start(first, tz) < started:
            first += 1  # emptied during the day: that day could still sell
        end = ended or now
        last = local_day(end, tz) - 1  # refilled during that day: it could sell after
        if ended is None:
            last = max(last, local_day(now, tz))  # still out: today too
        out.update(range(max(first, first_day), min(last, last_day) + 1))
    return out


def sales_totals(session: Session, first_day: int, last_day: int) -> tuple[int, int]:
    """(Rupiah, sale lines) of the whole shop over [first_day, last_day]."""
    amount, lines = session.execute(sa.select(sa.func.coalesce(sa.func.sum(DailySales.amount), 0),
                                              sa.func.coalesce(sa.func.sum(DailySales.lines), 0))
                                    .where(DailySales.day.between(first_day, last_day))).one()
    return int(amount), int(lines)


def levels_by_day(session: Session, product_id: int, first_day: int, last_day: int) -> dict[int, Decimal]:
    """On hand at the end of each local day in [first_day, last_day], from the ledger's running balance."""
    tz = shop_timezone(session)
    start = day_start(first_day, tz)
    mv = StockMovement.__table__
    opening = session.scalar(sa.select(mv.c.balance_after).where(mv.c.product_id == product_id, mv.c.at < start)
                             .order_by(mv.c.id.desc()).limit(1)) or Decimal(0)
    closing: dict[int, Decimal] = {}
    for at, balance in session.execute(sa.select(mv.c.at, mv.c.balance_after).where(
            mv.c.product_id == product_id, mv.c.at >= start).order_by(mv.c.id)):
        closing[local_day(at, tz)] = balance
    out, level = {}, opening
    for day in range(first_day, last_day + 1):
        level = closing.get(day, level)
        out[day] = level
    return out
