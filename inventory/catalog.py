"""Catalog use cases: products (with barcodes and HET history) and suppliers."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai import audit, outbox
from gerai.db import transactional, utcnow
from gerai.errors import Conflict, Invalid, NotFound
from gerai.numbers import format_qty
from inventory import barcodes as bc
from inventory.models import HetChange, Product, ProductBarcode, StockLevel, Supplier
from inventory.rules import allows_fractions, check_price_within_het, check_qty_for_unit, check_unit

PRODUCT_FIELDS = ("name", "category", "unit", "price", "het", "subsidised", "taxable", "shelf_life_days", "active")


class ProductNotFound(NotFound):
    reason = "unknown_sku"
    template = "No product with SKU %(sku)s."


def get_product(session: Session, sku: str) -> Product:
    product = session.scalar(sa.select(Product).where(Product.sku == sku))
    if product is None:
        raise ProductNotFound(sku=sku)
    return product


def get_supplier(session: Session, code: str) -> Supplier:
    supplier = session.get(Supplier, code)
    if supplier is None:
        raise NotFound("No supplier with code %(code)s.", code=code)
    return supplier


def _check_barcodes(session: Session, codes: list[str], product_id: int | None) -> list[str]:
    seen: list[str] = []
    for i, code in enumerate(codes):
        code = code.strip()
        problem = bc.barcode_problem_template(code)
        if problem:
            template, params = problem
            raise Invalid(template, field=f"barcodes.{i}", **{"code": code, **params})
        if code in seen:
            raise Invalid("Barcode %(code)s is listed twice.", field=f"barcodes.{i}", code=code)
        owner = session.scalar(sa.select(Product.sku).join(ProductBarcode).where(
            ProductBarcode.barcode == code, *([Product.id != product_id] if product_id else [])))
        if owner:
            raise Conflict("Barcode %(code)s already belongs to %(sku)s.", field=f"barcodes.{i}", code=code, sku=owner)
        seen.append(code)
    return seen


def _apply_quota_and_reorder(product: Product, data: dict[str, Any]) -> None:
    if "quota" in data:
        quota = data["quota"]
        if quota is None:
            product.quota_qty = product.quota_period_days = None
        else:
            check_qty_for_unit(quota["qty"], product.unit, "quota.qty")
            product.quota_qty, product.quota_period_days = quota["qty"], quota["period_days"]
    if "reorder" in data:
        reorder = data["reorder"]
        if reorder is None:
            product.reorder_min = product.reorder_max = None
        else:
            check_qty_for_unit(reorder["min"], product.unit, "reorder.min", positive=False)
            check_qty_for_unit(reorder["max"], product.unit, "reorder.max")
            if reorder["max"] < reorder["min"]:
                raise Invalid("The reorder maximum cannot be below the minimum.", field="reorder.max")
            product.reorder_min, product.reorder_max = reorder["min"], reorder["max"]


def _check_supplier(session: Session, code: str | None) -> None:
    if code is not None and session.get(Supplier, code) is None:
        raise Invalid("No supplier with code %(code)s; add the supplier first.", field="supplier", code=code)


def _record_het(session: Session, product: Product, user_id: int | None, at: datetime, source: str) -> None:
    session.add(HetChange(product_id=product.id, het=product.het, effective_from=at, user_id=user_id, source=source))


@transactional
def create_product(session: Session, data: dict[str, Any], user_id: int | None = None, source: str = "manual") -> Product:
    if session.scalar(sa.select(Product.id).where(Product.sku == data["sku"])):
        raise Conflict("A product with SKU %(sku)s already exists.", field="sku", sku=data["sku"])
    return add_product(session, data, user_id, source)


def add_product(session: Session, data: dict[str, Any], user_id: int | None, source: str) -> Product:
    """Add one product inside the caller's transaction (create_product and the CSV import use it)."""
    check_unit(data["unit"])
    check_price_within_het(data["sku"], data["price"], data.get("het"))
    _check_supplier(session, data.get("supplier"))
    codes = _check_barcodes(session, data.get("barcodes", []), None)
    product = Product(sku=data["sku"], supplier_code=data.get("supplier"),
                      **{k: data[k] for k in PRODUCT_FIELDS if k in data})
    _apply_quota_and_reorder(product, data)
    product.barcodes = [ProductBarcode(barcode=c, position=i) for i, c in enumerate(codes)]
    session.add(product)
    session.flush()
    session.add(StockLevel(product_id=product.id, on_hand=Decimal(0), updated_at=utcnow()))
    if product.het is not None:
        _record_het(session, product, user_id, utcnow(), source)
    _emit_product(session, product, source)
    return product


@transactional
def update_product(session: Session, sku: str, changes: dict[str, Any], user_id: int | None = None,
                   source: str = "manual") -> Product:
    product = get_product(session, sku)
    return change_product(session, product, changes, user_id, source)


def change_product(session: Session, product: Product, changes: dict[str, Any], user_id: int | None,
                   source: str) -> Product:
    """Change one product inside the caller's transaction; every check runs before anything is flushed."""
    with session.no_autoflush:
        return _change_product_fields(session, product, changes, user_id, source)


def _change_product_fields(session: Session, product: Product, changes: dict[str, Any], user_id: int | None,
                           source: str) -> Product:
    if "unit" in changes:
        check_unit(changes["unit"])
    new_price, new_het = changes.get("price", product.price), changes.get("het", product.het)
    check_price_within_het(product.sku, new_price, new_het,
                           field="het" if "het" in changes and "price" not in changes else "price")
    if "supplier" in changes:
        _check_supplier(session, changes["supplier"])
    old_het, old_price = product.het, product.price
    for key in PRODUCT_FIELDS:
        if key in changes:
            setattr(product, key, changes[key])
    if "supplier" in changes:
        product.supplier_code = changes["supplier"]
    _apply_quota_and_reorder(product, changes)
    if "unit" in changes:
        _check_held_quantities_fit_unit(session, product)
    if "barcodes" in changes:
        codes = _check_barcodes(session, changes["barcodes"], product.id)
        product.barcodes = [ProductBarcode(barcode=c, position=i) for i, c in enumerate(codes)]
        session.flush()
    if product.het != old_het:
        _record_het(session, product, user_id, changes.get("het_effective_from") or utcnow(), source)
    if (product.price, product.het) != (old_price, old_het):
        audit.record(session, "price_change", product.sku, {**audit.changed(
            {"price": old_price, "het": old_het}, {"price": product.price, "het": product.het}), "source": source},
            user_id=user_id)
    _emit_product(session, product, source)
    return product


def _emit_product(session: Session, product: Product, source: str) -> None:
    """A product made or changed at the shop reaches the hub (the hub's own changes came from it)."""
    if source == "hub":
        return
    outbox.emit(session, "product", {"sku": product.sku, "name": product.name, "category": product.category,
                                     "unit": product.unit, "price": product.price, "het": product.het,
                                     "supplier": product.supplier_code, "active": product.active}, utcnow())


def _check_held_quantities_fit_unit(session: Session, product: Product) -> None:
    """A product switched to a whole unit (kg -> sak) must not keep fractions it can never move."""
    if allows_fractions(product.unit):
        return
    on_hand = session.scalar(sa.select(StockLevel.on_hand).where(StockLevel.product_id == product.id))
    for qty in (product.quota_qty, product.reorder_min, product.reorder_max, on_hand):
        if qty is not None and qty != qty.to_integral_value():
            raise Invalid("%(sku)s cannot change to %(unit)s while its stock on hand, quota or reorder levels hold "
                          "a fraction (%(qty)s).", field="unit", sku=product.sku, unit=product.unit,
                          qty=format_qty(qty))


def het_history(session: Session, sku: str) -> list[HetChange]:
    product = get_product(session, sku)
    return list(session.scalars(sa.select(HetChange).where(HetChange.product_id == product.id)
                                .order_by(HetChange.effective_from.desc(), HetChange.id.desc())))


@transactional
def create_supplier(session: Session, data: dict[str, Any]) -> Supplier:
    if session.get(Supplier, data["code"]) is not None:
        raise Conflict("A supplier with code %(code)s already exists.", field="code", code=data["code"])
    supplier = Supplier(**data)
    session.add(supplier)
    return supplier


@transactional
def update_supplier(session: Session, code: str, changes: dict[str, Any]) -> Supplier:
    supplier = get_supplier(session, code)
    for key, value in changes.items():
        setattr(supplier, key, value)
    return supplier


# --- HET and catalog from the hub (master for regulated prices) --------------------------------

def set_het_from_hub(session: Session, product: Product, het: int | None, effective_from: datetime,
                     now: datetime) -> bool:
    """Add a HET the hub sent to the product's history, in the caller's transaction. Effective now:
    it becomes the product's HET (unless the history holds a later one already) and a price above it
    is lowered to it. Dated ahead: kept pending until `apply_due_hets` reaches its day. True if the
    product's HET changed now."""
    pending = effective_from > now
    session.add(HetChange(product_id=product.id, het=het, effective_from=effective_from, source="hub",
                          pending=pending, note="hub"))
    if pending:
        return False
    return _make_current(session, product, het, effective_from)


def _make_current(session: Session, product: Product, het: int | None, effective_from: datetime) -> bool:
    later = session.scalar(sa.select(sa.func.count()).select_from(HetChange).where(
        HetChange.product_id == product.id, HetChange.pending.is_(False), HetChange.effective_from > effective_from))
    if later or product.het == het:
        return False
    product.het = het
    if het is not None and product.price > het:
        product.price = het
    return True


def apply_due_hets(session: Session, now: datetime) -> int:
    """HETs from the hub whose day has come: each becomes its product's HET (prices above it lowered),
    in date order, in the caller's transaction. How many were applied."""
    due = list(session.scalars(sa.select(HetChange).where(HetChange.pending.is_(True), HetChange.effective_from <= now)
                               .order_by(HetChange.effective_from, HetChange.id)))
    for change in due:
        change.pending = False
        session.flush()
        _make_current(session, session.get(Product, change.product_id), change.het, change.effective_from)
    return len(due)
