"""Restock requests from the shop to a supplier, their lines and their history."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gerai.db import Base, UTCDateTime, utcnow
from gerai.numbers import Quantity
from inventory.models import Product

REQUEST_STATUSES = ("draft", "submitted", "dispatched", "partially_received", "received", "cancelled")
OPEN_STATUSES = ("submitted", "dispatched", "partially_received")  # what they still ask for is on order


class RestockRequest(Base):
    __tablename__ = "restock_requests"
    __table_args__ = (sa.CheckConstraint(f"status IN {REQUEST_STATUSES!r}", name="status_known"),
                      sa.Index("ix_restock_requests_status_supplier", "status", "supplier_code"))

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # client-chosen UUID
    supplier_code: Mapped[str] = mapped_column(sa.ForeignKey("suppliers.code"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="submitted")
    auto: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    fingerprint: Mapped[str] = mapped_column(sa.String(64))  # of the creating body: a retry is recognised
    eta: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(200))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list["RestockRequestLine"]] = relationship(
        back_populates="request", order_by="RestockRequestLine.position", lazy="selectin", cascade="all, delete-orphan")
    history: Mapped[list["RestockRequestEvent"]] = relationship(
        order_by="RestockRequestEvent.id", lazy="selectin", cascade="all, delete-orphan")


class RestockRequestLine(Base):
    """One product asked for; what was dispatched and received against it (receipts name the request)."""

    __tablename__ = "restock_request_lines"
    __table_args__ = (sa.UniqueConstraint("request_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(sa.ForeignKey("restock_requests.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    qty: Mapped[Decimal] = mapped_column(Quantity)  # asked; 0 for a product that came without being asked
    dispatched_qty: Mapped[Decimal | None] = mapped_column(Quantity)
    received_qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))

    request: Mapped[RestockRequest] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")

    @property
    def sku(self) -> str:
        return self.product.sku

    @property
    def difference(self) -> Decimal:
        """Received minus asked: negative is short, positive is over."""
        return self.received_qty - self.qty

    @property
    def outstanding(self) -> Decimal:
        return max(self.qty - self.received_qty, Decimal(0))


class RestockRequestEvent(Base):
    """History: every change of status (and every receipt against the request), who and when."""

    __tablename__ = "restock_request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(sa.ForeignKey("restock_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(20))  # the status after the event
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    stock_document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stock_documents.id"))
