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


# --- proving that nothing changed, and that the ledger adds up ---------------------------------

DIGEST_TABLES = ("users", "login_failures", "suppliers", "products", "product_barcodes", "het_changes",
                 "stock_levels", "stock_documents", "stock_document_lines", "stock_movements")


def db_digest(db, tables=DIGEST_TABLES) -> dict[str, tuple[int, str]]:
    """Per table: row count and a checksum of every row, read on a connection of its own."""
    import hashlib

    out = {}
    with db.engine.execution_options(gerai_read_only=True).connect() as conn:
        for name in tables:
            rows = conn.exec_driver_sql(f'SELECT * FROM "{name}" ORDER BY 1').fetchall()
            out[name] = (len(rows), hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest())
    return out


def ledger_by_sql(db) -> dict[int, tuple[int, int, int | None]]:
    """product_id -> (level, sum of movements, lowest balance_after), all in raw thousandths, by plain SQL
    (independent of `ledger_differences` and of the Quantity type)."""
    sql = """SELECT l.product_id, l.on_hand, COALESCE(SUM(m.qty), 0), MIN(m.balance_after)
             FROM stock_levels l LEFT JOIN stock_movements m ON m.product_id = l.product_id
             GROUP BY l.product_id, l.on_hand"""
    with db.engine.execution_options(gerai_read_only=True).connect() as conn:
        return {pid: (int(level), int(total), None if low is None else int(low))
                for pid, level, total, low in conn.exec_driver_sql(sql)}


def movement_counts_by_sql(db) -> dict[int, tuple[int, int]]:
    """product_id -> (the level's movement_count, the number of its movements), by plain SQL."""
    sql = """SELECT l.product_id, l.movement_count, (SELECT count(*) FROM stock_movements m
             WHERE m.product_id = l.product_id) FROM stock_levels l"""
    with db.engine.execution_options(gerai_read_only=True).connect() as conn:
        return {pid: (int(kept), int(counted)) for pid, kept, counted in conn.exec_driver_sql(sql)}


def assert_ledger_sound(db, product_ids=None) -> None:
    """Every level (of these products, default all) equals the sum of its movements, none went below
    zero, and each level's movement count is the number of its movements."""
    counts = movement_counts_by_sql(db)
    for pid, (level, total, lowest) in ledger_by_sql(db).items():
        if product_ids is not None and pid not in product_ids:
            continue
        assert level == total, f"product {pid}: level {level} but movements sum to {total} (thousandths)"
        assert level >= 0 and (lowest is None or lowest >= 0), f"product {pid} went below zero"
        assert counts[pid][0] == counts[pid][1], f"product {pid}: movement_count {counts[pid][0]}, {counts[pid][1]} movements"
