"""NIK: the form check the till applies, and what the shop keeps of it (hash + last 4)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.nik import (
    MIN_KEY_BYTES,
    PROVINCE_CODES,
    hash_nik,
    mask_nik,
    nik_birth_date,
    nik_last4,
    nik_problem,
    normalize_nik,
)

TODAY = date(2025, 6, 15)  # a frozen clock: every date rule is tested against it
KEY = b"gerai-koperasi-secret-key-0001"

# Fictional NIKs: Kab. Bogor (32 01), district 01.
MAN = "3201011508850003"  # born 15-08-1985
WOMAN = "3201015508850004"  # born 15-08-1985, day written 15 + 40


def nik(province="32", regency="01", district="01", ddmmyy="150885", serial="0001"):
    return province + regency + district + ddmmyy + serial


def test_a_well_formed_nik_has_no_problem():
    assert nik_problem(MAN, TODAY) is None
    assert nik_birth_date(MAN, TODAY) == date(1985, 8, 15)


def test_a_womans_day_of_birth_is_written_plus_40():
    assert nik_problem(WOMAN, TODAY) is None
    assert nik_birth_date(WOMAN, TODAY) == date(1985, 8, 15)
    assert nik_birth_date(nik(ddmmyy="410100"), TODAY) == date(2000, 1, 1)
    assert nik_birth_date(nik(ddmmyy="711299"), TODAY) == date(1999, 12, 31)


@pytest.mark.parametrize("ddmmyy", ["320185", "400185", "720185", "000185", "311185", "711185", "151385", "150085"])
def test_days_32_to_40_and_impossible_dates_are_refused(ddmmyy):
    problem = nik_problem(nik(ddmmyy=ddmmyy), TODAY)
    assert problem is not None and "is not a real date" in problem


def test_29_february_only_in_leap_years():
    assert nik_birth_date(nik(ddmmyy="290288"), TODAY) == date(1988, 2, 29)
    assert nik_birth_date(nik(ddmmyy="690204"), TODAY) == date(2004, 2, 29)  # a woman
    assert nik_birth_date(nik(ddmmyy="290200"), TODAY) == date(2000, 2, 29)  # 2000 is leap
    for ddmmyy in ["290289", "290223", "690201"]:
        assert "not a real date" in nik_problem(nik(ddmmyy=ddmmyy), TODAY)


def test_the_century_is_the_latest_that_is_not_after_today():
    assert nik_birth_date(nik(ddmmyy="150625"), TODAY) == date(2025, 6, 15)  # born today
    assert nik_birth_date(nik(ddmmyy="140625"), TODAY) == date(2025, 6, 14)
    # tomorrow's date in this year's YY would be in the future, so it is the previous century
    assert nik_birth_date(nik(ddmmyy="160625"), TODAY) == date(1925, 6, 16)
    assert nik_birth_date(nik(ddmmyy="010130"), TODAY) == date(1930, 1, 1)


def test_a_birth_date_that_is_in_the_future_in_every_century_is_refused():
    # 29-02-00 is a date only in 2000 (1900 was not a leap year); seen from early 2000 it is
    # still to come.
    assert nik_problem(nik(ddmmyy="290200"), date(2000, 2, 28)) == (
        "The birth date in the NIK (29-02-2000) is in the future."
    )
    assert nik_problem(nik(ddmmyy="290200"), date(2000, 2, 29)) is None


def test_today_defaults_to_the_real_date():
    assert nik_problem(nik(ddmmyy="010180")) is None


@given(st.dates(min_value=date(1926, 1, 1), max_value=TODAY), st.booleans())
def test_any_birth_date_in_the_last_century_reads_back(born, woman):
    day = born.day + (40 if woman else 0)
    code = nik(ddmmyy=f"{day:02d}{born:%m%y}")
    assert nik_problem(code, TODAY) is None
    assert nik_birth_date(code, TODAY) == born


def age(born, today):
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@given(
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.dates(date(2000, 3, 1), date(2099, 12, 31)),
)
def test_an_accepted_nik_is_born_on_or_before_today_and_under_100(province, ddmmyy, today):
    code = nik(province=str(province), ddmmyy=ddmmyy)
    born = nik_birth_date(code, today)
    assert (born is None) == (nik_problem(code, today) is not None)
    if born is not None:
        assert born <= today and age(born, today) < 100
        assert (born.day + 40 if int(ddmmyy[:2]) > 40 else born.day) == int(ddmmyy[:2])


@pytest.mark.parametrize("province", sorted(PROVINCE_CODES))
def test_every_province_code_is_accepted(province):
    assert nik_problem(nik(province=str(province)), TODAY) is None


def test_there_are_38_provinces_including_the_new_papua_ones():
    assert len(PROVINCE_CODES) == 38
    assert {91, 92, 93, 94, 95, 96} <= PROVINCE_CODES


@pytest.mark.parametrize("province", ["00", "10", "20", "22", "30", "37", "54", "60", "66", "77", "83", "90", "97", "99"])
def test_codes_that_are_no_province_are_refused(province):
    assert nik_problem(nik(province=province), TODAY) == (
        f"The NIK starts with {province}, which is not an Indonesian province code."
    )


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "The NIK is empty."),
        (" - . ", "The NIK is empty."),
        ("320101150885000", "A NIK has 16 digits; this one has 15."),
        ("32010115088500031", "A NIK has 16 digits; this one has 17."),
        ("320101150885000A", "A NIK contains only digits."),
        ("３２０１０１１５０８８５０００３", "A NIK contains only digits."),  # full-width digits
        (nik(regency="00"), "The regency code in the NIK (digits 3-4) cannot be 00."),
        (nik(district="00"), "The district code in the NIK (digits 5-6) cannot be 00."),
        (nik(serial="0000"), "The serial number in the NIK (digits 13-16) cannot be 0000."),
    ],
)
def test_problems_are_told_in_a_sentence(code, message):
    assert nik_problem(code, TODAY) == message
    assert nik_birth_date(code, TODAY) is None


def test_the_birth_date_problem_quotes_the_digits():
    assert nik_problem(nik(ddmmyy="321385"), TODAY) == (
        "The birth date in the NIK (digits 7-12: 321385) is not a real date; "
        "a woman's day of birth is written plus 40."
    )


@pytest.mark.parametrize("typed", ["3201 0115 0885 0003", "3201.0115.0885.0003", "32-01-01-150885-0003", "\t3201011508850003\n"])
def test_spaces_dots_and_dashes_are_ignored(typed):
    assert normalize_nik(typed) == MAN
    assert nik_problem(typed, TODAY) is None
    assert hash_nik(typed, KEY) == hash_nik(MAN, KEY)


def test_last4_and_mask():
    assert nik_last4(MAN) == "0003"
    assert nik_last4("3201 0115 0885 0003") == "0003"
    assert mask_nik(MAN) == "************0003"
    assert mask_nik("0003") == "************0003"
    assert len(mask_nik(MAN)) == 16


@pytest.mark.parametrize("bad", ["", "123", "12345", "320101150885000", "abcd"])
def test_mask_and_last4_refuse_what_is_neither_a_nik_nor_4_digits(bad):
    with pytest.raises(ValueError):
        mask_nik(bad)
    with pytest.raises(ValueError):
        nik_last4(bad)


def test_hash_is_hmac_sha256_with_the_shops_key():
    # Known answers from `printf %s 3201014107850001 | openssl dgst -sha256 -hmac <key>`.
    assert hash_nik("3201014107850001", KEY) == (
        "db7cf5e6b42be475a6a230f4db0d2c5463e33084b4ed71b1d65988678cc25c40"
    )
    assert hash_nik("3201014107850001", b"another-shop-secret-key-00002") == (
        "1dc99c4a2352f5c9e88ac32c830a0b2cf4129445aab2052b86a9efb2be7c6644"
    )


def test_hash_never_contains_the_nik():
    digest = hash_nik(MAN, KEY)
    assert len(digest) == 64 and MAN not in digest


def test_short_keys_are_refused_because_nik_hashes_could_be_guessed_back():
    with pytest.raises(ValueError):
        hash_nik(MAN, b"x" * (MIN_KEY_BYTES - 1))
    assert len(hash_nik(MAN, b"x" * MIN_KEY_BYTES)) == 64


def test_hashing_refuses_a_malformed_nik():
    with pytest.raises(ValueError):
        hash_nik("12345", KEY)


@given(st.text(alphabet="0123456789", min_size=16, max_size=16), st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_same_nik_same_hash_different_nik_different_hash(a, b):
    assert hash_nik(a, KEY) == hash_nik(a, KEY)
    assert (hash_nik(a, KEY) == hash_nik(b, KEY)) == (a == b)
    assert hash_nik(a, KEY) != hash_nik(a, KEY + b"!")
