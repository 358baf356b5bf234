"""All tables of every package, for Alembic and for tests that compare them."""
from __future__ import annotations

import importlib

import sqlalchemy as sa

from suppliers.hub.partitions import is_partition_child

MODEL_MODULES = ("gerai.models", "gerai.outbox", "inventory.models", "inventory.sales_history", "inventory.empties",
                 "suppliers.models", "pos.models", "suppliers.hub.models", "suppliers.hub.indexes")
# Modules naming (in UNMODELLED) the tables and indexes their migrations make beside the models
# (inventory.search: SQLite's FTS5 table and its shadow tables, the trigram and NOCASE indexes).
UNMODELLED_MODULES = ("inventory.search",)


def metadata() -> sa.MetaData:
    """Import every models module (they register on the one Base) and return the metadata."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from gerai.db import Base

    return Base.metadata


def unmodelled_names() -> frozenset[str]:
    names: set[str] = set()
    for name in UNMODELLED_MODULES:
        names |= importlib.import_module(name).UNMODELLED
    return frozenset(names)


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic: leave out, before reflecting them, the objects migrations make beside the models
    (an FTS5 virtual table cannot even be reflected as a table)."""
    return name not in unmodelled_names() and not is_partition_child(name)


def include_object(obj, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """Alembic: the same objects, should one reach the comparison another way (and the hub's monthly
    partitions, children of the partitioned tables the models describe)."""
    return name not in unmodelled_names() and not is_partition_child(name)
