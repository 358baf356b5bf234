"""Make any object the tests need in one call, through the real services."""
from __future__ import annotations

import itertools
from decimal import Decimal

import sqlalchemy as sa

from gerai.models import User
from inventory import catalog, stock
from inventory.barcodes import gtin_check_digit
from inventory.models import Product, Supplier

_seq = itertools.count(1)


def ean13(n: int | None = None) -> str:
    body = f"899{(n if n is not None else next(_seq)) % 10**9:09d}"
    return body + str(gtin_check_digit(body))


def supplier(session, code: str = "BULOG", **kw) -> Supplier:
    existing = session.get(Supplier, code)
    if existing is not None:
        return existing
    data = {"code": code, "name": kw.pop("name", f"Pemasok {code}"), "lead_time_days": 3, "pack_size": None,
            "contact": None, **kw}
    return catalog.create_supplier(session, data)


def product(session, sku: str | None = None, **kw) -> Product:
    """A product with sensible defaults (sold in pcs at Rp10.000, supplier BULOG)."""
    n = next(_seq)
    sku = sku or f"SKU-{n}"
    supplier(session, kw.get("supplier") or "BULOG")
    data = {"sku": sku, "name": kw.pop("name", f"Barang {n}"), "barcodes": kw.pop("barcodes", [ean13(n)]),
            "category": "sembako", "unit": "pcs", "price": 10000, "het": None, "subsidised": False,
            "quota": None, "supplier": "BULOG", "reorder": None, "taxable": False, "shelf_life_days": None,
            "active": True, **kw}
    return catalog.create_product(session, data)


def receive(session, sku: str, qty, unit_cost: int | None = 8000, supplier_code: str = "BULOG", user_id=None):
    return stock.receive_goods(session, supplier_code, "SJ-TEST", [{"sku": sku, "qty": Decimal(str(qty)), "unit_cost": unit_cost}],
                               user_id=user_id)


def user_id(session, username: str) -> int:
    return session.scalar(sa.select(User.id).where(User.username == username))
