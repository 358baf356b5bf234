"""`gerai import-products`: a CSV of products, all rows or none.

Header (UTF-8, comma-separated; only the first five columns are required):
    sku,name,category,unit,price,het,barcodes,subsidised,quota_qty,quota_period_days,
    supplier,taxable,reorder_min,reorder_max,shelf_life_days,active
`barcodes` holds several codes separated by `|`; yes/no columns take ya/tidak, yes/no,
true/false or 1/0; empty cells mean "none" (a new product) or "unchanged" (an existing one).
"""
from __future__ import annotations

import csv
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.errors import DomainError
from inventory.catalog import add_product, change_product
from inventory.models import Product
from inventory.schemas import ProductInSchema, ProductPatchSchema

REQUIRED = ("sku", "name", "category", "unit", "price")
OPTIONAL = ("het", "barcodes", "subsidised", "quota_qty", "quota_period_days", "supplier", "taxable",
            "reorder_min", "reorder_max", "shelf_life_days", "active")
HEADER_HELP = "Expected header: " + ",".join(REQUIRED + OPTIONAL) + " (see `gerai import-products --help`)."
TRUE, FALSE = {"ya", "yes", "true", "1", "y"}, {"tidak", "no", "false", "0", "n", "t"}


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _boolean(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    raise ValueError(f"{name}: '{value}' is not yes/no (ya/tidak)")


def _row_to_payload(row: dict[str, str]) -> dict[str, Any]:
    """CSV cells to the API's product shape; empty optional cells are left out."""
    cell = {k: (v or "").strip() for k, v in row.items() if k}
    payload: dict[str, Any] = {k: cell[k] for k in ("sku", "name", "category", "unit") if cell.get(k)}
    for money in ("price", "het"):
        if cell.get(money):
            if not cell[money].lstrip("-").isdigit():
                raise ValueError(f"{money}: '{cell[money]}' is not a whole number of Rupiah")
            payload[money] = int(cell[money])
    if cell.get("barcodes"):
        payload["barcodes"] = [b.strip() for b in cell["barcodes"].split("|") if b.strip()]
    for flag in ("subsidised", "taxable", "active"):
        if cell.get(flag):
            payload[flag] = _boolean(cell[flag], flag)
    if cell.get("supplier"):
        payload["supplier"] = cell["supplier"]
    if cell.get("quota_qty") or cell.get("quota_period_days"):
        payload["quota"] = {"qty": cell.get("quota_qty", ""), "period_days": _int(cell.get("quota_period_days", ""), "quota_period_days")}
    if cell.get("reorder_min") or cell.get("reorder_max"):
        payload["reorder"] = {"min": cell.get("reorder_min") or "0", "max": cell.get("reorder_max", "")}
    if cell.get("shelf_life_days"):
        payload["shelf_life_days"] = _int(cell["shelf_life_days"], "shelf_life_days")
    return payload


def _int(value: str, name: str) -> int:
    if not value.isdigit():
        raise ValueError(f"{name}: '{value}' is not a whole number")
    return int(value)


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        return [m for k, v in messages.items() for m in _flatten(v, f"{prefix}{k}.")]
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix.rstrip('.')}: {m}" for m in messages]
    return [f"{prefix.rstrip('.')}: {messages}"]


def read_rows(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, str]]]:
    """Parse every row into the API's product shape: (rows as (line, payload), errors as (line, message))."""
    rows, errors = [], []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        unknown = [c for c in reader.fieldnames or [] if c and c not in REQUIRED + OPTIONAL]
        if missing or unknown:
            problem = "; ".join(p for p in (f"missing columns {', '.join(missing)}" if missing else "",
                                            f"unknown columns {', '.join(unknown)}" if unknown else "") if p)
            return [], [(1, f"{problem}. {HEADER_HELP}")]
        for row in reader:
            try:
                rows.append((reader.line_num, _row_to_payload(row)))
            except ValueError as err:
                errors.append((reader.line_num, str(err)))
    return rows, errors


def import_products_csv(session: Session, path: Path, progress: Callable | None = None) -> ImportResult:
    """All rows in one transaction, or none: every bad row is reported with its line number."""
    try:
        rows, errors = read_rows(path)
    except (UnicodeDecodeError, csv.Error) as err:
        return ImportResult(errors=[(0, f"cannot read {path} as UTF-8 CSV: {err}")])
    result = ImportResult(errors=errors)
    seen: dict[str, int] = {}
    with (progress(rows, label="Checking products") if progress else nullcontext(rows)) as items:
        for line, payload in items:
            sku = payload.get("sku", "")
            if sku and sku in seen:
                result.errors.append((line, f"sku {sku} already on line {seen[sku]}"))
                continue
            seen[sku] = line
            result.errors.extend((line, m) for m in _upsert_one(session, payload, result))
    if result.errors:
        session.rollback()
        result.added = result.updated = 0
    else:
        session.commit()
    return result


def _upsert_one(session: Session, payload: dict[str, Any], result: ImportResult) -> list[str]:
    """Add or change the row's product; the row's problems, if any, as messages."""
    product = session.scalar(sa.select(Product).where(Product.sku == payload.get("sku", "")))
    try:
        with session.begin_nested():
            if product is None:
                add_product(session, ProductInSchema().load(payload), None, "import")
                result.added += 1
            else:
                changes = ProductPatchSchema().load({k: v for k, v in payload.items() if k != "sku"})
                change_product(session, product, changes, None, "import")
                result.updated += 1
            session.flush()
    except ma.ValidationError as err:
        return _flatten(err.messages)
    except DomainError as err:
        return [f"{err.field + ': ' if err.field else ''}{err.message}"]
    return []
