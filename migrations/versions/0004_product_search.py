"""Product search through a trigram index (inventory/search.py).

SQLite: an FTS5 table `product_search` with the trigram tokenizer over products(name, sku),
external content, kept in step by triggers on products, filled from the products already there;
and an index on name COLLATE NOCASE for the case-insensitive order of short searches.

PostgreSQL: the pg_trgm extension and GIN trigram indexes on lower(name) and lower(sku). A server
that will not let this user create the extension keeps searching without them (the same query,
unindexed): the migration goes on rather than fail. The downgrade leaves the extension installed
(other databases' objects may use it), dropping only the indexes.

These objects are not in the models; gerai.schema keeps autogenerate from comparing them. A later
batch rebuild of `products` on SQLite drops the triggers: create them again as below.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 20:20:00

"""
import logging
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SQLITE_UP = (
    "CREATE VIRTUAL TABLE product_search USING fts5(name, sku, content='products', content_rowid='id', "
    "tokenize='trigram')",
    """CREATE TRIGGER product_search_ai AFTER INSERT ON products BEGIN
        INSERT INTO product_search(rowid, name, sku) VALUES (new.id, new.name, new.sku); END""",
    """CREATE TRIGGER product_search_ad AFTER DELETE ON products BEGIN
        INSERT INTO product_search(product_search, rowid, name, sku) VALUES ('delete', old.id, old.name, old.sku); END""",
    """CREATE TRIGGER product_search_au AFTER UPDATE OF name, sku ON products BEGIN
        INSERT INTO product_search(product_search, rowid, name, sku) VALUES ('delete', old.id, old.name, old.sku);
        INSERT INTO product_search(rowid, name, sku) VALUES (new.id, new.name, new.sku); END""",
    "INSERT INTO product_search(product_search) VALUES ('rebuild')",
    "CREATE INDEX ix_products_name_nocase ON products (name COLLATE NOCASE)",
)
SQLITE_DOWN = (
    "DROP INDEX IF EXISTS ix_products_name_nocase",
    "DROP TRIGGER IF EXISTS product_search_au",
    "DROP TRIGGER IF EXISTS product_search_ad",
    "DROP TRIGGER IF EXISTS product_search_ai",
    "DROP TABLE IF EXISTS product_search",
)
PG_UP = (
    "CREATE INDEX IF NOT EXISTS ix_products_name_trgm ON products USING gin (lower(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_products_sku_trgm ON products USING gin (lower(sku) gin_trgm_ops)",
)
PG_DOWN = ("DROP INDEX IF EXISTS ix_products_sku_trgm", "DROP INDEX IF EXISTS ix_products_name_trgm")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        try:
            with bind.begin_nested():  # a refusal must not abort the migration's transaction
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except sa.exc.DBAPIError as err:
            logging.getLogger("alembic").warning("pg_trgm unavailable (%s): product search runs unindexed",
                                                 str(err.orig).strip().splitlines()[0])
            return
        for statement in PG_UP:
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in SQLITE_DOWN if bind.dialect.name == "sqlite" else PG_DOWN:
        op.execute(statement)
