"""Migration 0002 (the till) builds the models' schema on SQLite and PostgreSQL, and goes back down."""
import pytest
from alembic import command

import uuid

import sqlalchemy as sa

from gerai.migrate import alembic_config, differences, upgrade


def up_down_up(url: str) -> None:
    upgrade(url)
    assert differences(url) == []
    command.downgrade(alembic_config(url), "0001")
    upgrade(url)
    assert differences(url) == []


def test_migration_on_sqlite(tmp_path):
    up_down_up(f"sqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
def test_migration_on_postgres(pg_server_url):
    name = f"gerai_mig_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        up_down_up(sa.make_url(pg_server_url).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
