"""Money and quantities: exact in, exact stored, exact summed, written the Indonesian way."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from gerai.numbers import (QTY_MAX, Quantity, QuantityError, format_qty, format_rupiah, from_milli, parse_qty,
                           qty_str, to_milli)

THOUSANDTHS = st.integers(min_value=-to_milli(QTY_MAX), max_value=to_milli(QTY_MAX))


@pytest.mark.parametrize(("given_", "expected"), [
    (7, "7.000"), ("2.5", "2.500"), (" 2.5 ", "2.500"), (Decimal("0.125"), "0.125"), ("1E+2", "100.000"),
    ("-0.5", "-0.500"), ("0", "0.000"), ("2.500000", "2.500"), ("99999999999.999", "99999999999.999"),
])
def test_parse_qty_takes_exact_decimals(given_, expected):
    assert qty_str(parse_qty(given_)) == expected


@pytest.mark.parametrize(("given_", "message"), [
    (2.5, "decimal strings"), (True, "decimal strings"), ("abc", "Not a number"), ("", "Not a number"),
    (None, "Not a number"), ([1], "Not a number"), ("NaN", "finite"), ("-Infinity", "finite"), ("sNaN", "finite"),
    ("1.0005", "3 decimal places"), ("0.0001", "3 decimal places"), ("1e-999999999", "3 decimal places"),
    ("100000000000", "too large"), (10**20, "too large"), ("1e30", "too large"), (Decimal("1E+30"), "too large"),
    ("1e999999999", "too large"), ("-1e999999999", "too large"), ("9" * 5000, "too large"),
])
def test_parse_qty_refuses_what_is_not_an_exact_small_decimal(given_, message):
    """Each refusal is a QuantityError (a 422 at the API), never a decimal or overflow exception (a 500)."""
    with pytest.raises(QuantityError, match=message):
        parse_qty(given_)


@given(THOUSANDTHS)
def test_a_quantity_survives_writing_and_reading_back(milli):
    qty = from_milli(milli)
    assert to_milli(qty) == milli
    assert parse_qty(qty_str(qty)) == qty
    assert parse_qty(str(qty.normalize())) == qty


@pytest.mark.parametrize(("amount", "text"), [(12500, "Rp12.500"), (0, "Rp0"), (999, "Rp999"), (1000, "Rp1.000"),
                                              (1_234_567, "Rp1.234.567"), (-2000, "-Rp2.000")])
def test_format_rupiah(amount, text):
    assert format_rupiah(amount) == text


@pytest.mark.parametrize(("qty", "fractional", "text"), [
    ("2.5", True, "2,5"), ("12", True, "12"), ("12.000", True, "12"), ("1234.5", True, "1.234,5"),
    ("0.125", True, "0,125"), ("-0.25", True, "-0,25"), ("1000000", True, "1.000.000"), ("3", False, "3"),
    ("-2", False, "-2"),
])
def test_format_qty(qty, fractional, text):
    assert format_qty(Decimal(qty), fractional) == text


def test_quantities_are_stored_and_summed_exactly_on_both_engines(any_db):
    """A tenth is not exact in binary floating point: ten thousand of them must sum to exactly 1000."""
    table = sa.Table("qty_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("q", Quantity))
    table.create(any_db.engine)
    try:
        edge = [QTY_MAX, -QTY_MAX, Decimal("0.001"), Decimal("-0.001")]
        with any_db.engine.begin() as conn:
            conn.execute(table.insert(), [{"q": q} for q in edge])
            back = [r.q for r in conn.execute(sa.select(table.c.q).order_by(table.c.id))]
            assert back == edge and all(isinstance(q, Decimal) for q in back)
            conn.execute(table.delete())
            conn.execute(table.insert(), [{"q": Decimal("0.1")} for _ in range(10_000)])
            total = conn.execute(sa.select(sa.func.sum(table.c.q))).scalar()
            assert total == Decimal("1000.000") and isinstance(total, Decimal)
    finally:
        table.drop(any_db.engine)
