"""`gerai import-sales`: past sales as sale movements on their days, all rows or none."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa
from flask.cli import ScriptInfo

import factories as f
from gerai.cli import main
from inventory import stock
from inventory.import_sales import import_sales_csv
from inventory.ledger import ledger_differences
from inventory.models import StockLevel, StockMovement
from inventory.sales_history import DailySales, StockOut, day_date
from signal_helpers import JAKARTA

NOW = datetime(2025, 6, 30, 5, 0, tzinfo=timezone.utc)


def write(tmp_path, text):
    path = tmp_path / "penjualan.csv"
    path.write_text(text, encoding="utf-8")
    return path


def counts(session):
    return (session.scalar(sa.select(sa.func.count()).select_from(StockMovement)),
            session.scalar(sa.select(sa.func.count()).select_from(DailySales)))


def test_past_sales_land_on_their_days_without_stock_and_a_count_sets_today(session, tmp_path):
    beras = f.product(session, sku="BERAS", unit="kg", price=14000)
    gula = f.product(session, sku="GULA", price=18000)
    path = write(tmp_path, "date,sku,qty,unit_price\n2025-06-01,BERAS,\"12,5\",13500\n2025-06-01,GULA,3,17.500\n"
                           "02/06/2025,GULA,2,\n2025-06-02,GULA,1,\n2025-06-03,BERAS,0,13500\n")
    result = import_sales_csv(session, path, now=NOW)
    assert result.errors == [] and (result.rows, result.days, result.products) == (5, 2, 2)
    assert (result.first, result.last) == (date(2025, 6, 1), date(2025, 6, 2))
    history = {(r.product_id, day_date(r.day)): (r.qty, r.lines, r.amount) for r in session.scalars(sa.select(DailySales))}
    assert history == {(beras.id, date(2025, 6, 1)): (Decimal("12.5"), 1, 168750),
                       (gula.id, date(2025, 6, 1)): (3, 1, 52500),
                       (gula.id, date(2025, 6, 2)): (3, 1, 54000)}
    levels = {lv.product_id: lv for lv in session.scalars(sa.select(StockLevel))}
    assert levels[gula.id].on_hand == -6 and levels[beras.id].on_hand == Decimal("-12.5")
    assert levels[gula.id].last_sold_at.astimezone(JAKARTA).date() == date(2025, 6, 2)
    assert session.scalar(sa.select(sa.func.count()).select_from(StockOut)) == 0  # no stock was recorded yet
    stock.count_stock(session, [{"sku": "GULA", "counted": Decimal(40)}, {"sku": "BERAS", "counted": Decimal(100)}])
    session.expire_all()
    assert session.get(StockLevel, gula.id).on_hand == 40
    assert ledger_differences(session) == []


def test_any_bad_row_is_reported_by_line_and_nothing_is_imported(session, tmp_path):
    f.product(session, sku="GULA")
    f.product(session, sku="BERAS", unit="kg")
    before = counts(session)
    tomorrow = (NOW.astimezone(JAKARTA).date() + timedelta(days=1)).isoformat()
    path = write(tmp_path, "date,sku,qty,unit_price\n2025-06-01,GULA,3,17500\n2025-13-01,GULA,1,1\n"
                           "2025-06-01,KOPI,1,1\n2025-06-01,GULA,1.5,1\n2025-06-01,BERAS,-2,1\n"
                           f"{tomorrow},GULA,1,1\n2025-06-01,GULA,1,12,5\n2025-06-01,GULA,x,1\n")
    result = import_sales_csv(session, path, now=NOW)
    assert [line for line, _ in result.errors] == [3, 4, 5, 6, 7, 8, 9]
    messages = dict(result.errors)
    assert "not a date" in messages[3] and "KOPI" in messages[4] and "whole units" in messages[5]
    assert "negative" in messages[6] and "after today" in messages[7] and "too many" in messages[8]
    assert counts(session) == before


def test_a_wrong_header_is_line_one(session, tmp_path):
    result = import_sales_csv(session, write(tmp_path, "tanggal,sku,jumlah\n2025-06-01,GULA,3\n"), now=NOW)
    assert result.errors[0][0] == 1 and "date,sku,qty,unit_price" in result.errors[0][1]


def gerai(runner, app, *args):
    """The `gerai` command itself, on the test's app."""
    return runner.invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_the_command_reports_bad_lines_and_exits_non_zero(runner, app, tmp_path):
    path = write(tmp_path, "date,sku,qty,unit_price\n2025-06-01,NOPE,3,100\n")
    res = gerai(runner, app, "import-sales", str(path))
    assert res.exit_code == 1
    assert "line 2: sku: no product with SKU 'NOPE'" in res.output and "nothing was imported" in res.output


def test_the_command_imports_with_a_progress_bar(runner, app, tmp_path):
    s = app.extensions["gerai_db"].session()
    f.product(s, sku="GULA")
    s.close()
    path = write(tmp_path, "date,sku,qty,unit_price\n2025-06-01,GULA,3,100\n2025-06-02,GULA,4,100\n")
    res = gerai(runner, app, "import-sales", str(path))
    assert res.exit_code == 0, res.output
    assert "Imported 2 row(s): sales of 1 product(s) on 2 day(s) from 2025-06-01 to 2025-06-02" in res.output
