"""Pure catalog and stock rules: units, prices against HET, quantities per unit."""
from __future__ import annotations

from decimal import Decimal

from gerai.errors import Conflict, Invalid
from gerai.numbers import format_qty, format_rupiah

# Units sold in fractions (weighed or measured) and units sold whole.
FRACTIONAL_UNITS = ("kg", "liter")
WHOLE_UNITS = ("pcs", "tabung", "sak", "bungkus", "botol", "dus", "sachet", "kaleng", "karung", "pak",
               "ikat", "butir", "rim", "lusin", "renteng")
UNITS = FRACTIONAL_UNITS + WHOLE_UNITS
WRITE_OFF_REASONS = ("damaged", "expired", "lost")


class PriceAboveHet(Conflict):
    reason = "price_above_het"
    template = "The price %(price)s is above the legal maximum (HET) %(het)s for %(sku)s."


class InsufficientStock(Conflict):
    reason = "insufficient_stock"
    template = "Not enough stock of %(name)s: %(on_hand)s %(unit)s on hand, %(wanted)s wanted."


class StockTooLarge(Invalid):
    reason = "stock_too_large"
    template = ("%(name)s would have %(on_hand)s %(unit)s on hand, more than the largest quantity the shop can "
                "record (%(max)s).")


def allows_fractions(unit: str) -> bool:
    return unit in FRACTIONAL_UNITS


def check_unit(unit: str) -> None:
    if unit not in UNITS:
        raise Invalid("Unknown unit %(unit)s; use one of: %(units)s.", field="unit", unit=unit, units=", ".join(UNITS))


def check_qty_for_unit(qty: Decimal, unit: str, field: str, *, positive: bool = True) -> None:
    """A whole-unit product (tabung, sak, pcs) cannot move in fractions; most moves are positive."""
    if positive and qty <= 0:
        raise Invalid("The quantity must be more than zero.", field=field)
    if qty < 0:
        raise Invalid("The quantity cannot be negative.", field=field)
    if not allows_fractions(unit) and qty != qty.to_integral_value():
        raise Invalid("%(unit)s is sold in whole units, not %(qty)s.", field=field, unit=unit, qty=format_qty(qty))


def check_price_within_het(sku: str, price: int, het: int | None, field: str = "price") -> None:
    """Never sell above the legal maximum retail price (HET)."""
    if het is not None and price > het:
        raise PriceAboveHet(field=field, price=format_rupiah(price), het=format_rupiah(het), sku=sku)


def moving_average_cost(on_hand: Decimal, avg_cost: int | None, qty_in: Decimal, unit_cost: int | None) -> int | None:
    """Weighted average cost after receiving `qty_in` at `unit_cost` (whole Rupiah, half up)."""
    if unit_cost is None:
        return avg_cost
    if avg_cost is None or on_hand <= 0:
        return unit_cost
    total = on_hand + qty_in
    value = on_hand * avg_cost + qty_in * unit_cost
    return int((value / total).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
