"""Floors: the same answers read with raw `sqlite3` and the least work, for the same file.

Each function returns what the app's service or endpoint returns (the same rows and fields),
so "figure / floor" is the cost of everything the app adds: SQLAlchemy, marshmallow, Flask,
the auth check. Quantities stay integer thousandths and are written as "12.500" by integer
arithmetic, like the API does.
"""
from __future__ import annotations

import sqlite3

PRODUCT_COLUMNS = ("p.id, p.sku, p.name, p.category, p.unit, p.price, p.het, p.subsidised, p.quota_qty,"
                   " p.quota_period_days, p.supplier_code, p.reorder_min, p.reorder_max, p.taxable,"
                   " p.shelf_life_days, p.active, l.on_hand")
PRODUCT_KEYS = ("id", "sku", "name", "category", "unit", "price", "het", "subsidised", "quota_qty", "quota_period_days",
                "supplier", "reorder_min", "reorder_max", "taxable", "shelf_life_days", "active", "on_hand")
BY_BARCODE = (f"SELECT {PRODUCT_COLUMNS} FROM product_barcodes b JOIN products p ON p.id = b.product_id"
              " LEFT JOIN stock_levels l ON l.product_id = p.id WHERE b.barcode = ?")
LIKE = "(p.name LIKE ? ESCAPE '\\' OR p.sku LIKE ? ESCAPE '\\') AND p.active = 1"
SEARCH_COUNT = f"SELECT count(*) FROM products p WHERE {LIKE}"
SEARCH_PAGE = (f"SELECT {PRODUCT_COLUMNS} FROM products p LEFT JOIN stock_levels l ON l.product_id = p.id"
               f" WHERE {LIKE} ORDER BY p.name, p.id LIMIT ? OFFSET ?")
STOCK = ("SELECT p.sku, p.name, p.category, p.unit, l.on_hand, p.reorder_min, l.last_sold_at, l.avg_cost,"
         " p.supplier_code FROM products p JOIN stock_levels l ON l.product_id = p.id WHERE p.active = 1"
         " ORDER BY p.category, p.name")
STOCK_KEYS = ("sku", "name", "category", "unit", "on_hand", "reorder_point", "last_sold_at", "avg_cost", "supplier")
MOVES_COUNT = "SELECT count(*) FROM stock_movements WHERE product_id = ?"
MOVES_PAGE = ("SELECT m.id, m.at, m.kind, m.qty, m.balance_after, m.reference, u.username, m.unit_cost"
              " FROM stock_movements m LEFT JOIN users u ON u.id = m.user_id WHERE m.product_id = ?"
              " ORDER BY m.id DESC LIMIT ? OFFSET ?")
MOVE_KEYS = ("id", "at", "kind", "qty", "balance_after", "reference", "user", "unit_cost")


def connect(path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False)
    conn.execute("PRAGMA query_only=1")
    return conn


def qty(milli: int | None) -> str | None:
    if milli is None:
        return None
    whole, frac = divmod(abs(milli), 1000)
    return f"{'-' if milli < 0 else ''}{whole}.{frac:03d}"


def like_pattern(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _products(conn: sqlite3.Connection, rows: list[tuple]) -> list[dict]:
    """Product dicts with their barcodes, the barcodes of all of them in one IN query."""
    products = [dict(zip(PRODUCT_KEYS, row)) for row in rows]
    if not products:
        return products
    ids = [p["id"] for p in products]
    codes: dict[int, list[str]] = {}
    for pid, code in conn.execute(f"SELECT product_id, barcode FROM product_barcodes WHERE product_id IN"
                                  f" ({', '.join('?' * len(ids))}) ORDER BY product_id, position", ids):
        codes.setdefault(pid, []).append(code)
    for p in products:
        p["barcodes"] = codes.get(p["id"], [])
        p["on_hand"] = qty(p["on_hand"])
    return products


def product_by_barcode(conn: sqlite3.Connection, code: str) -> dict | None:
    found = _products(conn, conn.execute(BY_BARCODE, (code,)).fetchall())
    return found[0] if found else None


def search(conn: sqlite3.Connection, q: str, page_size: int = 50) -> tuple[list[dict], int]:
    """The page of products whose name or SKU contains q (SQLite's LIKE ignores ASCII case), and the count."""
    pattern = like_pattern(q)
    total = conn.execute(SEARCH_COUNT, (pattern, pattern)).fetchone()[0]
    return _products(conn, conn.execute(SEARCH_PAGE, (pattern, pattern, page_size, 0)).fetchall()), total


def stock_rows(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute(STOCK).fetchall()


def stock_dicts(conn: sqlite3.Connection) -> list[dict]:
    """The stock list as the API shapes it, with the ok/low/out status."""
    out = []
    for row in conn.execute(STOCK):
        d = dict(zip(STOCK_KEYS, row))
        on_hand, point = d["on_hand"], d["reorder_point"]
        d["status"] = "out" if on_hand <= 0 else "low" if point is not None and on_hand <= point else "ok"
        d["on_hand"], d["reorder_point"] = qty(on_hand), qty(point)
        out.append(d)
    return out


def movements(conn: sqlite3.Connection, sku: str, page_size: int = 50) -> tuple[list[dict], int]:
    (pid,) = conn.execute("SELECT id FROM products WHERE sku = ?", (sku,)).fetchone()
    total = conn.execute(MOVES_COUNT, (pid,)).fetchone()[0]
    rows = [dict(zip(MOVE_KEYS, row)) for row in conn.execute(MOVES_PAGE, (pid, page_size, 0))]
    for r in rows:
        r["qty"], r["balance_after"] = qty(r["qty"]), qty(r["balance_after"])
    return rows, total
