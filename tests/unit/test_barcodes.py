"""Barcodes: GS1 check digits, store codes, and weight-embedded labels from shop scales."""

from decimal import Decimal

import barcode  # python-barcode, installed with python-escpos: an independent EAN encoder
import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.barcodes import (
    DEFAULT_SCALE_LAYOUT,
    ScaleBarcode,
    ScaleLayout,
    barcode_problem,
    gtin_check_digit,
    is_valid_gtin,
    make_scale_barcode,
    parse_scale_barcode,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=20)

# Published examples: Wikipedia's EAN-13, EAN-8 and UPC-A articles, and two retail packs
# (a Dutch and an Indonesian 899- code) whose check digits were confirmed by hand.
KNOWN_VALID = ["4006381333931", "8711253001202", "8992761111113", "96385074", "036000291452"]


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_published_gtins_are_valid_and_acceptable(code):
    assert is_valid_gtin(code)
    assert barcode_problem(code) is None


@pytest.mark.parametrize(
    ("body", "check"),
    [("400638133393", 1), ("9638507", 4), ("03600029145", 2), ("201234501500", 5), ("0000000", 0)],
)
def test_check_digit_of_known_bodies(body, check):
    assert gtin_check_digit(body) == check


@pytest.mark.parametrize("body", ["", "12a4", "１２３", "٣٣٣"])
def test_check_digit_refuses_anything_but_ascii_digits(body):
    with pytest.raises(ValueError):
        gtin_check_digit(body)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_check_digit_agrees_with_python_barcode_for_ean13(body):
    assert barcode.EAN13(body).get_fullcode() == body + str(gtin_check_digit(body))


@given(st.text(alphabet="0123456789", min_size=7, max_size=7))
def test_check_digit_agrees_with_python_barcode_for_ean8(body):
    assert barcode.EAN8(body).get_fullcode() == body + str(gtin_check_digit(body))


@given(st.sampled_from([7, 11, 12]).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))
def test_exactly_one_last_digit_makes_a_valid_gtin(body):
    valid = [d for d in "0123456789" if is_valid_gtin(body + d)]
    assert valid == [str(gtin_check_digit(body))]


@given(st.text(alphabet="0123456789", min_size=12, max_size=12), st.integers(0, 11), st.integers(1, 9))
def test_changing_any_single_digit_breaks_an_ean13(body, position, delta):
    code = body + str(gtin_check_digit(body))
    changed = code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1 :]
    assert not is_valid_gtin(changed)
    assert "wrong check digit" in barcode_problem(changed)


def test_swapping_two_adjacent_digits_is_caught():
    assert not is_valid_gtin("4003681333931")  # 4006381333931 with 6 and 3 swapped


@given(
    st.text(alphabet="0123456789", min_size=12, max_size=12),
    st.integers(0, 11),
)
def test_adjacent_swaps_are_caught_unless_the_digits_differ_by_0_or_5(body, i):
    # The 3-1 weights make a swap shift the weighted sum by 2 x (a - b): invisible mod 10
    # only when a - b is a multiple of 5 (GS1's known blind spot).
    code = body + str(gtin_check_digit(body))
    swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    caught = (int(code[i]) - int(code[i + 1])) % 5 != 0
    assert is_valid_gtin(swapped) is not caught


@pytest.mark.parametrize("code", ["4006381333932", "12345678", "0360002914520", "4006381333931 "])
def test_is_valid_gtin_refuses_wrong_check_digit_length_or_spaces(code):
    assert not is_valid_gtin(code)


@pytest.mark.parametrize("code", ["400638133393", "40063813339311", "4006-381333931", ""])
def test_is_valid_gtin_accepts_only_8_12_13_digits(code):
    assert not is_valid_gtin(code)


def test_wrong_check_digit_says_which_digit_was_expected():
    assert barcode_problem("4006381333932") == (
        "The barcode 4006381333932 has a wrong check digit: the last digit should be 1, "
        "not 2. Check for a misread or mistyped digit."
    )


@pytest.mark.parametrize("code", ["1234", "A12B", "beras5kg", "00000000000000000001", "123456789", "ABCDEFGH"])
def test_store_codes_of_other_lengths_or_with_letters_are_accepted(code):
    assert barcode_problem(code) is None


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("", "empty"),
        (" 4006381333931", "spaces at its start or end"),
        ("4006381333931\n", "spaces at its start or end"),
        ("BERAS 5KG", "only digits and the letters"),
        ("gula-1", "only digits and the letters"),
        ("１２３４５", "only digits and the letters"),  # full-width digits from a phone keyboard
        ("123", "between 4 and 20 characters; this one has 3"),
        ("1" * 21, "this one has 21"),
        ("12345671", "wrong check digit"),
        ("036000291453", "wrong check digit"),
    ],
)
def test_unacceptable_barcodes_are_explained(code, words):
    problem = barcode_problem(code)
    assert problem is not None and words in problem
    assert problem.endswith(".")


# --- scale labels ---


def test_default_scale_label_reads_item_and_exact_weight():
    # 20 | 12345 | 01500 g | check 5 (computed by hand: weighted sum 45)
    assert parse_scale_barcode("2012345015005") == ScaleBarcode("12345", Decimal("1.500"), None)


def test_weight_is_a_decimal_with_three_places_not_a_float():
    label = parse_scale_barcode(make_scale_barcode("00042", grams=250))
    assert label.item_code == "00042"
    assert isinstance(label.weight_kg, Decimal)
    assert label.weight_kg.as_tuple().exponent == -3
    assert str(label.weight_kg) == "0.250"


def test_value_layout_reads_rupiah():
    layout = ScaleLayout("PPIIIIIVVVVVC")
    code = make_scale_barcode("7", value=18500, layout=layout)
    assert code == "2000007185005"
    assert parse_scale_barcode(code, layout) == ScaleBarcode("00007", None, 18500)


def test_price_check_digit_is_skipped_and_one_letter_prefix_widens_the_item_code():
    layout = ScaleLayout("PIIIIIIXWWWWC")
    code = make_scale_barcode("123456", grams=2345, layout=layout)
    assert code[:8] == "21234560" and code[8:12] == "2345" and is_valid_gtin(code)
    assert parse_scale_barcode(code, layout) == ScaleBarcode("123456", Decimal("2.345"), None)


def test_layout_with_both_weight_and_value():
    layout = ScaleLayout("PPIIIWWWWVVVC")
    label = parse_scale_barcode(make_scale_barcode("12", grams=1234, value=567, layout=layout), layout)
    assert label == ScaleBarcode("012", Decimal("1.234"), 567)


@pytest.mark.parametrize(
    "code",
    [
        "4006381333931",  # an ordinary product, not a scale label
        "2012345015006",  # scale-shaped but wrong check digit
        "96385074",  # EAN-8
        "201234501500",  # 12 digits
        "1912345015009",  # valid EAN-13, but prefix 19
        "",
    ],
)
def test_anything_but_a_valid_ean13_starting_with_2_is_not_a_scale_label(code):
    assert parse_scale_barcode(code) is None


def test_every_prefix_from_20_to_29_is_a_scale_label():
    for prefix in range(20, 30):
        code = make_scale_barcode("1", grams=1000, prefix=str(prefix))
        assert code.startswith(str(prefix))
        assert parse_scale_barcode(code).weight_kg == Decimal("1.000")


@pytest.mark.parametrize(
    "pattern",
    [
        "PPIIIIIWWWWW",  # 12 letters
        "PPIIIIIWWWWWCC",
        "IPPIIIIWWWWWC",  # does not start with P
        "PPPIIIIWWWWWC",
        "PPIIIIIWWWWWX",  # no check digit at the end
        "PPIIWWIIWWWWC",  # item digits split in two
        "PPIIIIIIIIIIC",  # neither weight nor value
        "PPIIIIXXWWWWC",  # two price-check digits
        "PPIIIIIGGGGGC",  # unknown letter
    ],
)
def test_malformed_layouts_are_refused(pattern):
    with pytest.raises(ValueError):
        ScaleLayout(pattern)


def test_default_layout_is_the_common_one():
    assert DEFAULT_SCALE_LAYOUT == ScaleLayout("PPIIIIIWWWWWC")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"item_code": "123456", "grams": 1},  # item code too long for 5 digits
        {"item_code": "12a45", "grams": 1},
        {"item_code": "1", "grams": 100000},  # 100 kg does not fit in 5 digits
        {"item_code": "1", "grams": -1},
        {"item_code": "1"},  # the layout has weight digits: grams needed
        {"item_code": "1", "grams": 5, "value": 5},  # ... and no value digits
        {"item_code": "1", "grams": 5, "prefix": "30"},
        {"item_code": "1", "grams": 5, "prefix": "2"},
    ],
)
def test_make_scale_barcode_refuses_what_the_label_cannot_hold(kwargs):
    with pytest.raises(ValueError):
        make_scale_barcode(**kwargs)


@given(
    item=st.text(alphabet="0123456789", min_size=1, max_size=5),
    grams=st.integers(0, 99_999),
    prefix=st.integers(20, 29),
)
def test_scale_label_round_trip(item, grams, prefix):
    code = make_scale_barcode(item, grams=grams, prefix=str(prefix))
    assert len(code) == 13 and is_valid_gtin(code) and barcode_problem(code) is None
    label = parse_scale_barcode(code)
    assert label.item_code == item.zfill(5)
    assert label.weight_kg * 1000 == grams
    assert label.value is None


@given(st.text(alphabet="0123456789", min_size=12, max_size=12).filter(lambda b: b[0] != "2"))
def test_valid_ean13_outside_prefix_2_is_never_a_scale_label(body):
    assert parse_scale_barcode(body + str(gtin_check_digit(body))) is None
