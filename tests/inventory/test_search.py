"""Product search through the trigram index finds exactly what LIKE finds, in the same order, on
SQLite and PostgreSQL; the index follows every change to products; short fragments fall back to
LIKE; a code that is no barcode never reads the whole catalog."""
from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from conftest import create_pg_database, drop_pg_database
from gerai import migrate
from gerai.migrate import differences
from gerai.db import Database
from inventory import search
from inventory.models import Product
from inventory.queries import search_products

PRODUCTS = Product.__table__
NOW = datetime(2026, 1, 5, tzinfo=timezone.utc)
# letters in both cases, LIKE's own wildcards and escape, FTS5's quote, and letters whose case
# only Unicode folds (SQLite's LIKE and lower() fold ASCII alone): the index must not lose any
ALPHABET = "aAbBkKsS ie-%_\\\"'éÉßİıK0189"


def put_products(session, names: list[str], *, active=lambda i: True) -> None:
    session.execute(PRODUCTS.delete())  # the delete trigger, every example
    if names:
        session.execute(PRODUCTS.insert(), [
            {"sku": f"S{i}-{name[:3]}", "name": name, "category": "sembako", "unit": "pcs", "price": 1000,
             "subsidised": False, "taxable": False, "active": active(i), "created_at": NOW, "updated_at": NOW}
            for i, name in enumerate(names)])
    session.commit()


def by_like(session, q: str, include_inactive: bool = False) -> tuple[list[str], int]:
    """The search as it was before the index: ILIKE over name and SKU (what search_products must equal)."""
    pattern = search.like_pattern(q.strip())
    cond = [sa.or_(Product.name.ilike(pattern, escape="\\"), Product.sku.ilike(pattern, escape="\\"))]
    if not include_inactive:
        cond.append(Product.active.is_(True))
    dialect = session.get_bind().dialect.name
    skus = list(session.scalars(sa.select(Product.sku).where(*cond).order_by(*search.name_order(dialect))))
    return skus, len(skus)


def by_search(session, q: str, **kw) -> tuple[list[str], int]:
    items, total = search_products(session, q, page_size=500, **kw)
    return [p.sku for p in items], total


names = st.lists(st.text(ALPHABET, min_size=1, max_size=12), min_size=0, max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=names, queries=st.lists(st.text(ALPHABET, min_size=1, max_size=5), min_size=1, max_size=4),
       picks=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), st.integers(1, 6)), max_size=3))
def test_the_index_finds_exactly_what_like_finds(session, names, queries, picks):
    put_products(session, names, active=lambda i: i % 5 != 4)
    for n, start, length in picks:  # fragments of real names, cases swapped: the searches people type
        if names:
            name = names[n % len(names)]
            queries.append(name[start % len(name):][:length].swapcase())
    for q in queries:
        if not q.strip():
            continue
        for inactive in (False, True):
            assert by_search(session, q, include_inactive=inactive) == by_like(session, q, inactive), q


WORDS = ["Beras Medium 5 kg", "beras curah", "BERAS PREMIUM", "Gula pasir 1 kg", "Minyak goreng 2 l",
         "Minyakita 1 l", "Kopi 100% robusta", "Teh_celup", 'Sarden "ABC"', "Émping melinjo", "émping belinjo",
         "Kecap manis", "kecap asin"]
QUERIES = ["beras", "BERAS", "ras", "be", "b", "gula", "minyak goreng", "100%", "%", "_", "h_c", '"abc"', "émping",
           "ÉMPING", "mping", "kecap", "ap ", "8991234567890", "S1-", "s1-", "zzz"]


def test_search_equals_like_on_a_fixed_catalog_in_any_case_order(session):
    put_products(session, WORDS)
    for q in QUERIES:
        assert by_search(session, q) == by_like(session, q), q
    assert by_search(session, "BERAS")[0] == ["S1-ber", "S0-Ber", "S2-BER"]  # curah, Medium, PREMIUM: any case


def test_postgresql_search_equals_ilike(pg_db):
    with pg_db.session() as s:
        put_products(s, WORDS)
        for q in QUERIES:
            assert by_search(s, q) == by_like(s, q), q
        indexes = set(s.scalars(sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'products'")))
        assert set(search.PG_INDEXES) <= indexes  # pg_trgm exists on this server: the indexes were made


class Statements:
    """The SQL statements an engine runs, with their parameters."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []
        event.listen(engine, "before_cursor_execute", self.record)

    def stop(self) -> list[tuple[str, tuple]]:
        event.remove(self.engine, "before_cursor_execute", self.record)
        return self.seen

    def record(self, _conn, _cursor, statement, parameters, _context, _many):
        self.seen.append((statement, parameters))


def plan(path: str, statement: str, parameters) -> str:
    conn = sqlite3.connect(path)
    try:
        return "; ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statement, parameters))
    finally:
        conn.close()


@pytest.mark.parametrize(("q", "indexed"), [("beras", True), ("ras", True), ("8991234567890", True), ("be", False),
                                            ("b", False)])
def test_three_characters_use_the_index_and_fewer_use_like(db, session, q, indexed):
    put_products(session, WORDS)
    statements = Statements(db.engine)
    with db.read_session() as s:
        found = by_search(s, q)
        statements.stop()
        assert found == by_like(s, q)
    searches = [(sql, params) for sql, params in statements.seen if "LIKE" in sql]
    assert len(searches) == (2 if found[1] else 1)  # the count, and the page when there is one
    for sql, params in searches:
        steps = plan(db.engine.url.database, sql, params)
        assert ("MATCH" in sql and "VIRTUAL TABLE" in steps) == indexed, steps
        if indexed:  # the candidates come from the index, each product then by its key: no table scan
            assert "SCAN products" not in steps, steps


def test_an_unknown_barcode_reads_the_index_not_the_catalog(db, session):
    put_products(session, [f"Barang {i}" for i in range(300)])
    statements = Statements(db.engine)
    with db.read_session() as s:
        assert search_products(s, "8990000000017") == ([], 0)
    for sql, params in statements.stop():
        steps = plan(db.engine.url.database, sql, params)
        assert "SCAN products" not in steps and "SCAN product_barcodes" not in steps, (sql, steps)


def test_the_index_follows_new_renamed_and_deleted_products(session):
    put_products(session, ["Kopi Kapal Api", "Teh Sosro"])
    assert by_search(session, "kapal") == (["S0-Kop"], 1)
    session.execute(PRODUCTS.update().where(PRODUCTS.c.sku == "S0-Kop").values(name="Teh Botol", sku="TB-1"))
    session.commit()
    assert by_search(session, "kapal") == ([], 0)
    assert by_search(session, "teh") == (["TB-1", "S1-Teh"], 2)
    assert by_search(session, "tb-") == (["TB-1"], 1)
    session.execute(PRODUCTS.delete().where(PRODUCTS.c.sku == "S1-Teh"))
    session.commit()
    assert by_search(session, "sosro") == ([], 0)
    session.execute(sa.text("INSERT INTO product_search(product_search) VALUES ('integrity-check')"))  # raises if out of step


def test_migration_without_rights_to_pg_trgm_still_succeeds_and_search_works(pg_server_url):
    """A hub whose database user may not create extensions: no trigram indexes, the same answers."""
    role = f"gerai_noext_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
    url = create_pg_database(pg_server_url, prefix="gerai_noext")
    owner = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with owner.connect() as conn:  # may make tables in public, but not extensions in the database
            conn.exec_driver_sql(f'GRANT CREATE, USAGE ON SCHEMA public TO "{role}"')
        as_role = sa.make_url(url).set(username=role).render_as_string(hide_password=False)
        migrate.upgrade(as_role)
        assert differences(as_role) == []
        db = Database(as_role)
        try:
            with db.session() as s:
                assert s.scalar(sa.text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")) == 0
                put_products(s, WORDS)
                for q in ("beras", "ÉMPING", "100%", "be"):
                    assert by_search(s, q) == by_like(s, q), q
        finally:
            db.dispose()
    finally:
        owner.dispose()
        drop_pg_database(pg_server_url, url)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()
