"""Finding products by a fragment of their name or SKU, through a trigram index.

A LIKE '%fragment%' reads every product (20,000 in a big shop: tens of milliseconds). A trigram
index knows which products hold each run of three characters, so it goes straight to the few.

- SQLite: an FTS5 table `product_search` (trigram tokenizer) over products(name, sku), external
  content (it keeps the index only, the text stays in `products`), kept in step by triggers on
  `products` (migration 0004). A fragment of 3+ characters asks it for candidates; the same LIKE
  as before then keeps exactly the products LIKE alone would find: the index folds case more
  widely than SQLite's LIKE (which ignores only ASCII case), so its candidates are a superset.
  One or two characters make no trigram: LIKE over the table, ordered through a NOCASE index.
- PostgreSQL: GIN trigram indexes (pg_trgm) on lower(name) and lower(sku) serve
  `lower(column) LIKE lower(pattern)` as they stand; where the extension could not be created
  the same query runs without them.

Either way a digits-only code that is no barcode (goods the shop never listed) is looked up in
the index, never by reading the whole catalog.

Note for later migrations: a batch ("move and copy") rebuild of `products` drops its triggers;
such a revision must create them again (as migration 0004 does). `tests/inventory/test_search.py`
checks that the index follows inserts, renames and deletes at head.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from inventory.models import Product

TRIGRAM = 3  # characters: a shorter fragment has no trigram to look up
FTS_TABLE = "product_search"
NOCASE_INDEX = "ix_products_name_nocase"
PG_INDEXES = ("ix_products_name_trgm", "ix_products_sku_trgm")
# made by the migration beside the models: autogenerate neither compares nor drops them (gerai.schema)
UNMODELLED = frozenset({FTS_TABLE, *(f"{FTS_TABLE}_{part}" for part in ("data", "idx", "docsize", "config", "content")),
                        NOCASE_INDEX, *PG_INDEXES})

_FTS = sa.table(FTS_TABLE, sa.column("rowid"), sa.column(FTS_TABLE))


def like_pattern(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def fts_phrase(q: str) -> str:
    """`q` as one FTS5 phrase: with the trigram tokenizer, the substring `q` anywhere in a column."""
    return '"' + q.replace('"', '""') + '"'


def matches(dialect: str, q: str) -> ColumnElement[bool]:
    """Products whose name or SKU holds `q`, any case: exactly what LIKE finds, found through the index."""
    pattern = like_pattern(q)
    if dialect != "sqlite":
        return sa.or_(sa.func.lower(Product.name).like(sa.func.lower(pattern), escape="\\"),
                      sa.func.lower(Product.sku).like(sa.func.lower(pattern), escape="\\"))
    # SQLite's LIKE ignores ASCII case as its lower() does, without calling lower() on every row
    like = sa.or_(Product.name.like(pattern, escape="\\"), Product.sku.like(pattern, escape="\\"))
    if len(q) < TRIGRAM:
        return like
    return sa.and_(Product.id.in_(sa.select(_FTS.c.rowid).where(_FTS.c[FTS_TABLE].match(fts_phrase(q)))), like)


def name_order(dialect: str) -> tuple:
    """By name, any case (`beras` beside `Beras`), then by id: the same order on every page."""
    name = Product.name.collate("NOCASE") if dialect == "sqlite" else sa.func.lower(Product.name)
    return name, Product.id
