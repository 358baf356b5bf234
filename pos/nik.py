"""The buyer's NIK (Nomor Induk Kependudukan) for subsidised goods: form check, hash, mask.

LPG 3 kg, subsidised fertilizer and SPHP rice are sold against the buyer's NIK. Indonesia's
personal-data law (UU 27/2022 on Pelindungan Data Pribadi) asks the shop to keep no more than
it needs, so the shop stores a keyed hash (to count a buyer's quota) plus the last 4 digits
(to read on a receipt), never the NIK itself. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

__all__ = [
    "MIN_KEY_BYTES",
    "PROVINCE_CODES",
    "hash_nik",
    "mask_nik",
    "nik_birth_date",
    "nik_last4",
    "nik_problem",
    "normalize_nik",
]

#: Province codes of Kemendagri (Permendagri 58/2021 with its updates), which Dukcapil puts in
#: the first two digits of a NIK. 93-96 are the Papua provinces created in 2022: Papua Selatan,
#: Papua Tengah, Papua Pegunungan (93-95) and Papua Barat Daya (96). BPS numbers Papua
#: differently (up to 97); a NIK follows Kemendagri, where 97 is not used.
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53}
    | {61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96}
)

#: A shorter HMAC key would let anyone holding the database guess NIKs back from their hashes.
MIN_KEY_BYTES = 16

_SEPARATORS = re.compile(r"[\s.\-]")
_NIK = re.compile(r"[0-9]{16}")
#: A woman's NIK carries her day of birth plus 40 (Dukcapil's rule), so 41-71 are women's days.
_WOMAN_DAY_OFFSET = 40


def normalize_nik(s: str) -> str:
    """The NIK without the spaces, dots and dashes people type or copy from a KTP photo."""
    return _SEPARATORS.sub("", s)


def _birth_date(nik: str, today: date) -> date | str:
    """The birth date in digits 7-12 (DDMMYY, women DD+40), or why there is none.

    The year has two digits, so the latest century that keeps the birth on or before
    ``today`` is taken. Every reading is thus under 100 years old: a centenarian's NIK reads
    as a child's, which no form check can tell apart, and is accepted either way.
    """
    dd, mm, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    day = dd - _WOMAN_DAY_OFFSET if dd > _WOMAN_DAY_OFFSET else dd
    real: list[date] = []
    for century in (2000, 1900):
        try:
            real.append(date(century + yy, mm, day))
        except ValueError:
            continue
    if not real:
        return (
            f"The birth date in the NIK (digits 7-12: {nik[6:12]}) is not a real date; "
            "a woman's day of birth is written plus 40."
        )
    past = [d for d in real if d <= today]
    if not past:
        return f"The birth date in the NIK ({real[0]:%d-%m-%Y}) is in the future."
    return past[0]


def nik_birth_date(nik: str, today: date | None = None) -> date | None:
    """The birth date a NIK carries, or None when its form is wrong."""
    today = today or date.today()
    if nik_problem(nik, today) is not None:
        return None
    found = _birth_date(normalize_nik(nik), today)
    return found if isinstance(found, date) else None


def nik_problem(nik: str, today: date | None = None) -> str | None:
    """Why ``nik`` cannot be a NIK, in a sentence, or None when its form is right.

    A form check only (the till has no line to Dukcapil): 16 digits, a real province,
    regency and district code, a real birth date, a serial above 0000.
    """
    today = today or date.today()
    n = normalize_nik(nik)
    if not n:
        return "The NIK is empty."
    if _NIK.fullmatch(n) is None:
        if not n.isascii() or not n.isdigit():
            return "A NIK contains only digits."
        return f"A NIK has 16 digits; this one has {len(n)}."
    if int(n[:2]) not in PROVINCE_CODES:
        return f"The NIK starts with {n[:2]}, which is not an Indonesian province code."
    if n[2:4] == "00":
        return "The regency code in the NIK (digits 3-4) cannot be 00."
    if n[4:6] == "00":
        return "The district code in the NIK (digits 5-6) cannot be 00."
    born = _birth_date(n, today)
    if isinstance(born, str):
        return born
    if n[12:] == "0000":
        return "The serial number in the NIK (digits 13-16) cannot be 0000."
    return None


def _sixteen_digits(nik: str) -> str:
    """The normalised NIK, or ValueError: storing a malformed one would match nobody later."""
    n = normalize_nik(nik)
    if _NIK.fullmatch(n) is None:
        raise ValueError("a NIK has 16 digits")
    return n


def nik_last4(nik: str) -> str:
    """The last 4 digits, the part of a NIK the shop keeps in clear for receipts."""
    return _sixteen_digits(nik)[-4:]


def mask_nik(nik_or_last4: str) -> str:
    """``************1234`` for receipts and screens, from a whole NIK or its stored last 4."""
    n = normalize_nik(nik_or_last4)
    last4 = n if re.fullmatch(r"[0-9]{4}", n) else nik_last4(n)
    return "*" * 12 + last4


def hash_nik(nik: str, key: bytes) -> str:
    """HMAC-SHA256 of the normalised NIK under the shop's secret key, as hex.

    Keyed, not a plain hash: there are few enough NIKs that an unkeyed SHA-256 could be
    reversed by trying them all, while the same NIK under the same key always matches, which
    is all a quota needs.
    """
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the NIK hash key must be at least {MIN_KEY_BYTES} bytes")
    return hmac.new(key, _sixteen_digits(nik).encode("ascii"), hashlib.sha256).hexdigest()
