"""QRIS, Indonesia's EMVCo merchant-presented QR: read, check, and make a dynamic one.

A shop gets one static QRIS from its bank; the buyer then types the amount, and mistypes it.
Showing a dynamic QRIS that already carries the sale's total avoids that, and needs no bank
API: copy the static payload, mark it single-use, add the amount, recompute the checksum
(EMV QRCPS Merchant-Presented Mode v1.1, which the QRIS standard of Bank Indonesia adopts).
Pure functions, no I/O.
"""

from __future__ import annotations

import binascii
import re

__all__ = [
    "QrisError",
    "crc16",
    "make_dynamic_qris",
    "merchant_name",
    "parse_tlv",
    "qris_amount",
    "qris_problem",
]

#: Root tags a QRIS cannot do without, and what a person calls them.
REQUIRED_TAGS = {
    "00": "payload format indicator",
    "01": "point of initiation method",
    "52": "merchant category code",
    "53": "transaction currency",
    "58": "country code",
    "59": "merchant name",
    "60": "merchant city",
    "63": "checksum",
}
STATIC, DYNAMIC = "11", "12"
RUPIAH = "360"  # ISO 4217 numeric code of IDR
MAX_AMOUNT_DIGITS = 13  # the longest value tag 54 may hold (EMV QRCPS 4.7.5)

_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]*)?")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")


class QrisError(ValueError):
    """A QRIS payload, or a request about one, that cannot be used; the message says why."""


def parse_tlv(payload: str) -> list[tuple[str, str]]:
    """The top-level (tag, value) pairs of a payload, in order.

    Lengths count characters, not bytes, as EMVCo specifies; nested templates such as tag 26
    are values here and can be parsed again with this same function.
    """
    objects: list[tuple[str, str]] = []
    at = 0
    while at < len(payload):
        head = payload[at : at + 4]
        if len(head) < 4:
            raise QrisError(f"The QRIS is cut short at character {at + 1}.")
        if not (head.isascii() and head.isdigit()):
            raise QrisError(
                f"The QRIS has {head!r} at character {at + 1} where a 2-digit tag "
                "and a 2-digit length should be."
            )
        tag, length = head[:2], int(head[2:])
        value = payload[at + 4 : at + 4 + length]
        if len(value) < length:
            raise QrisError(
                f"The QRIS tag {tag} says {length} characters but only {len(value)} follow."
            )
        objects.append((tag, value))
        at += 4 + length
    return objects


def crc16(payload: str) -> str:
    """CRC-16/CCITT-FALSE of everything up to and including ``6304``, as 4 upper-case hex.

    Poly 0x1021, initial 0xFFFF (EMV QRCPS 4.7.3), over the UTF-8 bytes of the payload.
    """
    return f"{binascii.crc_hqx(payload.encode('utf-8'), 0xFFFF):04X}"


def _encode(tag: str, value: str) -> str:
    """One data object as tag, 2-digit length and value."""
    return f"{tag}{len(value):02d}{value}"


def _structure_problem(objects: list[tuple[str, str]], payload: str) -> str | None:
    """Problems of shape: duplicate tags, tag 00 not first, a missing or misplaced checksum."""
    tags = [tag for tag, _ in objects]
    for tag in tags:
        if tags.count(tag) > 1:
            return f"The QRIS has tag {tag} more than once."
    if tags[0] != "00":
        return "The QRIS does not start with tag 00 (payload format indicator)."
    if "63" not in tags:
        return "The QRIS has no checksum (tag 63)."
    if tags[-1] != "63" or _HEX4.fullmatch(objects[-1][1]) is None:
        return "The QRIS checksum (tag 63) must be the last tag and 4 hexadecimal digits."
    expected = crc16(payload[:-4])
    if objects[-1][1].upper() != expected:
        return (
            f"The QRIS checksum is {objects[-1][1]} but its content gives {expected}: "
            "it was damaged or changed."
        )
    return None


def _content_problem(found: dict[str, str]) -> str | None:
    """Problems of content: missing tags, values QRIS does not allow."""
    for tag, name in REQUIRED_TAGS.items():
        if tag not in found:
            return f"The QRIS has no {name} (tag {tag})."
    if not any("02" <= tag <= "51" for tag in found):
        return "The QRIS has no merchant account information (tags 02 to 51)."
    if found["00"] != "01":
        return f"The QRIS payload format indicator is {found['00']!r}; it must be '01'."
    if found["01"] not in (STATIC, DYNAMIC):
        return f"The QRIS point of initiation is {found['01']!r}; it must be '11' or '12'."
    if found["53"] != RUPIAH:
        return f"The QRIS currency is {found['53']!r}; a Rupiah QRIS says '360'."
    if found["58"] != "ID":
        return f"The QRIS country is {found['58']!r}; an Indonesian QRIS says 'ID'."
    if "54" in found:
        return _amount_problem(found["54"])
    if found["01"] == DYNAMIC:
        return "The QRIS is marked single-use (tag 01 is '12') but carries no amount (tag 54)."
    return None


def _amount_problem(text: str) -> str | None:
    """Why tag 54 is no amount: digits with at most one '.', not zero (EMV QRCPS 4.7.5)."""
    if _AMOUNT.fullmatch(text) is None:
        return f"The QRIS amount {text!r} is not a number written with digits and one '.'."
    if not text.replace(".", "").strip("0"):
        return "The QRIS amount is zero."
    return None


def qris_problem(payload: str) -> str | None:
    """Why ``payload`` is not a usable QRIS, in a sentence, or None when it is."""
    if payload != payload.strip():
        return "The QRIS text has spaces or line breaks at its start or end."
    if not payload:
        return "The QRIS text is empty."
    try:
        objects = parse_tlv(payload)
    except QrisError as error:
        return str(error)
    return _structure_problem(objects, payload) or _content_problem(dict(objects))


def make_dynamic_qris(static_payload: str, amount: int) -> str:
    """The shop's QRIS made single-use for ``amount`` Rupiah, ready to show at the till.

    Tag 01 becomes '12', tag 54 carries the amount (replacing any), tags are written in
    ascending order and the checksum is recomputed. A payload with any problem is refused,
    so a damaged static QRIS never turns into a clean-looking dynamic one.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise QrisError("The QRIS amount must be a positive whole number of Rupiah.")
    if len(str(amount)) > MAX_AMOUNT_DIGITS:
        raise QrisError(f"The QRIS amount has more than {MAX_AMOUNT_DIGITS} digits.")
    problem = qris_problem(static_payload)
    if problem is not None:
        raise QrisError(problem)
    found = {tag: value for tag, value in parse_tlv(static_payload) if tag != "63"}
    found["01"], found["54"] = DYNAMIC, str(amount)
    body = "".join(_encode(tag, found[tag]) for tag in sorted(found)) + "6304"
    return body + crc16(body)


def _root_value(payload: str, tag: str) -> str | None:
    """The value of a root tag, or None; QrisError when the payload is not TLV."""
    return dict(parse_tlv(payload)).get(tag)


def qris_amount(payload: str) -> int | None:
    """The whole-Rupiah amount of a payload, or None when the buyer is to type it.

    Reads only; check the payload with :func:`qris_problem` first. An amount with a
    non-zero fraction of a Rupiah is refused rather than rounded.
    """
    text = _root_value(payload, "54")
    if text is None:
        return None
    problem = _amount_problem(text)
    if problem is not None:
        raise QrisError(problem)
    whole, _, fraction = text.partition(".")
    if fraction.strip("0"):
        raise QrisError(f"The QRIS amount {text} is not a whole number of Rupiah.")
    return int(whole)


def merchant_name(payload: str) -> str | None:
    """The merchant name (tag 59) the buyer's app will show, or None when there is none."""
    return _root_value(payload, "59")
