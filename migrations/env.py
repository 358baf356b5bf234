"""Alembic environment: the project's own engine recipe, batch mode for SQLite, all models."""
from __future__ import annotations

from alembic import context
from sqlalchemy.types import TypeDecorator

from gerai.db import make_engine
from gerai.schema import include_name, include_object, metadata

config = context.config
target_metadata = metadata()


def render_item(type_, obj, autogen_context):
    """Write the project's column types as their plain storage type, so old revisions never
    depend on today's Python classes (Quantity is a BIGINT of thousandths, UTCDateTime a timestamp)."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        impl = obj.impl_instance if hasattr(obj, "impl_instance") else obj.impl
        return f"sa.{impl!r}"
    return False


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True, render_item=render_item, include_name=include_name,
                      include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    engine = None
    if connection is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url"))
        connection = engine.connect()
    sqlite = connection.dialect.name == "sqlite"
    try:
        if sqlite:
            # Batch mode rebuilds tables; with foreign keys on, dropping the old copy would
            # cascade into child rows. Off for the migration, checked before it commits.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          transactional_ddl=True, compare_type=True, render_item=render_item,
                          include_name=include_name, include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                bad = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if bad:
                    raise RuntimeError(f"migration left rows breaking foreign keys: {bad[:5]}")
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
        if engine is not None:
            connection.close()
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
