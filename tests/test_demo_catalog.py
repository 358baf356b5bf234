"""The demo catalog is plausible, self-consistent data that obeys the shop's own rules."""
from decimal import Decimal

import pytest

from gerai.demo.catalog import DEMO_ONLY_KEYS, PRODUCTS, SUPPLIERS, gtin8, gtin13

CATEGORIES = {"sembako", "lpg", "pupuk", "lainnya"}
UNITS = {"kg", "liter", "pcs", "tabung", "sak", "bungkus", "botol", "dus", "sachet", "kaleng"}
API_KEYS = {"sku", "name", "barcodes", "category", "unit", "price", "het", "subsidised", "quota",
            "supplier", "taxable", "reorder"}
# DESIGN.md: HET per kg since 22 Oct 2025, sacks of 50 kg (organic 40 kg).
FERTILIZER_HET_PER_KG = {
    "PPK-UREA-SUB": (1800, 50), "PPK-NPK-SUB": (1840, 50), "PPK-NPKK-SUB": (2640, 50),
    "PPK-ZA-SUB": (1360, 50), "PPK-ORG-SUB": (640, 40),
}


def ean_is_valid(code: str) -> bool:
    """GS1 rule written from the left: EAN-13 weighs 1,3,1,3..., EAN-8 weighs 3,1,3,1..."""
    if not code.isdigit() or len(code) not in (8, 13):
        return False
    first_weight = 1 if len(code) == 13 else 3
    weights = [first_weight if i % 2 == 0 else 4 - first_weight for i in range(len(code) - 1)]
    total = sum(int(d) * w for d, w in zip(code[:-1], weights))
    return (10 - total % 10) % 10 == int(code[-1])


def by_sku(sku: str) -> dict:
    return next(p for p in PRODUCTS if p["sku"] == sku)


def test_check_digit_helpers_match_published_examples():
    assert gtin13("400638133393") == "4006381333931"  # GS1's own worked example
    assert gtin13("899100100001") == "8991001000019"  # 8+27+9+3+1+3 = 51
    assert gtin8("9638507") == "96385074"
    assert ean_is_valid("4006381333931") and not ean_is_valid("4006381333932")
    with pytest.raises(ValueError):
        gtin13("89910010000")


def test_catalog_has_about_sixty_products_with_the_same_keys():
    assert 55 <= len(PRODUCTS) <= 65
    for product in PRODUCTS:
        assert set(product) == API_KEYS | DEMO_ONLY_KEYS, product["sku"]


def test_every_barcode_is_a_valid_indonesian_ean():
    for product in PRODUCTS:
        for code in product["barcodes"]:
            assert ean_is_valid(code), (product["sku"], code)
            assert code.startswith("899"), (product["sku"], code)


def test_goods_sold_by_weight_have_no_barcode():
    for product in PRODUCTS:
        if product["unit"] in ("kg", "liter"):
            assert product["barcodes"] == [], product["sku"]


def test_skus_and_barcodes_are_unique():
    skus = [p["sku"] for p in PRODUCTS]
    codes = [c for p in PRODUCTS for c in p["barcodes"]]
    assert len(skus) == len(set(skus))
    assert len(codes) == len(set(codes))
    assert all(s == s.upper() and " " not in s for s in skus)


def test_prices_respect_het_and_cost():
    for product in PRODUCTS:
        assert isinstance(product["price"], int) and product["price"] > 0
        if product["het"] is not None:
            assert isinstance(product["het"], int)
            assert product["price"] <= product["het"], product["sku"]
        assert isinstance(product["unit_cost"], int)
        assert 0 < product["unit_cost"] < product["price"], product["sku"]


def test_suppliers_exist_and_fit_the_category():
    codes = {s["code"] for s in SUPPLIERS}
    assert codes == {"BULOG", "IDFOOD", "AGEN-LPG", "PUPUK-INDONESIA"}
    for supplier in SUPPLIERS:
        assert 2 <= supplier["lead_time_days"] <= 7
        assert supplier["pack_size"] is None or Decimal(supplier["pack_size"]) > 0
    expected = {"sembako": {"BULOG", "IDFOOD"}, "lpg": {"AGEN-LPG"},
                "pupuk": {"PUPUK-INDONESIA"}, "lainnya": codes}
    for product in PRODUCTS:
        assert product["supplier"] in expected[product["category"]], product["sku"]


def test_categories_and_units_are_allowed():
    for product in PRODUCTS:
        assert product["category"] in CATEGORIES, product["sku"]
        assert product["unit"] in UNITS, product["sku"]
    assert {p["category"] for p in PRODUCTS} == CATEGORIES


def test_quantities_are_decimal_strings():
    for product in PRODUCTS:
        stock = Decimal(product["opening_stock"])
        assert stock >= 0 and stock == stock.quantize(Decimal("0.001"))
        if product["unit"] not in ("kg", "liter"):
            assert stock == stock.to_integral_value(), product["sku"]
        if product["quota"] is not None:
            assert Decimal(product["quota"]["qty"]) > 0
            assert product["quota"]["period_days"] >= 1


def test_subsidised_fertilizer_het_per_sack_is_het_per_kg_times_sack_weight():
    subsidised = {p["sku"] for p in PRODUCTS if p["category"] == "pupuk" and p["subsidised"]}
    assert subsidised == set(FERTILIZER_HET_PER_KG)
    for sku, (per_kg, sack_kg) in FERTILIZER_HET_PER_KG.items():
        product = by_sku(sku)
        assert product["unit"] == "sak"
        assert product["het"] == per_kg * sack_kg, sku
    unsubsidised = [p for p in PRODUCTS if p["category"] == "pupuk" and not p["subsidised"]]
    assert unsubsidised and all(p["het"] is None for p in unsubsidised)


def test_regulated_staples_carry_the_zone_one_caps():
    sphp = by_sku("BRS-SPHP-5")
    assert sphp["het"] == 5 * 12500 and sphp["subsidised"]
    assert sphp["quota"] == {"qty": "5", "period_days": 1}
    assert by_sku("BRS-MED-KG")["het"] == 13500
    assert by_sku("BRS-PRM-KG")["het"] == 14900
    assert by_sku("MYK-1L")["het"] == 15700 and by_sku("MYK-1L")["taxable"]
    lpg3 = by_sku("LPG-3")
    assert lpg3["subsidised"] and lpg3["unit"] == "tabung" and lpg3["quota"] is None
    assert not by_sku("LPG-BG-12")["subsidised"]


def test_history_has_bestsellers_stopped_overstocked_and_low_products():
    stopped = [p for p in PRODUCTS if p["demand_stops_days_ago"] is not None]
    assert 2 <= len(stopped) <= 5
    assert all(p["daily_demand"] > 0 for p in stopped)
    cover = {p["sku"]: float(p["opening_stock"]) / p["daily_demand"] for p in PRODUCTS}
    assert any(days > 365 for days in cover.values())
    assert any(days < 2 for days in cover.values())
    for sku in ("BRS-MED-KG", "GLP-1", "MYK-1L", "TLR-KG", "LPG-3"):
        assert by_sku(sku)["daily_demand"] >= 5
