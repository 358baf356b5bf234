"""Pure rules for regulated goods at the till: who must show a NIK, quota windows, HET.

- LPG 3 kg (Kepmen ESDM 37.K/2023 and Pertamina's pangkalan rules): sold against the buyer's
  NIK and category (household, micro-business, farmer, fisher); per-NIK limits are set per area.
- Subsidised fertilizer (Permentan 01/2024, Kepmentan on HET 22 Oct 2025): only e-RDKK farmers;
  i-Pubers holds the quota, so the till records the NIK and the i-Pubers reference.
- Beras SPHP (Bulog): a per-buyer limit per day.
A product's quota `{qty, period_days}` is the most one NIK may take in a window of that many of
the shop's local days, today included. No I/O here.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from gerai.errors import Conflict, Invalid
from gerai.numbers import format_qty, format_rupiah
from inventory.rules import PriceAboveHet

BUYER_CATEGORIES = ("rumah_tangga", "usaha_mikro", "petani", "nelayan")


class NikRequired(Invalid):
    reason = "nik_required"
    template = "%(name)s is sold only against the buyer's NIK (16 digits)."


class InvalidNik(Invalid):
    reason = "invalid_nik"
    template = "This is not a valid NIK: %(problem)s"


class BuyerCategoryRequired(Invalid):
    reason = "buyer_category_required"
    template = "%(name)s is sold only to households, micro-businesses, farmers and fishers: give the buyer's category."


class SubsidyReferenceRequired(Invalid):
    reason = "subsidy_reference_required"
    template = "%(name)s needs the i-Pubers transaction reference of this farmer's allocation."


class QuotaExceeded(Conflict):
    reason = "quota_exceeded"
    template = ("%(name)s: at most %(quota)s %(unit)s per NIK in %(days)s days. This NIK bought %(bought)s %(unit)s "
                "in that time, so %(left)s %(unit)s are left; %(wanted)s %(unit)s wanted.")


class DailyQuotaExceeded(QuotaExceeded):
    template = ("%(name)s: at most %(quota)s %(unit)s per NIK per day. This NIK bought %(bought)s %(unit)s "
                "today, so %(left)s %(unit)s are left; %(wanted)s %(unit)s wanted.")


class Rules(NamedTuple):
    """A product as the till's rules see it (the columns `pos.sales` reads, in that order)."""

    id: int
    sku: str
    name: str
    unit: str
    category: str
    price: int
    het: int | None
    subsidised: bool
    quota_qty: Decimal | None
    quota_period_days: int | None
    active: bool = True


def needs_nik(p: Rules) -> bool:
    return p.subsidised or p.quota_qty is not None


def needs_buyer_category(p: Rules) -> bool:
    return p.category == "lpg" and p.subsidised


def needs_subsidy_reference(p: Rules) -> bool:
    return p.category == "pupuk" and p.subsidised


def nik_key(secret_key: str) -> bytes:
    """The NIK hash key, derived from the shop's secret key (a new secret key means new hashes)."""
    return hmac.new(secret_key.encode("utf-8"), b"gerai nik hash v1", hashlib.sha256).digest()


def local_day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def day_start_utc(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of the shop's local `day`, in UTC."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


def quota_window_start(now: datetime, period_days: int, tz: ZoneInfo) -> datetime:
    """Start (UTC) of the window of `period_days` local days ending today: 1 means since local midnight."""
    return day_start_utc(local_day(now, tz) - timedelta(days=period_days - 1), tz)


def check_quota(p: Rules, bought: Decimal, wanted: Decimal, field: str | None = None) -> None:
    """Refuse `wanted` when it would take this buyer past the product's quota in the window."""
    if p.quota_qty is None or p.quota_period_days is None or bought + wanted <= p.quota_qty:
        return
    fractional = p.unit in ("kg", "liter")
    refusal = DailyQuotaExceeded if p.quota_period_days == 1 else QuotaExceeded
    raise refusal(field=field, name=p.name, unit=p.unit, days=p.quota_period_days,
                  quota=format_qty(p.quota_qty, fractional), bought=format_qty(bought, fractional),
                  left=format_qty(max(p.quota_qty - bought, Decimal(0)), fractional), wanted=format_qty(wanted, fractional))


def check_het(p: Rules, unit_price: int, field: str | None = None) -> None:
    """Never above the legal maximum retail price, whatever the catalog or a discount says."""
    if p.het is not None and unit_price > p.het:
        err = PriceAboveHet(field=field, price=format_rupiah(unit_price), het=format_rupiah(p.het), sku=p.sku)
        raise err
