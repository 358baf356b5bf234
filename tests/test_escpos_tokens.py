"""The ESC/POS tokenizer reads back what the real python-escpos 3.1 writes."""
import pytest
from PIL import Image

try:
    from escpos_tokens import Token, commands, text_lines, tokenize
except ModuleNotFoundError:  # tests/ became a package
    from tests.escpos_tokens import Token, commands, text_lines, tokenize

escpos_printer = pytest.importorskip("escpos.printer")

PRINTER_80MM = "TM-T88III"  # has a cutter, hardware barcodes and native QR
PRINTER_58MM = "POS-5890"  # no cutter, no CODE128 in hardware


def printer(profile):
    return escpos_printer.Dummy(profile=profile)


def receipt(profile):
    p = printer(profile)
    p.hw("INIT")
    p.set(align="center", bold=True, double_width=True, double_height=True)
    p.textln("KOPERASI DESA MAJU")
    p.set_with_default()
    p.textln("Beras SPHP 5 kg  Rp62.500")
    p.text("Total ")
    p.set(bold=True)
    p.text("Rp62.500")
    p.set(bold=False)
    p.ln()
    p.cut()
    p.cashdraw(2)
    return p.output


def named(data, name):
    return [t for t in tokenize(data) if t.name == name]


def test_text_lines_are_recovered_across_style_commands():
    lines = text_lines(receipt(PRINTER_80MM))
    assert lines == ["KOPERASI DESA MAJU", "Beras SPHP 5 kg  Rp62.500", "Total Rp62.500"]


def test_styles_cut_and_drawer_kick_on_an_80mm_printer():
    data = receipt(PRINTER_80MM)
    names = commands(data)
    assert names[0] == "ESC @"
    assert names.index("ESC d") < names.index("GS V") < names.index("ESC p")
    assert named(data, "ESC a")[0].args == (1,)  # centered
    assert named(data, "ESC E")[0].args == (1,)  # bold on
    assert (0x30,) in [t.args for t in named(data, "ESC !")]  # double width and height
    assert named(data, "ESC d") == [Token("ESC d", (6,), None)]
    assert named(data, "GS V") == [Token("GS V", (0,), None)]  # full cut
    assert named(data, "ESC p") == [Token("ESC p", (0, 50, 50), None)]  # pin 2, 100 ms pulses


def test_58mm_printer_has_no_cutter_so_cut_only_feeds():
    data = receipt(PRINTER_58MM)
    assert "GS V" not in commands(data)
    assert named(data, "ESC d") == [Token("ESC d", (6,), None)]
    assert "ESC p" in commands(data)
    assert text_lines(data)[-1] == "Total Rp62.500"


@pytest.mark.parametrize("profile", [PRINTER_80MM, PRINTER_58MM])
def test_image_qr_data_is_skipped_using_the_raster_header(profile):
    p = printer(profile)
    p.qr("hello")
    p.textln("Terima kasih")
    data = p.output
    (image,) = named(data, "GS v 0")
    mode, width_bytes, height = image.args
    assert mode == 0 and width_bytes > 0 and height > 0
    assert "GS ( k" not in commands(data)
    assert text_lines(data)[-1] == "Terima kasih"
    assert all(line in ("", "Terima kasih") for line in text_lines(data))


def test_native_qr_is_read_by_its_length_prefix():
    p = printer(PRINTER_80MM)
    p.qr("hello", native=True)
    p.textln("done")
    qr = named(p.output, "GS ( k")
    functions = [(t.args[0], t.args[1]) for t in qr]
    assert functions == [(49, 65), (49, 67), (49, 69), (49, 80), (49, 81)]
    assert qr[3].args[2] == b"0hello"  # store the data (fn 80), then print it (fn 81)
    assert text_lines(p.output) == ["done"]


def test_hardware_code128_barcode():
    p = printer(PRINTER_80MM)
    p.barcode("{BGERAI1", "CODE128", function_type="B")
    p.textln("after")
    data = p.output
    assert named(data, "GS k") == [Token("GS k", (73, b"{BGERAI1"), None)]
    assert [named(data, n)[0].args for n in ("GS h", "GS w", "GS H")] == [(64,), (3,), (2,)]
    assert text_lines(data) == ["after"]


def test_58mm_printer_gets_the_barcode_as_an_image():
    p = printer(PRINTER_58MM)
    p.barcode("{BGERAI1", "CODE128", function_type="B")
    assert "GS k" not in commands(p.output)
    assert len(named(p.output, "GS v 0")) == 1


@pytest.mark.parametrize("impl, name", [("graphics", "GS ( L"), ("bitImageColumn", "ESC *")])
def test_other_image_commands_are_skipped(impl, name):
    p = printer(PRINTER_80MM)
    p.image(Image.new("1", (64, 40), 1), impl=impl)
    p.textln("Rp12.500")
    assert name in commands(p.output)
    assert [line for line in text_lines(p.output) if line] == ["Rp12.500"]


def test_spacing_font_invert_flip_and_size_commands():
    p = printer(PRINTER_80MM)
    p.line_spacing(30)
    p.line_spacing()
    p.set(font="b", invert=True, flip=True, underline=1)
    p.set(custom_size=True, width=2, height=3)
    p.print_and_feed(2)
    tokens = [t for t in tokenize(p.output) if t.name != "TEXT"]
    assert tokens == [
        Token("ESC 3", (30,), None), Token("ESC 2", (), None),
        Token("ESC {", (1,), None), Token("ESC -", (1,), None), Token("ESC M", (1,), None),
        Token("GS B", (1,), None), Token("GS !", (0x12,), None), Token("ESC d", (2,), None),
    ]


def test_margin_width_and_kanji_commands():
    data = b"\x1dL\x10\x00\x1dW\x00\x02\x1c.\x1c&Harga\n"
    assert commands(data) == ["GS L", "GS W", "FS .", "FS &"]
    assert tokenize(data)[:2] == [Token("GS L", (16, 0), None), Token("GS W", (0, 2), None)]
    assert text_lines(data) == ["Harga"]


def test_code_page_switch_decodes_non_ascii_text():
    p = printer(PRINTER_80MM)
    p.textln("Kafé Koperasi")
    assert text_lines(p.output) == ["Kafé Koperasi"]


def test_unknown_sequence_raises_with_its_offset():
    with pytest.raises(ValueError, match="offset 3"):
        tokenize(b"abc\x1b\x99")
    with pytest.raises(ValueError, match="offset 2"):
        tokenize(b"ok\x1dV\x07")


def test_truncated_image_raises():
    with pytest.raises(ValueError, match="truncated at offset 0"):
        tokenize(b"\x1dv0\x00\x02\x00\x02\x00\xff")


def test_stray_control_byte_raises():
    with pytest.raises(ValueError, match="offset 1"):
        tokenize(b"a\x01b")
