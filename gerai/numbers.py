"""Money and quantities: Rupiah are whole integers, quantities exact decimals to 3 places.

Quantities are stored as integer thousandths (`Quantity` column type). SQLite has no
decimal type: a `Numeric` column there keeps REAL floats, and `SUM()` over floats drifts.
Integer thousandths are exact on SQLite and PostgreSQL alike and sum exactly in SQL.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

QTY_PLACES = Decimal("0.001")
QTY_MAX = Decimal("99999999999.999")  # fits Numeric(14, 3)
MONEY_MAX = 10**12  # one trillion Rupiah: far beyond any shop document


class QuantityError(ValueError):
    """A quantity that is not an exact decimal with at most 3 places."""


def parse_qty(value: object) -> Decimal:
    """Turn API input (int, str, Decimal) into an exact Decimal; floats are refused."""
    if isinstance(value, bool) or isinstance(value, float):
        raise QuantityError("Quantities must be written as decimal strings or integers")
    try:
        qty = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise QuantityError("Not a number") from None
    if not qty.is_finite():
        raise QuantityError("Not a finite number")
    if qty.copy_abs() > QTY_MAX:  # first, context-free: 1e30 has more digits than quantize can hold
        raise QuantityError("Number too large")
    if qty != qty.quantize(QTY_PLACES, rounding=ROUND_HALF_UP):
        raise QuantityError("At most 3 decimal places")
    return qty.quantize(QTY_PLACES)


def qty_str(qty: Decimal) -> str:
    """The API's way to write a quantity: always 3 decimals, e.g. `2.500`."""
    return str(Decimal(qty).quantize(QTY_PLACES))


def to_milli(qty: Decimal) -> int:
    return int((Decimal(qty) * 1000).to_integral_exact())


def from_milli(milli: int) -> Decimal:
    return (Decimal(int(milli)) / 1000).quantize(QTY_PLACES)


class Quantity(TypeDecorator):
    """Decimal quantity kept as a BIGINT of thousandths (see module docstring)."""

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else to_milli(value)

    def process_result_value(self, value, dialect):
        return None if value is None else from_milli(value)


def format_rupiah(amount: int) -> str:
    """`Rp12.500`, `-Rp2.000`: the one formatter for pages, receipts and the till."""
    amount = int(amount)
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def format_qty(qty: Decimal, fractional: bool = True) -> str:
    """People's way to write a quantity: `2,5`, `12`, Indonesian decimal comma."""
    q = Decimal(qty).quantize(QTY_PLACES)
    sign, q = ("-" if q < 0 else ""), abs(q)
    if not fractional or q == q.to_integral_value():
        return sign + f"{int(q):,}".replace(",", ".")
    whole, _, frac = f"{q.normalize():f}".partition(".")
    return sign + f"{int(whole):,}".replace(",", ".") + "," + frac
