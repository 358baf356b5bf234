"""The till's ES modules write money and quantities, and read scale labels, exactly as the server does."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest
from playwright.sync_api import Page

from gerai.numbers import format_qty, format_rupiah, qty_str
from inventory.barcodes import ScaleLayout, is_valid_gtin, make_scale_barcode, parse_scale_barcode
from pos.sales import amount_of

pytestmark = pytest.mark.browser

LAYOUTS = ("PPIIIIIWWWWWC", "PIIIIIIWWWWWC", "PPIIIIIVVVVVC", "PPIIIIXWWWWWC", "PPIIIIWWWWVVC")


def run_module(page: Page, module: str, script: str, arg):
    return page.evaluate(f"async (arg) => {{ const m = await import('/static/till/{module}'); {script} }}", arg)


@pytest.fixture
def origin(page: Page, static_shop) -> Page:
    page.goto(static_shop.url + "/login")  # any page of the shop: the modules are plain static files
    return page


def test_rupiah_is_written_like_the_server(origin: Page):
    amounts = [0, 1, 999, 1000, 12500, 15700, 100000, 1234567, 10**12, -2000, -999]
    got = run_module(origin, "format.js", "return arg.map(m.formatRupiah);", amounts)
    assert got == [format_rupiah(a) for a in amounts]


def test_quantities_are_written_read_and_priced_like_the_server(origin: Page):
    rng = random.Random(7)
    millis = [1, 5, 10, 250, 1000, 1500, 2345, 999999, 1000000, 12345678] + [rng.randint(1, 10**8) for _ in range(200)]
    prices = [rng.choice((1, 13000, 15700, 18000, 62500, 99999)) for _ in millis]
    got = run_module(origin, "format.js", """
        return arg.millis.map((n, i) => [m.formatQty(n), m.qtyToApi(n), m.lineAmount(arg.prices[i], n)]);""",
                     {"millis": millis, "prices": prices})
    for n, price, (shown, api, amount) in zip(millis, prices, got):
        qty = Decimal(n) / 1000
        assert shown == format_qty(qty), n
        assert api == qty_str(qty), n
        assert amount == amount_of(price, qty), (n, price)


def test_typed_quantities_are_read_exactly(origin: Page):
    typed = ["2", "1,5", "0.250", ".5", "1,2345", "0", "-1", "abc", "1,2,3", " 3 ", "1,500"]
    got = run_module(origin, "format.js", "return arg.map(m.parseQty);", typed)
    assert got == [{"milli": 2000}, {"milli": 1500}, {"milli": 250}, {"milli": 500}, {"error": "places"},
                   {"error": "invalid"}, {"error": "invalid"}, {"error": "invalid"}, {"error": "invalid"},
                   {"milli": 3000}, {"milli": 1500}]


def test_scale_labels_are_read_like_inventory_barcodes(origin: Page):
    rng = random.Random(20)
    cases = []
    for pattern in LAYOUTS:
        layout = ScaleLayout(pattern)
        i_len = layout.item.stop - layout.item.start
        for _ in range(60):
            grams = rng.randint(0, 10 ** (layout.weight.stop - layout.weight.start) - 1) if layout.weight else None
            value = rng.randint(0, 10 ** (layout.value.stop - layout.value.start) - 1) if layout.value else None
            code = make_scale_barcode(str(rng.randint(0, 10**i_len - 1)), grams=grams, value=value, layout=layout,
                                      prefix=None if layout.prefix.stop == 1 else f"2{rng.randint(0, 9)}")
            cases.append((pattern, code))
        # and codes that are not labels: wrong check digit, not starting with 2, other lengths
        cases += [(pattern, "2000001012504"), (pattern, "8991001000217"), (pattern, "200000101250")]
    got = run_module(origin, "scale.js", """
        return arg.map(([pattern, code]) => m.parseScaleBarcode(code, m.compileLayout(pattern)));""", cases)
    for (pattern, code), label in zip(cases, got):
        layout = ScaleLayout(pattern)
        want = parse_scale_barcode(code, layout)
        if want is None:
            assert label is None, code
            continue
        assert label["itemCode"] == want.item_code
        assert label["plu"] == code[layout.prefix] + want.item_code
        assert label["value"] == want.value
        assert (label["weightMilli"] is None) == (want.weight_kg is None)
        if want.weight_kg is not None:
            assert Decimal(label["weightMilli"]) / 1000 == want.weight_kg
    checks = run_module(origin, "scale.js", "return arg.map(m.isValidGtin);", [c for _, c in cases])
    assert checks == [is_valid_gtin(c) for _, c in cases]
