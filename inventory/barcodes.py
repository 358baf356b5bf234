"""Barcodes a cooperative shop meets: GS1 GTINs, its own store codes, and scale labels.

Pure functions, no I/O: the till and the product import both ask here whether a code is
acceptable, so a typo in a manager's spreadsheet is caught with the same words as a bad scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "DEFAULT_SCALE_PATTERN",
    "DEFAULT_SCALE_LAYOUT",
    "GTIN_LENGTHS",
    "ScaleBarcode",
    "ScaleLayout",
    "barcode_problem",
    "barcode_problem_template",
    "gtin_check_digit",
    "is_valid_gtin",
    "make_scale_barcode",
    "parse_scale_barcode",
]

#: EAN-8, UPC-A and EAN-13: the lengths whose last digit is a GS1 check digit.
GTIN_LENGTHS = frozenset({8, 12, 13})

#: A store's own code (a shelf label, a sack of rice it packs itself) may be this long.
STORE_CODE_MIN, STORE_CODE_MAX = 4, 20

_DIGITS = re.compile(r"[0-9]+")
_STORE_CODE = re.compile(r"[0-9A-Za-z]+")


def _is_digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` would also accept Arabic-Indic or superscript digits."""
    return _DIGITS.fullmatch(text) is not None


def gtin_check_digit(body: str) -> int:
    """GS1 mod-10 check digit of a GTIN without its last digit (7, 11 or 12 digits, or any).

    Weights 3 and 1 alternate from the rightmost body digit (GS1 General Specifications 7.9.1),
    which is why the same function serves EAN-8, UPC-A and EAN-13.
    """
    if not _is_digits(body):
        raise ValueError(f"a GTIN body is digits only, got {body!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    """True for an EAN-8, UPC-A or EAN-13 with the right check digit."""
    return (
        len(code) in GTIN_LENGTHS
        and _is_digits(code)
        and gtin_check_digit(code[:-1]) == int(code[-1])
    )


def N_(template: str) -> str:  # noqa: N802 (gettext's marker name: Babel extracts these strings)
    """Mark a message for translation without translating it here (this module is pure)."""
    return template


def barcode_problem_template(code: str) -> tuple[str, dict[str, object]] | None:
    """Why ``code`` cannot be a product barcode, as an English template and its parameters.

    8, 12 and 13 digits are what GS1 codes look like, so those must carry a correct check
    digit (a misread or mistyped digit is caught here); any other 4-20 letters and digits are
    the store's own codes and are accepted as they are.
    """
    if code == "":
        return N_("The barcode is empty."), {}
    if code != code.strip():
        return N_("The barcode has spaces at its start or end."), {}
    if _STORE_CODE.fullmatch(code) is None:
        return N_("A barcode may contain only digits and the letters A-Z, without spaces or signs."), {}
    if not STORE_CODE_MIN <= len(code) <= STORE_CODE_MAX:
        return (N_("A barcode has between %(min)s and %(max)s characters; this one has %(length)s."),
                {"min": STORE_CODE_MIN, "max": STORE_CODE_MAX, "length": len(code)})
    if len(code) in GTIN_LENGTHS and _is_digits(code):
        expected = gtin_check_digit(code[:-1])
        if expected != int(code[-1]):
            return (N_("The barcode %(code)s has a wrong check digit: the last digit should be %(expected)s, "
                       "not %(last)s. Check for a misread or mistyped digit."),
                    {"code": code, "expected": expected, "last": code[-1]})
    return None


def barcode_problem(code: str) -> str | None:
    """Why ``code`` cannot be a product barcode, in an English sentence, or None when it can."""
    found = barcode_problem_template(code)
    if found is None:
        return None
    template, params = found
    return template % params if params else template


# --- Weight-embedded EAN-13 from shop scales (GS1 restricted-circulation prefixes 20-29) ---

DEFAULT_SCALE_PATTERN = "PPIIIIIWWWWWC"
_SCALE_LETTERS = frozenset("PIWVXC")


def _run(pattern: str, letter: str) -> slice | None:
    """Where one letter sits in a layout pattern; it must be one unbroken run."""
    first = pattern.find(letter)
    if first < 0:
        return None
    last = pattern.rfind(letter)
    if pattern[first : last + 1] != letter * (last - first + 1):
        raise ValueError(f"scale layout {pattern!r}: the {letter} digits must be side by side")
    return slice(first, last + 1)


@dataclass(frozen=True)
class ScaleLayout:
    """Which digits of a scale's EAN-13 label mean what, as the scale is programmed.

    Letters: ``P`` prefix (the label starts with 2), ``I`` item code (the scale's PLU),
    ``W`` weight in grams, ``V`` value in Rupiah, ``X`` a price-check digit (skipped, not
    verified), ``C`` the EAN-13 check digit. Shops configure this because every scale brand
    lays the 13 digits out differently.
    """

    pattern: str = DEFAULT_SCALE_PATTERN
    prefix: slice = field(init=False, repr=False, compare=False)
    item: slice = field(init=False, repr=False, compare=False)
    weight: slice | None = field(init=False, repr=False, compare=False)
    value: slice | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        p = self.pattern
        if len(p) != 13 or not set(p) <= _SCALE_LETTERS:
            raise ValueError(f"scale layout {p!r}: 13 letters from P, I, W, V, X, C")
        if not p.startswith("P") or p.count("P") > 2 or p.count("C") != 1 or p[-1] != "C":
            raise ValueError(f"scale layout {p!r}: starts with 1 or 2 P and ends with one C")
        if "I" not in p or ("W" not in p and "V" not in p) or p.count("X") > 1:
            raise ValueError(f"scale layout {p!r}: needs I digits, W or V digits, at most one X")
        for name, letter in (("prefix", "P"), ("item", "I"), ("weight", "W"), ("value", "V")):
            object.__setattr__(self, name, _run(p, letter))


DEFAULT_SCALE_LAYOUT = ScaleLayout()


@dataclass(frozen=True)
class ScaleBarcode:
    """What a scale label says: which item, and its weight and/or price."""

    item_code: str
    weight_kg: Decimal | None
    value: int | None


def parse_scale_barcode(
    code: str, layout: ScaleLayout = DEFAULT_SCALE_LAYOUT
) -> ScaleBarcode | None:
    """Read a scale label, or None when ``code`` is not a valid EAN-13 starting with 2.

    The weight is an exact Decimal of kilograms with three places (grams / 1000), never a
    float: it becomes a stock movement, and stock is exact.
    """
    if len(code) != 13 or not is_valid_gtin(code) or code[0] != "2":
        return None
    weight = None
    if layout.weight is not None:
        weight = Decimal(int(code[layout.weight])).scaleb(-3)
    value = int(code[layout.value]) if layout.value is not None else None
    return ScaleBarcode(item_code=code[layout.item], weight_kg=weight, value=value)


def _fill(number: int | None, width: int | None, what: str) -> str:
    """Zero-pad a measure into its field, refusing what the field cannot hold."""
    if width is None:
        if number is not None:
            raise ValueError(f"this scale layout has no {what} digits")
        return ""
    if number is None or isinstance(number, bool) or not 0 <= number < 10**width:
        raise ValueError(f"{what} must be a whole number from 0 to {10**width - 1}")
    return str(number).zfill(width)


def make_scale_barcode(
    item_code: str,
    grams: int | None = None,
    value: int | None = None,
    layout: ScaleLayout = DEFAULT_SCALE_LAYOUT,
    prefix: str | None = None,
) -> str:
    """Build the EAN-13 a scale would print, for tests, the demo and label printing.

    A short ``item_code`` is zero-padded as scales do; ``prefix`` defaults to 2 or 20.
    The price-check digit ``X``, if the layout has one, is written as 0.
    """
    p_len = layout.prefix.stop - layout.prefix.start
    prefix = prefix if prefix is not None else "20"[:p_len]
    if len(prefix) != p_len or not _is_digits(prefix) or prefix[0] != "2":
        raise ValueError(f"prefix must be {p_len} digit(s) starting with 2, got {prefix!r}")
    i_len = layout.item.stop - layout.item.start
    if not _is_digits(item_code) or len(item_code) > i_len:
        raise ValueError(f"item_code must be at most {i_len} digits, got {item_code!r}")
    w = _fill(grams, _width(layout.weight), "grams")
    v = _fill(value, _width(layout.value), "value")
    parts = {"P": iter(prefix), "I": iter(item_code.zfill(i_len)), "W": iter(w), "V": iter(v)}
    body = "".join(next(parts[ch]) if ch in parts else "0" for ch in layout.pattern[:-1])
    return body + str(gtin_check_digit(body))


def _width(where: slice | None) -> int | None:
    """How many digits a layout gives a field, or None when it has none."""
    return None if where is None else where.stop - where.start
