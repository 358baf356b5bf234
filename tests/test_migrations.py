"""Migrations are code: an empty database upgraded to head on SQLite and PostgreSQL matches the
models exactly (autogenerate finds nothing, and the CHECK constraints it cannot see are there too),
goes down to nothing and back up, and `gerai init` is safe to run twice."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from conftest import create_pg_database, drop_pg_database
from gerai import migrate
from gerai.app import create_app
from gerai.cli import main
from gerai.config import load_config
from gerai.db import make_engine
from gerai.migrate import differences
from gerai.schema import metadata, unmodelled_names
from suppliers.hub.partitions import is_partition_child


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    """A database with nothing in it at all: a new file, or a freshly created PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = request.getfixturevalue("pg_server_url")
    url = create_pg_database(server, prefix="gerai_migr")
    yield url
    drop_pg_database(server, url)


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def check_constraints_in_db(url: str) -> set[tuple[str, str]]:
    engine = make_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {(t, c["name"]) for t in inspector.get_table_names() for c in inspector.get_check_constraints(t)}
    finally:
        engine.dispose()


def test_an_empty_database_upgraded_to_head_matches_the_models(empty_url):
    migrate.upgrade(empty_url)
    assert differences(empty_url) == []
    partitions = {t for t in tables(empty_url) if is_partition_child(t)}  # the hub's months (PostgreSQL)
    assert tables(empty_url) - unmodelled_names() - partitions == set(metadata().tables) | {"alembic_version"}
    assert bool(partitions) == empty_url.startswith("postgresql")
    if empty_url.startswith("sqlite"):  # the product search's FTS5 table, left out of the comparison above
        assert {"product_search", "product_search_data", "product_search_idx"} <= tables(empty_url)
    engine = make_engine(empty_url)
    try:
        assert migrate.is_current(engine)
    finally:
        engine.dispose()


def test_every_check_constraint_of_the_models_is_in_the_database(empty_url):
    """Autogenerate does not compare CHECK constraints, so a revision that forgot one passes the test above."""
    migrate.upgrade(empty_url)
    wanted = {(table.name, constraint.name) for table in metadata().sorted_tables
              for constraint in table.constraints if isinstance(constraint, sa.CheckConstraint)}
    assert wanted, "the models declare CHECK constraints; none found means this test is broken"
    assert wanted <= check_constraints_in_db(empty_url)


def test_downgrade_to_base_and_upgrade_again(empty_url):
    migrate.upgrade(empty_url)
    command.downgrade(migrate.alembic_config(empty_url), "base")
    assert tables(empty_url) <= {"alembic_version"}
    migrate.upgrade(empty_url)
    assert differences(empty_url) == []


def test_the_check_constraints_really_hold(empty_url):
    """The ledger's own guards, in the database itself (not only in the services)."""
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO suppliers (code, name, lead_time_days, created_at, updated_at) "
                                 "VALUES ('B', 'b', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
        bad_rows = [
            "INSERT INTO products (sku, name, category, unit, price, het, subsidised, taxable, active, created_at, "
            "updated_at) VALUES ('P', 'p', 'sembako', 'kg', 15000, 14000, false, false, true, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)",
            "INSERT INTO products (sku, name, category, unit, price, subsidised, taxable, active, created_at, "
            "updated_at) VALUES ('P', 'p', 'elektronik', 'kg', 1, false, false, true, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)",
            "INSERT INTO users (username, full_name, password_hash, role, active, created_at) "
            "VALUES ('u', '', 'x', 'owner', true, CURRENT_TIMESTAMP)",
        ]
        for sql in bad_rows:
            with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
                conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def test_the_revisions_form_one_line_with_named_files():
    """One head (two engineers' revisions on the same parent must be merged), files `<rev>_<slug>.py`."""
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()}; merge them"
    for revision in script.walk_revisions():
        name = Path(revision.path).name
        assert re.fullmatch(rf"{re.escape(revision.revision)}_[a-z0-9_]+\.py", name), name
        assert re.fullmatch(r"\d{4}", revision.revision), revision.revision


def test_gerai_init_twice_is_fine(empty_url, tmp_path):
    settings = load_config({}, instance=str(tmp_path / "instance"), database_url=empty_url, secret_key="k")
    app = create_app(settings)
    try:
        runner = app.test_cli_runner()
        for _ in range(2):
            result = runner.invoke(main, ["init"])
            assert result.exit_code == 0, result.output
            assert "Database ready" in result.output
        assert differences(empty_url) == []
    finally:
        app.extensions["gerai_db"].dispose()


def test_0005_counts_the_movements_already_recorded(empty_url):
    migrate.upgrade(empty_url, "0004")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO products (id, sku, name, category, unit, price, subsidised, taxable, active, "
                                 "created_at, updated_at) VALUES (1, 'A', 'a', 'sembako', 'kg', 1, false, false, true, "
                                 "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), (2, 'B', 'b', 'sembako', 'kg', 1, false, false, "
                                 "true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
            conn.exec_driver_sql("INSERT INTO stock_levels (product_id, on_hand, updated_at) VALUES "
                                 "(1, 3000, CURRENT_TIMESTAMP), (2, 0, CURRENT_TIMESTAMP)")
            conn.exec_driver_sql("INSERT INTO stock_movements (product_id, at, kind, qty, balance_after, source_type, "
                                 "source_id, reference) VALUES " + ", ".join(
                                     ["(1, CURRENT_TIMESTAMP, 'receipt', 1000, 1000, 'x', 'x', '')"] * 3))
        migrate.upgrade(empty_url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT product_id, movement_count FROM stock_levels ORDER BY 1").all() == [
                (1, 3), (2, 0)]
    finally:
        engine.dispose()
