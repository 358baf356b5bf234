"""QRIS: reading, checking and making a dynamic QRIS, verified against cemacqr.

cemacqr (PyPI, Apache-2.0) is an independent EMV QRCPS parser and builder: every payload
here that is meant to be valid is also read by it, and every fixture's checksum is computed
by it, so these tests do not grade our CRC with our CRC.
"""

import cemacqr
import pytest
from cemacqr import EMVCO, Tlv
from hypothesis import given
from hypothesis import strategies as st

from pos.qris import (
    QrisError,
    crc16,
    make_dynamic_qris,
    merchant_name,
    parse_tlv,
    qris_amount,
    qris_problem,
)

# A fictional shop's static QRIS as a bank issues it: tag 26 is the acquirer's account
# (GUID, merchant PAN, merchant ID, criteria), tag 51 the national QRIS entry with the NMID,
# 5411 the MCC of grocery shops. Its checksum 796C was computed by cemacqr.build.
ACCOUNT = "0018ID.CO.BANKDESA.WWW" "0118936009990000123456" "0209000123456" "0303UMI"
NATIONAL = "0014ID.CO.QRIS.WWW" "0215ID1025123456789" "0303UMI"
OBJECTS = [
    ("00", "01"),
    ("01", "11"),
    ("26", ACCOUNT),
    ("51", NATIONAL),
    ("52", "5411"),
    ("53", "360"),
    ("58", "ID"),
    ("59", "KOPDES MERAH PUTIH MAJU"),
    ("60", "KAB. BOGOR"),
    ("61", "16610"),
    ("62", "0703A01"),
]
STATIC = (
    "000201010211"
    "26640018ID.CO.BANKDESA.WWW011893600999000012345602090001234560303UMI"
    "51440014ID.CO.QRIS.WWW0215ID10251234567890303UMI"
    "5204541153033605802ID5923KOPDES MERAH PUTIH MAJU6010KAB. BOGOR610516610"
    "62070703A01"
    "6304796C"
)

# EMV QRCPS v1.1 Annex B.7 (as pinned by cemacqr's tests): lengths count characters, and the
# checksum covers UTF-8 bytes.
EMVCO_EXAMPLE = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812"
    "345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输"
    "0202北京540523.7253031565502016233030412340603***0708A60086670902ME"
    "91320016A0112233449988770708123456786304A13A"
)


def independent(objects):
    """A payload built and checksummed by cemacqr from (tag, value) pairs, in the order given."""
    return cemacqr.build([Tlv(tag, value) for tag, value in objects]).raw


def replaced(tag, value):
    """The fixture's objects with one tag set (or removed when value is None), in tag order."""
    found = dict(OBJECTS)
    found.pop(tag, None)
    if value is not None:
        found[tag] = value
    return sorted(found.items())


# --- CRC ---


def test_crc_of_the_standard_check_string_is_29B1():
    assert crc16("123456789") == "29B1"
    assert cemacqr.crc16_hex(b"123456789") == "29B1"


def test_crc_of_the_emvco_example_including_non_latin_characters():
    assert crc16(EMVCO_EXAMPLE[:-4]) == "A13A"


def test_crc_is_four_upper_case_hex_digits_with_leading_zeros():
    assert crc16("") == "FFFF"
    assert all(len(crc16(s)) == 4 and crc16(s) == crc16(s).upper() for s in ["a", "6304", "x" * 99])


@given(st.text(max_size=200))
def test_crc_agrees_with_cemacqr(text):
    assert crc16(text) == cemacqr.crc16_hex(text.encode("utf-8"))


# --- TLV ---


def test_the_fixture_is_a_valid_emvco_payload_for_cemacqr():
    qr = cemacqr.parse_payload(STATIC)
    assert qr.crc_ok and cemacqr.validate(qr, EMVCO).ok
    assert STATIC == independent(OBJECTS)


def test_parse_tlv_reads_the_top_level_and_nested_templates():
    assert parse_tlv(STATIC) == [*OBJECTS, ("63", "796C")]
    assert parse_tlv(ACCOUNT)[0] == ("00", "ID.CO.BANKDESA.WWW")
    assert dict(parse_tlv(NATIONAL))["02"] == "ID1025123456789"


def test_parse_tlv_counts_characters_not_bytes():
    assert ("64", "0002ZH0104最佳运输0202北京") in parse_tlv(EMVCO_EXAMPLE)
    assert parse_tlv("") == []


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("0002010", "The QRIS is cut short at character 7."),
        ("00020", "The QRIS tag 00 says 2 characters but only 1 follow."),
        ("00", "The QRIS is cut short at character 1."),
        ("000201AB0211", "The QRIS has 'AB02' at character 7 where a 2-digit tag and a 2-digit length should be."),
        ("00020101 211", "The QRIS has '01 2' at character 7 where a 2-digit tag and a 2-digit length should be."),
        ("0002010102", "The QRIS tag 01 says 2 characters but only 0 follow."),
        ("00020159251234", "The QRIS tag 59 says 25 characters but only 4 follow."),
    ],
)
def test_malformed_tlv_raises_with_a_sentence(payload, message):
    with pytest.raises(QrisError) as caught:
        parse_tlv(payload)
    assert str(caught.value) == message
    assert qris_problem(payload) == message


@given(
    st.lists(
        st.tuples(
            st.integers(0, 99).map(lambda n: f"{n:02d}"),
            st.text(st.characters(blacklist_categories=("Cs",)), max_size=99),
        ),
        max_size=12,
    )
)
def test_parse_tlv_reverses_encoding_as_cemacqr_does(objects):
    payload = "".join(f"{tag}{len(value):02d}{value}" for tag, value in objects)
    assert parse_tlv(payload) == objects
    assert parse_tlv(payload) == [tuple(t) for t in cemacqr.parse_tlv(payload)]


# --- reading ---


def test_static_fixture_has_no_problem_a_merchant_name_and_no_amount():
    assert qris_problem(STATIC) is None
    assert merchant_name(STATIC) == "KOPDES MERAH PUTIH MAJU"
    assert qris_amount(STATIC) is None


def test_crc_hex_in_lower_case_is_read_leniently():
    assert qris_problem(STATIC[:-4] + "796c") is None


@pytest.mark.parametrize(
    ("amount", "rupiah"), [("15000", 15000), ("15000.00", 15000), ("15000.", 15000), ("7", 7)]
)
def test_amount_is_read_in_whole_rupiah(amount, rupiah):
    payload = independent(replaced("54", amount))
    assert qris_problem(payload) is None
    assert qris_amount(payload) == rupiah


@pytest.mark.parametrize("amount", ["15000.50", "1.5", "abc", "1,000", "0", "0.00"])
def test_amounts_that_are_not_whole_positive_rupiah_are_refused(amount):
    with pytest.raises(QrisError):
        qris_amount(independent(replaced("54", amount)))


def test_merchant_name_of_a_payload_without_one_is_none_and_of_garbage_raises():
    assert merchant_name(independent(replaced("59", None))) is None
    with pytest.raises(QrisError):
        merchant_name("not a qris")


# --- problems ---


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("", "The QRIS text is empty."),
        (STATIC + "\n", "The QRIS text has spaces or line breaks at its start or end."),
        (" " + STATIC, "The QRIS text has spaces or line breaks at its start or end."),
        (STATIC[:-1] + "D", "The QRIS checksum is 796D but its content gives 796C: it was damaged or changed."),
        (
            STATIC.replace("MAJU", "MAJA"),
            "The QRIS checksum is 796C but its content gives A926: it was damaged or changed.",
        ),
        (STATIC[:-8], "The QRIS has no checksum (tag 63)."),
        (STATIC[:-8] + "6303ABC", "The QRIS checksum (tag 63) must be the last tag and 4 hexadecimal digits."),
        (STATIC[:-8] + "6304XYZW", "The QRIS checksum (tag 63) must be the last tag and 4 hexadecimal digits."),
        (STATIC + "0000", "The QRIS has tag 00 more than once."),
        (STATIC + "9900", "The QRIS checksum (tag 63) must be the last tag and 4 hexadecimal digits."),
    ],
)
def test_damaged_payloads_are_explained(payload, message):
    assert qris_problem(payload) == message


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        (replaced("00", None), "The QRIS does not start with tag 00 (payload format indicator)."),
        ([("00", "01"), *OBJECTS[1:], ("59", "LAGI")], "The QRIS has tag 59 more than once."),
        (replaced("00", "02"), "The QRIS payload format indicator is '02'; it must be '01'."),
        (replaced("01", None), "The QRIS has no point of initiation method (tag 01)."),
        (replaced("01", "13"), "The QRIS point of initiation is '13'; it must be '11' or '12'."),
        (replaced("52", None), "The QRIS has no merchant category code (tag 52)."),
        (replaced("53", None), "The QRIS has no transaction currency (tag 53)."),
        (replaced("53", "840"), "The QRIS currency is '840'; a Rupiah QRIS says '360'."),
        (replaced("58", None), "The QRIS has no country code (tag 58)."),
        (replaced("58", "SG"), "The QRIS country is 'SG'; an Indonesian QRIS says 'ID'."),
        (replaced("59", None), "The QRIS has no merchant name (tag 59)."),
        (replaced("60", None), "The QRIS has no merchant city (tag 60)."),
        (
            [(t, v) for t, v in OBJECTS if t not in ("26", "51")],
            "The QRIS has no merchant account information (tags 02 to 51).",
        ),
        (replaced("01", "12"), "The QRIS is marked single-use (tag 01 is '12') but carries no amount (tag 54)."),
        (replaced("54", "12.000"), None),  # an EMVCo decimal point, not a thousands separator
        (replaced("54", "12,000"), "The QRIS amount '12,000' is not a number written with digits and one '.'."),
        (replaced("54", "000"), "The QRIS amount is zero."),
    ],
)
def test_content_problems_are_explained(objects, message):
    # Built and checksummed by cemacqr, so the only defect is the one named.
    assert qris_problem(independent(objects)) == message


@given(st.integers(0, len(STATIC) - 1), st.characters(min_codepoint=32, max_codepoint=126))
def test_any_single_character_change_is_noticed(position, char):
    original = STATIC[position]
    if char == original or (position >= len(STATIC) - 4 and char.upper() == original.upper()):
        return
    assert qris_problem(STATIC[:position] + char + STATIC[position + 1 :]) is not None


# --- making a dynamic QRIS ---


def test_dynamic_qris_marks_single_use_adds_amount_in_tag_order_and_recomputes_crc():
    expected = independent(
        [("00", "01"), ("01", "12"), *OBJECTS[2:5], ("53", "360"), ("54", "15000"), *OBJECTS[6:]]
    )
    dynamic = make_dynamic_qris(STATIC, 15000)
    assert dynamic == expected
    assert dynamic.endswith("6304" + "6EFF")
    qr = cemacqr.parse_payload(dynamic)
    assert qr.crc_ok and qr.point_of_initiation == "12" and qr.amount == "15000"
    assert cemacqr.validate(qr, EMVCO).ok
    assert qris_problem(dynamic) is None and qris_amount(dynamic) == 15000


def test_an_existing_amount_is_replaced_not_repeated():
    once = make_dynamic_qris(STATIC, 2500)
    twice = make_dynamic_qris(make_dynamic_qris(STATIC, 1000), 2500)
    assert twice == once
    assert [tag for tag, _ in parse_tlv(twice)].count("54") == 1


def test_tags_come_out_in_ascending_order_even_from_an_unordered_payload():
    shuffled = independent([OBJECTS[0], *reversed(OBJECTS[1:])])
    assert qris_problem(shuffled) is None
    assert make_dynamic_qris(shuffled, 15000) == make_dynamic_qris(STATIC, 15000)


@pytest.mark.parametrize("amount", [0, -5, 1.5, 15000.0, "15000", True, None, 10**13])
def test_amounts_other_than_positive_whole_rupiah_are_refused(amount):
    with pytest.raises(QrisError):
        make_dynamic_qris(STATIC, amount)


def test_the_largest_amount_tag_54_can_hold():
    assert qris_amount(make_dynamic_qris(STATIC, 10**13 - 1)) == 10**13 - 1


@pytest.mark.parametrize("bad", ["", STATIC[:-1] + "D", STATIC.replace("MAJU", "MAJA"), "hello"])
def test_a_damaged_static_qris_is_never_turned_into_a_dynamic_one(bad):
    with pytest.raises(QrisError) as caught:
        make_dynamic_qris(bad, 15000)
    assert str(caught.value) == qris_problem(bad)


@given(st.integers(1, 10**13 - 1))
def test_any_amount_makes_a_payload_cemacqr_accepts(amount):
    dynamic = make_dynamic_qris(STATIC, amount)
    assert qris_problem(dynamic) is None
    assert qris_amount(dynamic) == amount
    assert merchant_name(dynamic) == "KOPDES MERAH PUTIH MAJU"
    qr = cemacqr.parse_payload(dynamic)
    assert qr.crc_ok and qr.amount_decimal == amount
    kept = {tag: value for tag, value in parse_tlv(dynamic) if tag not in ("01", "54", "63")}
    assert kept == {tag: value for tag, value in OBJECTS if tag != "01"}
