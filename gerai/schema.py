"""All tables of every package, for Alembic and for tests that compare them."""
from __future__ import annotations

import importlib

import sqlalchemy as sa

MODEL_MODULES = ("gerai.models", "inventory.models", "inventory.sales_history", "inventory.empties", "suppliers.models",
                 "pos.models")


def metadata() -> sa.MetaData:
    """Import every models module (they register on the one Base) and return the metadata."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from gerai.db import Base

    return Base.metadata
