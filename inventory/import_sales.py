"""`gerai import-sales`: a shop's past sales from paper or a spreadsheet, all rows or none.

CSV header `date,sku,qty,unit_price` (UTF-8). `date` is the shop's local day (2025-03-31 or
31/03/2025), never after today; `qty` is units sold that day (`1.5` or `1,5` for loose goods;
rows with 0 are skipped; several rows for one product and day add up); `unit_price` is whole
Rupiah (`12500` or `12.500`), or empty to value the day at the catalog price.

Each day becomes one ledger call of `sale` movements at noon local time, so the daily sales
history is built by the same code as a live sale. It never fails for lack of stock: levels
may go below zero, and the manager then counts stock to set today's on-hand. The shop's
stock before that count is unknown, so the import opens no out-of-stock spells (days before
any recorded stock count as in stock).
"""
from __future__ import annotations

import csv
import re
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.numbers import QuantityError, parse_qty
from inventory.ledger import MovementSpec, post_movements
from inventory.models import Product, StockLevel
from inventory.rules import allows_fractions
from inventory.sales_history import StockOut, local_day, shop_timezone, day_date

HEADER = ("date", "sku", "qty", "unit_price")
HEADER_HELP = "Expected header: date,sku,qty,unit_price (e.g. 2025-03-31,BRS-5KG,12,62000)."
_RUPIAH = re.compile(r"^\d{1,3}(\.\d{3})+$|^\d+$")


@dataclass
class SalesImport:
    rows: int = 0
    days: int = 0
    products: int = 0
    first: date | None = None
    last: date | None = None
    errors: list[tuple[int, str]] = field(default_factory=list)


def _date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ValueError(f"date: '{text}' is not a date (2025-03-31 or 31/03/2025)")


def _qty(text: str, unit: str) -> Decimal:
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        qty = parse_qty(text)
    except QuantityError as err:
        raise ValueError(f"qty: '{text}': {err}") from None
    if qty < 0:
        raise ValueError(f"qty: {text} is negative")
    if not allows_fractions(unit) and qty != qty.to_integral_value():
        raise ValueError(f"qty: {unit} is sold in whole units, not {text}")
    return qty


def _price(text: str) -> int | None:
    if not text:
        return None
    if not _RUPIAH.match(text):
        raise ValueError(f"unit_price: '{text}' is not a whole number of Rupiah")
    return int(text.replace(".", ""))


def read_sales(path: Path, products: dict[str, tuple[int, str]], today: date):
    """({day: {product_id: [qty, amount or None]}}, rows read, errors as (line, message))."""
    by_day: dict[date, dict[int, list]] = defaultdict(dict)
    errors: list[tuple[int, str]] = []
    rows = 0
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        names = [n.strip().lower() for n in reader.fieldnames or []]
        if names[:4] != list(HEADER) or len([n for n in names if n]) != 4:
            return by_day, 0, [(1, f"the header is {','.join(names) or 'empty'}. {HEADER_HELP}")]
        reader.fieldnames = names
        for row in reader:
            try:
                day, pid, qty, price = _row(row, products, today)
            except ValueError as err:
                errors.append((reader.line_num, str(err)))
                continue
            rows += 1
            if qty:
                total = by_day[day].setdefault(pid, [Decimal(0), 0])
                total[0] += qty
                total[1] = None if price is None or total[1] is None else total[1] + price * qty
    return by_day, rows, errors


def _row(row: dict, products: dict[str, tuple[int, str]], today: date) -> tuple[date, int, Decimal, int | None]:
    cells = {k: (v or "").strip() for k, v in row.items() if k}
    if None in row:
        raise ValueError("too many cells")
    day = _date(cells.get("date", ""))
    if day > today:
        raise ValueError(f"date: {day.isoformat()} is after today")
    product = products.get(cells.get("sku", ""))
    if product is None:
        raise ValueError(f"sku: no product with SKU '{cells.get('sku', '')}'")
    return day, product[0], _qty(cells.get("qty", ""), product[1]), _price(cells.get("unit_price", ""))


def import_sales_csv(session: Session, path: Path, *, progress: Callable | None = None,
                     now: datetime | None = None) -> SalesImport:
    """Check every row first; post nothing unless all are good, then everything in one transaction."""
    tz = shop_timezone(session)
    today = day_date(local_day(now or datetime.now(timezone.utc), tz))
    products = {sku: (pid, unit) for sku, pid, unit in session.execute(sa.select(Product.sku, Product.id, Product.unit))}
    try:
        by_day, rows, errors = read_sales(path, products, today)
    except (UnicodeDecodeError, csv.Error) as err:
        return SalesImport(errors=[(0, f"cannot read {path} as UTF-8 CSV: {err}")])
    session.rollback()  # end the read before taking the write lock for the whole import
    if errors:
        return SalesImport(rows=rows, errors=errors)
    result = SalesImport(rows=rows, days=len(by_day), first=min(by_day, default=None), last=max(by_day, default=None))
    _post(session, by_day, tz, progress, path.name)
    session.commit()
    result.products = len({pid for lines in by_day.values() for pid in lines})
    return result


def _post(session: Session, by_day: dict[date, dict[int, list]], tz, progress: Callable | None, name: str) -> None:
    last_spell = session.scalar(sa.select(sa.func.max(StockOut.id))) or 0
    last_sold: dict[int, datetime] = {}
    days = sorted(by_day)
    with (progress(days, label="Importing sales") if progress else nullcontext(days)) as items:
        for day in items:
            at = datetime.combine(day, time(12, 0), tzinfo=tz).astimezone(timezone.utc)
            specs = [MovementSpec(pid, -qty, "sale", unit_price=_unit_price(qty, amount))
                     for pid, (qty, amount) in sorted(by_day[day].items())]
            post_movements(session, specs, at=at, source_type="import", source_id=f"{name[:20]}:{day.isoformat()}",
                           reference=f"Impor penjualan {day.isoformat()}", allow_negative=True)
            last_sold.update((pid, at) for pid in by_day[day])
    session.execute(sa.delete(StockOut).where(StockOut.id > last_spell))
    levels = StockLevel.__table__
    session.execute(levels.update().where(levels.c.product_id == sa.bindparam("pid"), sa.or_(
        levels.c.last_sold_at.is_(None), levels.c.last_sold_at < sa.bindparam("at"))).values(last_sold_at=sa.bindparam("at")),
        [{"pid": pid, "at": at} for pid, at in last_sold.items()])


def _unit_price(qty: Decimal, amount: Decimal | int | None) -> int | None:
    """The day's average selling price (the history keeps Rupiah per day, rounded at the unit)."""
    if amount is None:
        return None
    return int((Decimal(amount) / qty).to_integral_value())
