"""Migration 0003: a shop that already sold gets its daily history from its ledger (tests/test_migrations.py
checks every revision against the models on SQLite and PostgreSQL)."""
from datetime import datetime, timezone

import sqlalchemy as sa

from gerai import migrate
from gerai.db import Database


def test_a_shop_that_already_sold_gets_its_history_from_the_ledger(tmp_path, monkeypatch):
    monkeypatch.setenv("GERAI_TIMEZONE", "Asia/Makassar")
    url = f"sqlite:///{tmp_path / 'g.db'}"
    migrate.upgrade(url, "0001")
    engine = sa.create_engine(url)
    ts = "2025-06-01 16:30:00.000000"  # 00:30 on 2 June in WITA
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO products (id, sku, name, category, unit, price, subsidised, taxable, active, "
                             "created_at, updated_at) VALUES (1, 'A', 'A', 'sembako', 'pcs', 5000, 0, 0, 1, ?, ?)", (ts, ts))
        conn.exec_driver_sql("INSERT INTO stock_levels (product_id, on_hand, last_movement_id, updated_at) "
                             "VALUES (1, 0, 3, ?)", (ts,))
        for i, (kind, qty) in enumerate((("receipt", 3000), ("sale", -2000), ("sale", -1000)), 1):
            conn.exec_driver_sql("INSERT INTO stock_movements (id, product_id, at, kind, qty, balance_after, "
                                 "source_type, source_id, reference) VALUES (?, 1, ?, ?, ?, 0, 't', 't', '')",
                                 (i, ts, kind, qty))
    engine.dispose()
    migrate.upgrade(url)
    db = Database(url)
    with db.session() as s:
        day = (datetime(2025, 6, 2, tzinfo=timezone.utc).date() - datetime(1970, 1, 1).date()).days
        assert s.execute(sa.text("SELECT product_id, day, qty, lines, amount FROM daily_sales")).all() == [
            (1, day, 3000, 2, 15000)]
        assert s.execute(sa.text("SELECT product_id FROM stock_outs WHERE ended_at IS NULL")).all() == [(1,)]
    db.dispose()
