"""Receipt layout (32 and 48 columns), its ESC/POS bytes read back by the tokenizer, and printing
to real targets: a file printer, and a network printer that is not there."""
import socket
import uuid
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from escpos_tokens import commands, text_lines, tokenize
from gerai.app import create_app
from gerai.cli import main
from gerai.config import load_config
from pos import printing, receipts
from pos.documents import LineDoc, PaymentDoc, SaleDoc
from pos_helpers import JsonClient, token_for_role
from pos_helpers import any_shop, api, open_shifts, shop  # noqa: F401 (fixtures)

SHOP = receipts.Shop("Gerai Kopdes Merah Putih Sukamaju", "Jl. Raya Sukamaju No. 17, Kab. Bogor", "Asia/Makassar")


def a_sale(payments=(("cash", 200000),)) -> SaleDoc:
    lines = [LineDoc(1, 1, "BRS-SPHP-5", "Beras SPHP 5 kg (Bulog, stabilisasi pasokan dan harga pangan)", "bungkus",
                     "sembako", Decimal(2), 62500, 62500, 125000),
             LineDoc(2, 2, "BRS-KG", "Beras medium curah", "kg", "sembako", Decimal("2.345"), 13000, 13500, 30485),
             LineDoc(3, 3, "LPG-3", "LPG 3 kg", "tabung", "lpg", Decimal(1), 18000, 18000, 18000, Decimal(1))]
    total = sum(ln.amount for ln in lines)
    paid = sum(a for _, a in payments)
    return SaleDoc("0b7c1f0e-1111-4222-8333-944455556666", 123, datetime(2026, 3, 10, 16, 5, tzinfo=timezone.utc),
                   "kasir", "Siti", 1, lines, [PaymentDoc(m, a) for m, a in payments], total, paid, paid - total,
                   "A-0042", "Budi Santoso", "0001", "rumah_tangga")


@pytest.mark.parametrize("width", [32, 48])
def test_receipt_layout_fits_the_paper_and_says_everything(width):
    text = receipts.as_text(receipts.sale_rows(a_sale(), SHOP, width), width)
    lines = text.splitlines()
    assert max(len(ln) for ln in lines) <= width
    assert lines[0].strip() == "GERAI KOPDES MERAH PUTIH" or "GERAI KOPDES" in lines[0]
    assert any(ln.startswith("No. 000123") and ln.endswith("11/03/2026 00:05 WITA") for ln in lines)
    assert "Kasir: Siti" in lines
    for expected in ("TOTAL", "Tunai", "Kembali", "Rp173.485", "Rp26.515", "Diskon dari Rp13.500",
                     "Tabung kosong diterima: 1", "Anggota: A-0042 Budi Santoso", "NIK: ************0001",
                     "Kategori: Rumah tangga", "2,345 kg x Rp13.000"):
        assert expected in text, expected
    total = next(ln for ln in lines if ln.startswith("TOTAL"))
    assert len(total) == width and total.endswith("Rp173.485")


def test_a_line_too_long_for_one_row_wraps_and_keeps_its_amount_right_aligned():
    rows = receipts.pair("  2 x Rp62.500 (harga khusus anggota)", "Rp125.000", 32)
    assert [r.text for r in rows] == ["  2 x Rp62.500 (harga khusus", "anggota)", "Rp125.000".rjust(32)]


def test_escpos_bytes_carry_the_same_lines_bold_total_cut_and_drawer_on_80mm():
    rows = receipts.sale_rows(a_sale(), SHOP, 48)
    data = printing.render(rows, paper_mm=80, open_drawer=True)
    assert [ln.strip() for ln in text_lines(data)] == [ln.strip() for ln in receipts.as_text(rows, 48).splitlines()]
    names = commands(data)
    assert names[0] == "ESC @" and "GS V" in names and names[-1] == "ESC p"
    tokens = tokenize(data)
    total_at = next(i for i, t in enumerate(tokens) if t.name == "TEXT" and t.text.startswith("TOTAL"))
    bold = [t.args for t in tokens[:total_at] if t.name == "ESC E"]
    assert bold[-1] == (1,)
    centred = [t.args for t in tokens if t.name == "ESC a"]
    assert (1,) in centred and (0,) in centred


def test_58mm_printers_have_no_cutter_so_the_paper_is_fed_and_a_qris_sale_keeps_the_drawer_shut():
    rows = receipts.sale_rows(a_sale(payments=(("qris", 173485),)), SHOP, 32)
    data = printing.render(rows, paper_mm=58, open_drawer=False)
    names = commands(data)
    assert "GS V" not in names and "ESC p" not in names and names[-1] == "ESC d"
    assert max(len(ln) for ln in text_lines(data)) <= 32


def test_z_report_and_self_test_render():
    from pos.shifts import ShiftDoc

    z = ShiftDoc(7, "kasir", "Siti", datetime(2026, 3, 10, 0, 0, tzinfo=timezone.utc),
                 datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc), 100000, 12, 540000, 400000, 1, 18000, 18000,
                 482000, 480000, None, {"cash": 400000, "qris": 140000, "transfer": 0})
    text = receipts.as_text(receipts.z_report_rows(z, SHOP, 32), 32)
    assert "Selisih" in text and "-Rp2.000" in text and "Rp482.000" in text
    page = printing.render(receipts.self_test_rows(SHOP, 48, "file:/dev/null", datetime.now(timezone.utc)), paper_mm=80)
    assert "TES PRINTER" in [ln.strip() for ln in text_lines(page)]


@pytest.mark.parametrize("spec, expected", [
    ("none", printing.PrinterSpec("none")),
    ("network:192.168.1.50:9100", printing.PrinterSpec("network", "192.168.1.50", port=9100)),
    ("network:printer.local", printing.PrinterSpec("network", "printer.local", port=9100)),
    ("usb:0416:5011", printing.PrinterSpec("usb", vendor=0x0416, product=0x5011)),
    ("usb:0x04b8:0x0202", printing.PrinterSpec("usb", vendor=0x04B8, product=0x0202)),
    ("serial:/dev/ttyUSB0@19200", printing.PrinterSpec("serial", "/dev/ttyUSB0", baudrate=19200)),
    ("file:/dev/usb/lp0", printing.PrinterSpec("file", "/dev/usb/lp0")),
])
def test_printer_specs(spec, expected):
    assert printing.parse_printer(spec) == expected


@pytest.mark.parametrize("spec", ["lpt1", "usb:xyz", "network:", "network:host:port", "file:"])
def test_bad_printer_specs_say_how_to_write_one(spec):
    with pytest.raises(printing.PrinterSpecError, match="network:HOST:PORT"):
        printing.parse_printer(spec)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def till_with_printer(shop, instance, printer: str, paper: str = "58"):
    settings = load_config({}, instance=str(instance), secret_key="test-secret-" + uuid.uuid4().hex, printer=printer,
                           paper=paper, timezone="Asia/Makassar")
    app = create_app(settings)
    app.config.update(TESTING=True)
    client = app.test_client()
    cashier = JsonClient(client, token_for_role(app, "cashier"))
    assert cashier.post("/shifts", json={"opening_cash": 0}).status_code == 201
    return app, cashier


def test_a_sale_prints_to_a_file_printer_after_commit_and_reprints_as_a_copy(shop, instance, tmp_path):
    paper = tmp_path / "printer.bin"
    app, cashier = till_with_printer(shop, instance, f"file:{paper}", paper="80")
    sale = {"id": str(uuid.uuid4()), "lines": [{"sku": "GULA-1KG", "qty": 2}],
            "payments": [{"method": "cash", "amount": 50000}]}
    res = cashier.post("/sales", json=sale)
    assert res.status_code == 201 and res.get_json()["printed"] is True and res.get_json()["print_error"] is None
    first = paper.read_bytes()
    lines = [ln.strip() for ln in text_lines(first)]
    assert "Gula pasir 1 kg" in lines and any(ln.startswith("TOTAL") and ln.endswith("Rp36.000") for ln in lines)
    assert commands(first)[-1] == "ESC p" and "GS V" in commands(first)
    again = cashier.post(f"/sales/{sale['id']}/print")
    assert again.get_json() == {"printed": True, "print_error": None}
    copy = paper.read_bytes()[len(first):]
    assert "** SALINAN / CETAK ULANG **" in [ln.strip() for ln in text_lines(copy)] and "ESC p" not in commands(copy)
    assert cashier.post("/sales", json=sale).get_json()["printed"] is False  # a retry does not print twice
    app.extensions["gerai_db"].dispose()


def test_a_printer_that_is_off_never_loses_the_sale(shop, instance):
    app, cashier = till_with_printer(shop, instance, f"network:127.0.0.1:{closed_port()}")
    sale = {"id": str(uuid.uuid4()), "lines": [{"sku": "GULA-1KG", "qty": 1}],
            "payments": [{"method": "cash", "amount": 20000}]}
    res = cashier.post("/sales", json=sale)
    assert res.status_code == 201
    assert res.get_json()["printed"] is False and "refused" in res.get_json()["print_error"].lower()
    assert cashier.get(f"/sales/{sale['id']}").status_code == 200
    reprint = cashier.post(f"/sales/{sale['id']}/print").get_json()
    assert reprint["printed"] is False and reprint["print_error"]
    app.extensions["gerai_db"].dispose()


def test_print_test_command_prints_to_the_file_printer(shop, instance, tmp_path):
    paper = tmp_path / "lp0"
    settings = load_config({}, instance=str(instance), secret_key="x" * 32, printer=f"file:{paper}")
    app = create_app(settings)
    result = app.test_cli_runner().invoke(main, ["print-test"])
    assert result.exit_code == 0, result.output
    assert "TES PRINTER" in [ln.strip() for ln in text_lines(paper.read_bytes())]
    app.extensions["gerai_db"].dispose()


def test_print_test_command_fails_clearly_without_a_printer(runner):
    result = runner.invoke(main, ["print-test"])
    assert result.exit_code == 1 and "GERAI_PRINTER" in result.output


def test_a_network_printer_receives_the_receipt_bytes():
    import threading

    received = bytearray()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def printer():
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(4096):
                received.extend(chunk)

    thread = threading.Thread(target=printer)
    thread.start()
    rows = receipts.sale_rows(a_sale(), SHOP, 32)
    result = printing.print_rows(f"network:127.0.0.1:{server.getsockname()[1]}", rows, paper_mm=58, open_drawer=True)
    thread.join(10)
    server.close()
    assert result == printing.PrintResult(True)
    assert bytes(received) == printing.render(rows, paper_mm=58, open_drawer=True)
