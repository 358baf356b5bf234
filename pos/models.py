"""The till's tables: shifts, sales (lines, payments), refunds, quota records, members, counters.

Money is whole Rupiah (BIGINT); quantities are `Quantity` (BIGINT thousandths). A sale's id is
the client's UUID (a retry is recognised by it) and its `number` is the gapless receipt number
drawn from `pos_counters` in the same transaction. The buyer's NIK is never stored: only its
keyed hash (to count quotas) and its last 4 digits (for the receipt).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gerai.db import Base, UTCDateTime, utcnow
from gerai.numbers import Quantity

PAYMENT_METHODS = ("cash", "qris", "transfer")
BUYER_CATEGORIES = ("rumah_tangga", "usaha_mikro", "petani", "nelayan")
UUID_LEN = 36
NIK_HASH_LEN = 64  # HMAC-SHA256, hex


class Counter(Base):
    """A gapless sequence (receipt numbers): incremented under a row lock inside the document's transaction."""

    __tablename__ = "pos_counters"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)


class Shift(Base):
    """A cashier's session at the till, with running totals the Z report closes on."""

    __tablename__ = "shifts"
    __table_args__ = (
        sa.CheckConstraint("opening_cash >= 0", name="opening_cash_not_negative"),
        sa.CheckConstraint("counted_cash IS NULL OR counted_cash >= 0", name="counted_cash_not_negative"),
        sa.CheckConstraint("(closed_at IS NULL AND counted_cash IS NULL AND expected_cash IS NULL) OR "
                           "(closed_at IS NOT NULL AND counted_cash IS NOT NULL AND expected_cash IS NOT NULL)",
                           name="closed_with_count"),
        sa.CheckConstraint("sales_count >= 0 AND refunds_count >= 0", name="counts_not_negative"),
        # one open shift per cashier, enforced by the database as well as by the service
        sa.Index("uq_shifts_open_cashier", "cashier_id", unique=True,
                 sqlite_where=sa.text("closed_at IS NULL"), postgresql_where=sa.text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cashier_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    opening_cash: Mapped[int] = mapped_column(sa.BigInteger)
    counted_cash: Mapped[int | None] = mapped_column(sa.BigInteger)
    expected_cash: Mapped[int | None] = mapped_column(sa.BigInteger)
    sales_count: Mapped[int] = mapped_column(default=0)
    sales_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cash_in: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # cash taken by sales, change deducted
    refunds_count: Mapped[int] = mapped_column(default=0)
    refunds_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cash_out: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # cash paid back by refunds


class Member(Base):
    """A cooperative member: purchases per year feed the SHU (patronage dividend)."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_no: Mapped[str] = mapped_column(sa.String(30), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    joined_on: Mapped[date] = mapped_column(sa.Date)
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Sale(Base):
    __tablename__ = "sales"
    __table_args__ = (
        sa.CheckConstraint("total >= 0 AND paid >= total AND change = paid - total", name="money_adds_up"),
        sa.CheckConstraint(f"buyer_category IS NULL OR buyer_category IN {BUYER_CATEGORIES!r}",
                           name="buyer_category_known"),
        sa.CheckConstraint("(buyer_nik_hash IS NULL AND buyer_nik_last4 IS NULL) OR "
                           "(length(buyer_nik_hash) = 64 AND length(buyer_nik_last4) = 4)", name="nik_hash_and_last4"),
        sa.CheckConstraint("number > 0", name="number_positive"),
        sa.Index("ix_sales_member_id_at", "member_id", "at"),
    )

    id: Mapped[str] = mapped_column(sa.String(UUID_LEN), primary_key=True)
    number: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    cashier_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id"))
    total: Mapped[int] = mapped_column(sa.BigInteger)
    paid: Mapped[int] = mapped_column(sa.BigInteger)
    change: Mapped[int] = mapped_column(sa.BigInteger)
    buyer_nik_hash: Mapped[str | None] = mapped_column(sa.String(NIK_HASH_LEN))
    buyer_nik_last4: Mapped[str | None] = mapped_column(sa.String(4))
    buyer_category: Mapped[str | None] = mapped_column(sa.String(20))
    subsidy_reference: Mapped[str | None] = mapped_column(sa.String(64))
    discount_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # the manager who approved a lower price
    fingerprint: Mapped[str] = mapped_column(sa.String(64))  # keyed hash of the request body (idempotency)


class SaleLine(Base):
    __tablename__ = "sale_lines"
    __table_args__ = (
        sa.CheckConstraint("qty > 0", name="qty_positive"),
        sa.CheckConstraint("unit_price >= 0 AND unit_price <= catalog_price", name="price_not_above_catalog"),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint("empties_returned IS NULL OR (empties_returned >= 0 AND empties_returned <= qty)",
                           name="empties_within_qty"),
    )

    sale_id: Mapped[str] = mapped_column(sa.ForeignKey("sales.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    qty: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[int] = mapped_column(sa.BigInteger)
    catalog_price: Mapped[int] = mapped_column(sa.BigInteger)
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    empties_returned: Mapped[Decimal | None] = mapped_column(Quantity)  # LPG refills: empty cylinders taken back
    movement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stock_movements.id"))


class SalePayment(Base):
    __tablename__ = "sale_payments"
    __table_args__ = (
        sa.CheckConstraint(f"method IN {PAYMENT_METHODS!r}", name="method_known"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    sale_id: Mapped[str] = mapped_column(sa.ForeignKey("sales.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(sa.String(20))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    reference: Mapped[str] = mapped_column(sa.String(64), default="")


class QuotaHolder(Base):
    """One row per (product, buyer): locked while a sale counts that buyer's quota, so two tills queue."""

    __tablename__ = "quota_holders"

    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), primary_key=True)
    nik_hash: Mapped[str] = mapped_column(sa.String(NIK_HASH_LEN), primary_key=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuotaRecord(Base):
    """What one buyer (NIK hash) took of a quota'd product; refunds add negative records."""

    __tablename__ = "quota_records"
    __table_args__ = (
        sa.CheckConstraint("qty <> 0", name="qty_not_zero"),
        sa.Index("ix_quota_records_product_nik_at", "product_id", "nik_hash", "at"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"))
    nik_hash: Mapped[str] = mapped_column(sa.String(NIK_HASH_LEN))
    qty: Mapped[Decimal] = mapped_column(Quantity)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    sale_id: Mapped[str | None] = mapped_column(sa.ForeignKey("sales.id"))
    refund_id: Mapped[str | None] = mapped_column(sa.ForeignKey("refunds.id"))


class Refund(Base):
    """Goods brought back: a new document that returns stock; the sale itself is never edited."""

    __tablename__ = "refunds"
    __table_args__ = (
        sa.CheckConstraint("total >= 0", name="total_not_negative"),
        sa.CheckConstraint(f"method IN {PAYMENT_METHODS!r}", name="method_known"),
        sa.CheckConstraint("length(reason) > 0", name="reason_given"),
        sa.CheckConstraint("number > 0", name="number_positive"),
    )

    id: Mapped[str] = mapped_column(sa.String(UUID_LEN), primary_key=True)
    number: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    sale_id: Mapped[str] = mapped_column(sa.ForeignKey("sales.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    shift_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(200))
    method: Mapped[str] = mapped_column(sa.String(20))
    total: Mapped[int] = mapped_column(sa.BigInteger)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))


class RefundLine(Base):
    __tablename__ = "refund_lines"
    __table_args__ = (
        sa.CheckConstraint("qty > 0", name="qty_positive"),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.ForeignKeyConstraint(["sale_id", "sale_line_no"], ["sale_lines.sale_id", "sale_lines.line_no"],
                                name="fk_refund_lines_sale_line"),
    )

    refund_id: Mapped[str] = mapped_column(sa.ForeignKey("refunds.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[str] = mapped_column(sa.String(UUID_LEN), index=True)
    sale_line_no: Mapped[int]
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"))
    qty: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[int] = mapped_column(sa.BigInteger)
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    movement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stock_movements.id"))
