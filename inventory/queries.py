"""Read side of the catalog and ledger: searches, the stock list, movement history."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.fastsql import Prepared
from gerai.models import User
from inventory import search, signals
from inventory.catalog import ProductNotFound
from inventory.empties import empties_on_hand, takes_empties
from inventory.models import Product, ProductBarcode, StockLevel, StockMovement, Supplier

MAX_PAGE_SIZE = 500
PRODUCT_COLUMNS = ("sku", "name", "category", "unit", "price", "het", "subsidised", "quota_qty", "quota_period_days",
                   "supplier_code", "reorder_min", "reorder_max", "taxable", "shelf_life_days", "active")


class ProductRow(NamedTuple):
    """A product with its barcodes and on-hand as plain values (what ProductSchema shows)."""

    sku: str
    name: str
    category: str
    unit: str
    price: int
    het: int | None
    subsidised: bool
    quota_qty: Decimal | None
    quota_period_days: int | None
    supplier_code: str | None
    reorder_min: Decimal | None
    reorder_max: Decimal | None
    taxable: bool
    shelf_life_days: int | None
    active: bool
    on_hand: Decimal | None
    barcodes: list[str]


_PRODUCTS, _LEVELS, _BARCODES = Product.__table__, StockLevel.__table__, ProductBarcode.__table__
# A scan at the till: the product and its level by the barcode's primary key, then its barcodes;
# plain rows, no ORM objects (DESIGN.md, Targets: barcode lookup p99 <= 2 ms).
_BY_BARCODE = Prepared(
    sa.select(*(_PRODUCTS.c[name] for name in ("id", *PRODUCT_COLUMNS)), _LEVELS.c.on_hand)
    .select_from(_BARCODES.join(_PRODUCTS, _PRODUCTS.c.id == _BARCODES.c.product_id)
                 .outerjoin(_LEVELS, _LEVELS.c.product_id == _PRODUCTS.c.id))
    .where(_BARCODES.c.barcode == sa.bindparam("code")))
_LIST = (sa.select(*(_PRODUCTS.c[name] for name in ("id", *PRODUCT_COLUMNS)), _LEVELS.c.on_hand)
         .select_from(_PRODUCTS.outerjoin(_LEVELS, _LEVELS.c.product_id == _PRODUCTS.c.id)))
_CODES = Prepared(sa.select(_BARCODES.c.barcode).where(_BARCODES.c.product_id == sa.bindparam("pid"))
                  .order_by(_BARCODES.c.position))


def scanned_product(session: Session, code: str, category: str | None = None) -> ProductRow | None:
    """The product with this barcode (and in this category, if given) as plain values, or None."""
    conn = session.connection()
    rows = _BY_BARCODE.all(conn, {"code": code})
    if not rows:
        return None
    pid, *values = rows[0]
    product = ProductRow(*values, barcodes=[])
    if category is not None and product.category != category:
        return None
    return product._replace(barcodes=[code for (code,) in _CODES.all(conn, {"pid": pid})])


def sku_for_code(session: Session, code: str) -> str | None:
    """The SKU a person typed or scanned: a SKU as it is, else the product owning that barcode."""
    code = code.strip()
    if session.scalar(sa.select(Product.id).where(Product.sku == code)) is not None:
        return code
    return session.scalar(sa.select(Product.sku).join(ProductBarcode).where(ProductBarcode.barcode == code))


def all_suppliers(session: Session) -> list[Supplier]:
    return list(session.scalars(sa.select(Supplier).order_by(Supplier.name, Supplier.code)))


def search_products(session: Session, q: str = "", category: str | None = None, *, page: int = 1,
                    page_size: int = 50, include_inactive: bool = False) -> tuple[list[ProductRow], int]:
    """A barcode finds its product; otherwise `q` matches name or SKU, any case, through the trigram
    index (inventory.search); by name in any case, then id. Plain rows: a page of 50 ORM products
    with their barcodes cost more than the search."""
    q = (q or "").strip()
    if q:
        scanned = scanned_product(session, q, category)
        if scanned is not None:
            return [scanned], 1
    dialect = session.get_bind().dialect.name
    conditions = []
    if q:
        conditions.append(search.matches(dialect, q))
    if category:
        conditions.append(Product.category == category)
    if not include_inactive:
        conditions.append(Product.active.is_(True))
    total = session.scalar(sa.select(sa.func.count()).select_from(Product).where(*conditions)) or 0
    rows = session.execute(_LIST.where(*conditions).order_by(*search.name_order(dialect))
                           .limit(page_size).offset((page - 1) * page_size)).all() if total else []
    codes: dict[int, list[str]] = {row[0]: [] for row in rows}
    if rows:
        for pid, code in session.execute(sa.select(_BARCODES.c.product_id, _BARCODES.c.barcode)
                                          .where(_BARCODES.c.product_id.in_(codes))
                                          .order_by(_BARCODES.c.product_id, _BARCODES.c.position)):
            codes[pid].append(code)
    return [ProductRow(*values, barcodes=codes[pid]) for pid, *values in rows], total


@dataclass(frozen=True)
class StockRow:
    sku: str
    name: str
    category: str
    unit: str
    on_hand: Decimal
    reorder_point: Decimal | None
    last_sold_at: datetime | None
    avg_cost: int | None
    supplier: str | None
    status: str = "ok"
    days_of_cover: Decimal | None = None
    empty_cylinders: Decimal | None = None  # LPG: empties in the shop, beside the full ones (on_hand)


def basic_status(on_hand: Decimal, reorder_point: Decimal | None) -> str:
    if on_hand <= 0:
        return "out"
    if reorder_point is not None and on_hand <= reorder_point:
        return "low"
    return "ok"


def stock_rows(session: Session, category: str | None = None) -> list[StockRow]:
    """Every active product with its level and signals (status, cover, reorder point); never sums the ledger.
    LPG cylinders also carry the empties in the shop beside the full ones."""
    return _stock_rows(session, signals.compute(session, category=category, reasons=False))


@dataclass(frozen=True)
class StockPage:
    rows: list[StockRow]
    counts: Counter  # products per status, over every page (and every status)
    total: int  # rows over every page of this status
    page: int  # the page shown: the one asked for, or the last there is


def stock_page(session: Session, category: str | None, status: str | None, page: int, size: int) -> StockPage:
    """One page of the stock list: every product's signals (the status totals count them all), rows
    made only for the `size` shown."""
    found = signals.compute(session, category=category, reasons=False)
    shown = [s for s in found if s.status == status] if status else found
    page = min(page, max(1, -(-len(shown) // size)))
    return StockPage(_stock_rows(session, shown[(page - 1) * size:page * size]), Counter(s.status for s in found),
                     len(shown), page)


def _stock_rows(session: Session, found: list) -> list[StockRow]:
    empties = empties_on_hand(session)
    return [StockRow(s.sku, s.name, s.category, s.unit, s.on_hand, s.reorder_point, s.last_sold_at, s.avg_cost,
                     s.supplier, s.status, _cover(s.days_of_cover),
                     empties.get(s.product_id, Decimal(0)) if takes_empties(s.category, s.unit) else None)
            for s in found]


def _cover(days: float | None) -> Decimal | None:
    return None if days is None else Decimal(repr(round(days, 1)))


@dataclass(frozen=True)
class MovementRow:
    id: int
    at: datetime
    kind: str
    qty: Decimal
    balance_after: Decimal
    reference: str
    user: str | None
    unit_cost: int | None


def movement_history(session: Session, sku: str, *, since: datetime | None = None, until: datetime | None = None,
                     kind: str | None = None, page: int = 1, page_size: int = 50) -> tuple[list[MovementRow], int]:
    """A product's ledger, newest first, with the balance after each movement. Unfiltered, the total is
    the level's movement count (kept by the ledger); filtered, that product's movements are counted."""
    found = session.execute(sa.select(Product.id, StockLevel.movement_count).outerjoin(StockLevel)
                            .where(Product.sku == sku)).first()
    if found is None:
        raise ProductNotFound(sku=sku)
    conditions = [StockMovement.product_id == found.id]
    if since:
        conditions.append(StockMovement.at >= since)
    if until:
        conditions.append(StockMovement.at < until)
    if kind:
        conditions.append(StockMovement.kind == kind)
    if len(conditions) == 1 and found.movement_count is not None:
        total = found.movement_count
    else:
        total = session.scalar(sa.select(sa.func.count()).select_from(StockMovement).where(*conditions)) or 0
    stmt = (sa.select(StockMovement.id, StockMovement.at, StockMovement.kind, StockMovement.qty,
                      StockMovement.balance_after, StockMovement.reference, User.username, StockMovement.unit_cost)
            .outerjoin(User, User.id == StockMovement.user_id).where(*conditions)
            .order_by(StockMovement.id.desc()).limit(page_size).offset((page - 1) * page_size))
    return [MovementRow(*row) for row in session.execute(stmt)], total


def movements_by_ids(session: Session, ids: list[int]) -> list[MovementRow]:
    stmt = (sa.select(StockMovement.id, StockMovement.at, StockMovement.kind, StockMovement.qty,
                      StockMovement.balance_after, StockMovement.reference, User.username, StockMovement.unit_cost)
            .outerjoin(User, User.id == StockMovement.user_id).where(StockMovement.id.in_(ids))
            .order_by(StockMovement.id))
    return [MovementRow(*row) for row in session.execute(stmt)]
