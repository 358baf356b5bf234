"""The platform's own tables: users and the record of failed sign-ins."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gerai.db import Base, UTCDateTime, utcnow

ROLES = ("cashier", "manager", "coordinator", "monitor", "admin")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES!r}", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20))
    supplier_code: Mapped[str | None] = mapped_column(sa.String(30))  # a coordinator's supplier
    area: Mapped[str | None] = mapped_column(sa.String(120))  # a monitor's kabupaten/provinsi
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginFailure(Base):
    """One failed sign-in; recent rows throttle guessing."""

    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    remote_addr: Mapped[str] = mapped_column(sa.String(64), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppSetting(Base):
    """Small key/value facts about this installation (e.g. that the demo shop was loaded)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuditEntry(Base):
    """Who did what, when: refunds, discounts, price changes, stock adjustments, user changes.

    Append-only: the app has no path that updates or deletes a row, and the database refuses both
    (triggers made by migration 0008 on SQLite and PostgreSQL alike)."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_at", "at"), sa.Index("ix_audit_log_action_at", "action", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(sa.String(64), default="")
    action: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(120), default="")
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
