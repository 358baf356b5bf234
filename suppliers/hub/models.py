"""The hub's tables (see notes SYNC.md "Hub tables"): registered outlets, the events each pushed,
what those events applied (movements, sales, stock, restock requests), dispatches and the feed
that outlets pull.

On PostgreSQL `hub_movements` and `hub_sales` are partitioned by month on `at` (created by
migration 0007 with raw SQL; partitions are made by `suppliers.hub.partitions`); the models
describe the parent table, which is all the code reads and writes. The big tables carry no
foreign keys: only ingest writes them, and a distributed PostgreSQL (Citus) shards them by
`outlet_id` more easily without.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gerai.db import Base, UTCDateTime, utcnow
from gerai.numbers import Quantity

HUB_REQUEST_STATUSES = ("submitted", "dispatched", "partially_received", "received", "cancelled")
PARTITIONED = ("hub_movements", "hub_sales")
_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")  # SQLite autoincrements INTEGER only


class HubOutlet(Base):
    """A shop registered at this hub, with the hash of its sync token and how far its push got."""

    __tablename__ = "hub_outlets"
    __table_args__ = (sa.Index("ix_hub_outlets_provinsi_kabupaten", "provinsi", "kabupaten"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(30), unique=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    cooperative: Mapped[str] = mapped_column(sa.String(160), default="")
    desa: Mapped[str] = mapped_column(sa.String(120), default="")
    kecamatan: Mapped[str] = mapped_column(sa.String(120), default="")
    kabupaten: Mapped[str] = mapped_column(sa.String(120), default="", index=True)
    provinsi: Mapped[str] = mapped_column(sa.String(120), default="")
    zone: Mapped[str | None] = mapped_column(sa.String(30))  # price zone for HET; null = none
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # sha256 hex of the token
    accepted_through: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default=sa.text("0"))
    pull_cursor_seen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default=sa.text("0"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_pull_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sale_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)


class HubEvent(Base):
    """One accepted event of an outlet, by its sequence number: what makes every event count once."""

    __tablename__ = "hub_events"
    __table_args__ = (sa.UniqueConstraint("outlet_id", "event_id", name="uq_hub_events_outlet_id_event_id"),)

    outlet_id: Mapped[int] = mapped_column(sa.ForeignKey("hub_outlets.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(sa.String(36))
    type: Mapped[str] = mapped_column(sa.String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HubMovement(Base):
    """A shop's ledger movement (partitioned by month on PostgreSQL)."""

    __tablename__ = "hub_movements"

    outlet_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[str] = mapped_column(sa.String(20))
    qty: Mapped[Decimal] = mapped_column(Quantity)
    balance_after: Mapped[Decimal] = mapped_column(Quantity)
    source_type: Mapped[str] = mapped_column(sa.String(20), default="")
    source_id: Mapped[str] = mapped_column(sa.String(36), default="")


class HubSale(Base):
    """A shop's sale summary (no NIK, no member data; partitioned by month on PostgreSQL)."""

    __tablename__ = "hub_sales"

    outlet_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    sale_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    number: Mapped[int] = mapped_column(sa.BigInteger)
    total: Mapped[int] = mapped_column(sa.BigInteger)
    paid: Mapped[int] = mapped_column(sa.BigInteger)
    cashier: Mapped[str] = mapped_column(sa.String(64), default="")
    lines: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON


class HubSalesDaily(Base):
    """Sales per outlet per shop-local day, kept by ingest."""

    __tablename__ = "hub_sales_daily"
    __table_args__ = (sa.Index("ix_hub_sales_daily_day", "day"),)

    outlet_id: Mapped[int] = mapped_column(sa.ForeignKey("hub_outlets.id"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    sales_count: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class HubStock(Base):
    """A shop's stock of a product as its latest movement left it."""

    __tablename__ = "hub_stock"

    outlet_id: Mapped[int] = mapped_column(sa.ForeignKey("hub_outlets.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    unit: Mapped[str] = mapped_column(sa.String(20), default="")
    on_hand: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    last_sold_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_movement_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HubRequest(Base):
    """A shop's restock request as its latest snapshot (status never moves backwards)."""

    __tablename__ = "hub_requests"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {HUB_REQUEST_STATUSES!r}", name="status_known"),
        sa.Index("ix_hub_requests_supplier_status_created_at", "supplier", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # the shop's request uuid
    outlet_id: Mapped[int] = mapped_column(sa.ForeignKey("hub_outlets.id"), index=True)
    supplier: Mapped[str] = mapped_column(sa.String(30))
    status: Mapped[str] = mapped_column(sa.String(20))
    auto: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HubRequestLine(Base):
    __tablename__ = "hub_request_lines"

    request_id: Mapped[str] = mapped_column(sa.ForeignKey("hub_requests.id", ondelete="CASCADE"), primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    unit: Mapped[str] = mapped_column(sa.String(20), default="")
    qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    dispatched_qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    received_qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))


class HubDispatch(Base):
    """A delivery a coordinator sent against a request (whole or part)."""

    __tablename__ = "hub_dispatches"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(sa.ForeignKey("hub_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    eta: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    lines: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON [{"sku","qty"}]


class HubFeed(Base):
    """What outlets pull: dispatches addressed to one outlet, catalog and HET for all or a zone."""

    __tablename__ = "hub_feed"
    __table_args__ = (sa.Index("ix_hub_feed_outlet_id_id", "outlet_id", "id"),)

    id: Mapped[int] = mapped_column(_BIGINT_ID, primary_key=True, autoincrement=True)
    outlet_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hub_outlets.id"))  # null = every outlet
    zone: Mapped[str | None] = mapped_column(sa.String(30))  # null = every zone
    type: Mapped[str] = mapped_column(sa.String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[str] = mapped_column(sa.Text)  # JSON
