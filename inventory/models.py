"""Catalog and stock ledger tables.

Suppliers live here, not in `suppliers/`: goods are received from them, and `inventory`
must not import the restock package that builds on it.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gerai.db import Base, UTCDateTime, utcnow
from gerai.numbers import Quantity

CATEGORIES = ("sembako", "lpg", "pupuk", "lainnya")
MOVEMENT_KINDS = ("opening", "receipt", "sale", "refund", "adjustment", "write_off",
                  "lpg_empty_return", "import")
STATUSES = ("ok", "low", "out", "slow", "overstock", "dead")  # a stock level's status (API.md, Stock; inventory.signals)


class Supplier(Base):
    __tablename__ = "suppliers"

    code: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    lead_time_days: Mapped[int] = mapped_column(default=3)
    pack_size: Mapped[Decimal | None] = mapped_column(Quantity)
    contact: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
        sa.CheckConstraint("het IS NULL OR price <= het", name="price_within_het"),
        sa.CheckConstraint(f"category IN {CATEGORIES!r}", name="category_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    category: Mapped[str] = mapped_column(sa.String(20), index=True)
    unit: Mapped[str] = mapped_column(sa.String(20))
    price: Mapped[int] = mapped_column(sa.BigInteger)
    het: Mapped[int | None] = mapped_column(sa.BigInteger)
    subsidised: Mapped[bool] = mapped_column(default=False)
    quota_qty: Mapped[Decimal | None] = mapped_column(Quantity)
    quota_period_days: Mapped[int | None]
    taxable: Mapped[bool] = mapped_column(default=False)
    supplier_code: Mapped[str | None] = mapped_column(sa.ForeignKey("suppliers.code"), index=True)
    reorder_min: Mapped[Decimal | None] = mapped_column(Quantity)
    reorder_max: Mapped[Decimal | None] = mapped_column(Quantity)
    shelf_life_days: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    barcodes: Mapped[list["ProductBarcode"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductBarcode.position", lazy="selectin")
    level: Mapped["StockLevel"] = relationship(back_populates="product", lazy="joined", uselist=False)


class ProductBarcode(Base):
    __tablename__ = "product_barcodes"

    barcode: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="barcodes")


class HetChange(Base):
    """HET history: every legal price cap a product had, from when, set by whom (never overwritten)."""

    __tablename__ = "het_changes"
    __table_args__ = (sa.Index("ix_het_changes_product_from", "product_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    het: Mapped[int | None] = mapped_column(sa.BigInteger)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(sa.String(20), default="manual")
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    # a HET from the hub dated ahead: in the history now, made the product's HET once its day comes
    pending: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class StockLevel(Base):
    """On hand per product: updated in the same transaction as each movement, equal to their sum."""

    __tablename__ = "stock_levels"

    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    on_hand: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    avg_cost: Mapped[int | None] = mapped_column(sa.BigInteger)  # moving-average unit cost, Rupiah
    last_movement_id: Mapped[int | None] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"))
    last_sold_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # how many movements the product has: the ledger page's total without counting millions of rows
    movement_count: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default=sa.text("0"))

    product: Mapped[Product] = relationship(back_populates="level")


class StockDocument(Base):
    """A goods receipt, a stock count (opname) or a write-off: the why of its movements."""

    __tablename__ = "stock_documents"
    __table_args__ = (sa.CheckConstraint("kind IN ('receipt', 'count', 'write_off')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    supplier_code: Mapped[str | None] = mapped_column(sa.ForeignKey("suppliers.code"))
    reference: Mapped[str] = mapped_column(sa.String(100), default="")
    reason: Mapped[str | None] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    restock_request_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    # the client's UUID (a retry of the same document is recognised by it) and a hash of what it said
    client_id: Mapped[str | None] = mapped_column(sa.String(36), index=True, unique=True)
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    created = True  # not stored: False when a retry (same client_id and content) was answered with this document

    lines: Mapped[list["StockDocumentLine"]] = relationship(back_populates="document", order_by="StockDocumentLine.id")


class StockDocumentLine(Base):
    __tablename__ = "stock_document_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_documents.id"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"))
    qty: Mapped[Decimal] = mapped_column(Quantity)  # received / written off / counted
    expected: Mapped[Decimal | None] = mapped_column(Quantity)  # a count: what the book said
    unit_cost: Mapped[int | None] = mapped_column(sa.BigInteger)
    movement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stock_movements.id"))

    document: Mapped[StockDocument] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class StockMovement(Base):
    """One immutable change of stock. Corrections are new movements, never edits."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        sa.Index("ix_stock_movements_product_id_id", "product_id", "id"),
        sa.Index("ix_stock_movements_at", "at"),
        sa.CheckConstraint("qty <> 0", name="qty_not_zero"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(sa.String(20))
    qty: Mapped[Decimal] = mapped_column(Quantity)
    balance_after: Mapped[Decimal] = mapped_column(Quantity)
    unit_cost: Mapped[int | None] = mapped_column(sa.BigInteger)
    source_type: Mapped[str] = mapped_column(sa.String(20))  # stock_document, sale, refund, import
    source_id: Mapped[str] = mapped_column(sa.String(36))
    reference: Mapped[str] = mapped_column(sa.String(100), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
