"""A small ESC/POS tokenizer, so tests can assert on printed receipts (no decoder is on PyPI).

It reads the bytes python-escpos writes (``escpos.printer.Dummy().output``) and splits them into
commands and text. Any ESC/GS/FS/DLE sequence it does not know raises ``ValueError`` naming the
offset, so garbage in a receipt fails the test instead of passing as text.

- ``tokenize(data)`` -> ``[Token(name, args, text)]``. Commands are named the way the Epson
  manual writes them (``"ESC a"``, ``"GS V"``, ``"GS v 0"``, ``"GS ( k"``) with their parameter
  bytes as ints in ``args``; text runs are ``Token("TEXT", (), "...")`` and each line feed is
  ``Token("LF", (), None)``. Image data is skipped using the lengths in its header and only
  the header is kept; barcode and 2D-code payloads are kept as bytes.
- ``text_lines(data)`` -> the printed lines of text, joined across style commands.
- ``commands(data)`` -> the command names in order (everything but TEXT and LF).
"""
from __future__ import annotations

import codecs
from collections import namedtuple
from collections.abc import Mapping

Token = namedtuple("Token", "name args text")

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10

# ESC t n per Epson's standard table (code pages Python has no codec for decode with the fallback).
EPSON_CODEPAGES = {
    0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252", 17: "cp866",
    18: "cp852", 19: "cp858",
}

# Commands with a fixed number of parameter bytes: (prefix byte, command byte) -> (name, count).
_FIXED = {
    (ESC, b): (f"ESC {chr(b)}", n) for b, n in {
        0x40: 0,  # @ initialize
        0x61: 1,  # a justification
        0x45: 1,  # E emphasized (bold)
        0x47: 1,  # G double-strike
        0x2D: 1,  # - underline
        0x21: 1,  # ! print mode (font, size, bold, underline in one byte)
        0x74: 1,  # t code page
        0x52: 1,  # R international character set
        0x64: 1,  # d print and feed n lines
        0x65: 1,  # e print and reverse feed n lines
        0x4A: 1,  # J print and feed n dots
        0x70: 3,  # p m t1 t2 drawer kick pulse
        0x32: 0,  # 2 default line spacing
        0x33: 1,  # 3 line spacing n/180 inch
        0x41: 1,  # A line spacing n/60 inch (python-escpos divisor 60)
        0x2B: 1,  # + line spacing n/360 inch (python-escpos divisor 360)
        0x4D: 1,  # M character font
        0x7B: 1,  # { upside-down
        0x72: 1,  # r print colour
        0x56: 1,  # V 90 degree rotation
        0x20: 1,  # SP right-side character spacing
        0x24: 2,  # $ absolute print position
        0x5C: 2,  # \ relative print position
        0x55: 1,  # U unidirectional printing
        0x3D: 1,  # = select peripheral device (printer / line display)
        0x3F: 1,  # ? cancel user-defined character
        0x42: 2,  # B times duration: buzzer (python-escpos BUZZER)
        0x4B: 1,  # K slip eject (python-escpos SLIP_EJECT)
        0x53: 0,  # S standard mode
        0x4C: 0,  # L page mode
        0x69: 0,  # i partial cut (legacy)
        0x6D: 0,  # m partial cut (legacy)
    }.items()
} | {
    (GS, b): (f"GS {chr(b)}", n) for b, n in {
        0x21: 1,  # ! character size
        0x42: 1,  # B white/black reverse (invert)
        0x62: 1,  # b smoothing
        0x4C: 2,  # L left margin
        0x57: 2,  # W print area width
        0x7C: 1,  # | print density
        0x68: 1,  # h barcode height
        0x77: 1,  # w barcode module width
        0x66: 1,  # f HRI font
        0x48: 1,  # H HRI position
        0x61: 1,  # a automatic status back
        0x72: 1,  # r transmit status
        0x49: 1,  # I printer ID
        0x50: 2,  # P motion units
        0x2F: 1,  # / print downloaded bit image
        0x3A: 0,  # : start/end macro definition
        0x5E: 3,  # ^ execute macro
    }.items()
} | {
    (FS, b): (f"FS {chr(b)}", n) for b, n in {
        0x2E: 0,  # . cancel Kanji mode
        0x26: 0,  # & Kanji mode
        0x21: 1,  # ! Kanji print mode
        0x2D: 1,  # - Kanji underline
        0x43: 1,  # C Kanji code system
        0x53: 2,  # S Kanji spacing
        0x57: 1,  # W Kanji quadruple size
        0x70: 2,  # p print NV bit image
    }.items()
}

_SINGLE = {0x0A: "LF", 0x0D: "CR", 0x0C: "FF", 0x0B: "VT", 0x07: "BEL", 0x18: "CAN", 0x00: "NUL"}
_TEXT_CONTROLS = {0x09}  # HT stays inside the text it tabulates


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int, start: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError(f"ESC/POS command truncated at offset {start}")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def byte(self, start: int) -> int:
        return self.take(1, start)[0]

    def word(self, start: int) -> int:
        low, high = self.take(2, start)
        return low + 256 * high


def _gs_cut(r: _Reader, start: int) -> Token:
    m = r.byte(start)
    if m in (0, 1, 48, 49):
        return Token("GS V", (m,), None)
    if m in (65, 66, 97, 98, 103, 104):
        return Token("GS V", (m, r.byte(start)), None)
    raise ValueError(f"Unknown GS V mode {m} at offset {start}")


def _gs_raster(r: _Reader, start: int) -> Token:
    if r.byte(start) != 0x30:
        raise ValueError(f"Unknown GS v function at offset {start}")
    m, width_bytes, height = r.byte(start), r.word(start), r.word(start)
    r.take(width_bytes * height, start)
    return Token("GS v 0", (m, width_bytes, height), None)


def _gs_paren(r: _Reader, start: int) -> Token:
    letter = chr(r.byte(start))
    payload = r.take(r.word(start), start)
    if letter in "kL" and len(payload) >= 2:
        # GS ( k: 2D codes (cn fn [m] data); GS ( L: graphics (m fn data). Images are skipped.
        body = payload[2:] if letter == "k" else len(payload) - 2
        return Token(f"GS ( {letter}", (payload[0], payload[1], body), None)
    return Token(f"GS ( {letter}", (payload,), None)


def _gs_barcode(r: _Reader, start: int) -> Token:
    m = r.byte(start)
    if m <= 6:  # function A: data up to NUL
        end = r.data.find(b"\x00", r.pos)
        if end < 0:
            raise ValueError(f"Unterminated GS k barcode at offset {start}")
        code = r.take(end - r.pos, start)
        r.take(1, start)
    elif 65 <= m <= 78:  # function B: length byte, then data
        code = r.take(r.byte(start), start)
    else:
        raise ValueError(f"Unknown GS k barcode system {m} at offset {start}")
    return Token("GS k", (m, code), None)


def _gs_large_graphics(r: _Reader, start: int) -> Token:
    if r.byte(start) != 0x4C:
        raise ValueError(f"Unknown GS 8 function at offset {start}")
    size = int.from_bytes(r.take(4, start), "little")
    r.take(size, start)
    return Token("GS 8 L", (size,), None)


def _gs_define_image(r: _Reader, start: int) -> Token:
    x, y = r.byte(start), r.byte(start)
    r.take(x * y * 8, start)
    return Token("GS *", (x, y), None)


def _esc_bit_image(r: _Reader, start: int) -> Token:
    m, columns = r.byte(start), r.word(start)
    if m not in (0, 1, 32, 33):
        raise ValueError(f"Unknown ESC * mode {m} at offset {start}")
    r.take(columns * (3 if m >= 32 else 1), start)
    return Token("ESC *", (m, columns), None)


def _esc_tabs(r: _Reader, start: int) -> Token:
    stops = []
    while (stop := r.byte(start)) != 0:
        stops.append(stop)
    return Token("ESC D", tuple(stops), None)


def _esc_panel(r: _Reader, start: int) -> Token:
    return Token("ESC c", (r.byte(start), r.byte(start)), None)


def _dle(r: _Reader, start: int) -> Token:
    fn = r.byte(start)
    if fn in (0x04, 0x05):  # EOT n: real-time status; ENQ n: real-time request
        return Token("DLE EOT" if fn == 0x04 else "DLE ENQ", (r.byte(start),), None)
    if fn == 0x14:  # DC4 fn ...: real-time pulse (1 m t) or power-off (2 1 8)
        sub = r.byte(start)
        if sub in (1, 2):
            return Token("DLE DC4", (sub, r.byte(start), r.byte(start)), None)
    raise ValueError(f"Unknown DLE sequence at offset {start}")


_VARIABLE = {
    (GS, 0x56): _gs_cut, (GS, 0x76): _gs_raster, (GS, 0x28): _gs_paren, (GS, 0x6B): _gs_barcode,
    (GS, 0x38): _gs_large_graphics, (GS, 0x2A): _gs_define_image,
    (ESC, 0x2A): _esc_bit_image, (ESC, 0x44): _esc_tabs, (ESC, 0x63): _esc_panel,
}


def _command(r: _Reader, prefix: int, start: int) -> Token:
    if prefix == DLE:
        return _dle(r, start)
    key = (prefix, r.byte(start))
    if key in _FIXED:
        name, count = _FIXED[key]
        return Token(name, tuple(r.take(count, start)), None)
    if key in _VARIABLE:
        return _VARIABLE[key](r, start)
    names = {ESC: "ESC", GS: "GS", FS: "FS"}
    raise ValueError(f"Unknown ESC/POS sequence {names[prefix]} {key[1]:#04x} at offset {start}")


def _decoder(codepage: int, codepages: Mapping[int, str], fallback: str) -> str:
    name = codepages.get(codepage)
    try:
        return codecs.lookup(name).name if name else fallback
    except LookupError:
        return fallback


def tokenize(
    data: bytes, encoding: str = "cp437", codepages: Mapping[int, str] | None = None
) -> list[Token]:
    """Split ESC/POS bytes into commands and text; ``ESC t`` switches how text is decoded."""
    codepages = EPSON_CODEPAGES if codepages is None else codepages
    reader, tokens, current = _Reader(bytes(data)), [], encoding
    text_start = None

    def flush(end: int) -> None:
        nonlocal text_start
        if text_start is not None:
            raw = reader.data[text_start:end]
            tokens.append(Token("TEXT", (), raw.decode(current, errors="replace")))
            text_start = None

    while reader.pos < len(reader.data):
        start, byte = reader.pos, reader.data[reader.pos]
        if byte >= 0x20 or byte in _TEXT_CONTROLS:
            text_start = start if text_start is None else text_start
            reader.pos += 1
            continue
        flush(start)
        reader.pos += 1
        if byte in (ESC, GS, FS, DLE):
            token = _command(reader, byte, start)
            if token.name == "ESC t":
                current = _decoder(token.args[0], codepages, encoding)
        elif byte in _SINGLE:
            token = Token(_SINGLE[byte], (), None)
        else:
            raise ValueError(f"Unexpected control byte {byte:#04x} at offset {start}")
        tokens.append(token)
    flush(len(reader.data))
    return tokens


def text_lines(data: bytes, **options) -> list[str]:
    """The lines of text as printed: text joined across commands, ended by LF or ``ESC d``."""
    lines, current, pending = [], [], False
    for token in tokenize(data, **options):
        if token.name == "TEXT":
            current.append(token.text)
            pending = True
        elif token.name == "LF" or (token.name in ("ESC d", "ESC J", "FF") and pending):
            lines.append("".join(current))
            current, pending = [], False
    if pending:
        lines.append("".join(current))
    return lines


def commands(data: bytes, **options) -> list[str]:
    """The command names in order, text and line feeds left out."""
    return [t.name for t in tokenize(data, **options) if t.name not in ("TEXT", "LF")]
