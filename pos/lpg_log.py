"""The LPG 3 kg logbook (the pangkalan's buyer log) as CSV, to reconcile with the agent's app.

One row per subsidised LPG line sold: local date and time, receipt number, masked NIK, buyer
category, cylinders, price, empties taken back; refunds appear as rows with negative cylinders.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inventory.models import Product
from pos.csv_export import csv_text
from pos.models import Refund, RefundLine, Sale, SaleLine
from pos.nik import mask_nik
from pos.regulated import day_start_utc

SALES, LINES, REFUNDS, REFUND_LINES, PRODUCTS = (Sale.__table__, SaleLine.__table__, Refund.__table__,
                                                 RefundLine.__table__, Product.__table__)
HEADER = ["date", "time", "receipt_no", "sku", "product", "nik", "buyer_category", "cylinders", "unit_price", "amount",
          "empties_returned"]


@dataclass(frozen=True)
class LogRow:
    at: datetime
    receipt: str
    sku: str
    product: str
    nik_last4: str | None
    category: str | None
    cylinders: Decimal
    unit_price: int
    amount: int
    empties: Decimal | None


def _regulated_lpg():
    return sa.and_(PRODUCTS.c.category == "lpg", PRODUCTS.c.subsidised.is_(True))


def logbook(session: Session, first: date, last: date, tz: ZoneInfo) -> list[LogRow]:
    """Rows from the shop's local day `first` through `last`, oldest first."""
    start, end = day_start_utc(first, tz), day_start_utc(last + timedelta(days=1), tz)
    sold = (sa.select(SALES.c.at, SALES.c.number, PRODUCTS.c.sku, PRODUCTS.c.name, SALES.c.buyer_nik_last4,
                      SALES.c.buyer_category, LINES.c.qty, LINES.c.unit_price, LINES.c.amount, LINES.c.empties_returned)
            .join(LINES, LINES.c.sale_id == SALES.c.id).join(PRODUCTS, PRODUCTS.c.id == LINES.c.product_id)
            .where(_regulated_lpg(), SALES.c.at >= start, SALES.c.at < end))
    back = (sa.select(REFUNDS.c.at, REFUNDS.c.number, PRODUCTS.c.sku, PRODUCTS.c.name, SALES.c.buyer_nik_last4,
                      SALES.c.buyer_category, REFUND_LINES.c.qty, REFUND_LINES.c.unit_price, REFUND_LINES.c.amount)
            .join(REFUND_LINES, REFUND_LINES.c.refund_id == REFUNDS.c.id).join(SALES, SALES.c.id == REFUNDS.c.sale_id)
            .join(PRODUCTS, PRODUCTS.c.id == REFUND_LINES.c.product_id)
            .where(_regulated_lpg(), REFUNDS.c.at >= start, REFUNDS.c.at < end))
    rows = [LogRow(r.at, f"{r.number:06d}", r.sku, r.name, r.buyer_nik_last4, r.buyer_category, r.qty, r.unit_price,
                   r.amount, r.empties_returned) for r in session.execute(sold)]
    rows += [LogRow(r.at, f"R{r.number:05d}", r.sku, r.name, r.buyer_nik_last4, r.buyer_category, -r.qty, r.unit_price,
                    -r.amount, None) for r in session.execute(back)]
    return sorted(rows, key=lambda r: (r.at, r.receipt))


def logbook_csv(rows: list[LogRow], tz: ZoneInfo) -> str:
    return csv_text(HEADER, ([f"{r.at.astimezone(tz):%Y-%m-%d}", f"{r.at.astimezone(tz):%H:%M}", r.receipt, r.sku,
                              r.product, mask_nik(r.nik_last4) if r.nik_last4 else "", r.category or "",
                              int(r.cylinders), r.unit_price, r.amount,
                              int(r.empties) if r.empties is not None else ""] for r in rows))
