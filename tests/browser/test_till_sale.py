"""A cashier's day at the till, in Debian's chromium against the real server and a file printer."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from inventory.barcodes import make_scale_barcode
from tests.browser.live import SCALE_ITEM
from tests.browser.till import GULA, MINYAKITA, NIK, SPHP, line_texts, open_shift, scan, search_add, sign_in
from tests.escpos_tokens import text_lines

pytestmark = pytest.mark.browser


def wait_for_print(shop, marker: str, timeout: float = 10) -> list[str]:
    """The printed lines once the receipt holding `marker` has reached the file printer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = text_lines(shop.printed()) if shop.printed() else []
        if any(marker in line for line in lines):
            return lines
        time.sleep(0.1)
    raise AssertionError(f"no receipt with {marker!r} printed: {shop.printed()!r}")


def has_pair(lines: list[str], left: str, right: str) -> bool:
    pattern = re.compile(re.escape(left) + r"\s+" + re.escape(right))
    return any(pattern.fullmatch(line.strip()) for line in lines)


def test_cashier_sells_weighed_rice_and_lpg_with_nik_pays_cash_and_the_receipt_prints(page: Page, shop, artifacts):
    sign_in(page, shop.url)
    open_shift(page, 200000)

    scan(page, MINYAKITA, lines_after=1)
    scan(page, make_scale_barcode(SCALE_ITEM, grams=2345), lines_after=2)  # 2,345 kg of loose rice
    scan(page, GULA, lines_after=3)
    search_add(page, "LPG 3", lines_after=4)
    lines = line_texts(page)
    assert "Beras medium curah (per kg)" in lines[1] and "2,345 kg" in lines[1] and "Rp30.485" in lines[1]
    assert "ditimbang" in lines[1]
    expect(page.locator("#total")).to_have_text("Rp82.185")  # 15.700 + 30.485 + 18.000 + 18.000
    expect(page.locator("#needs")).to_contain_text("NIK")
    page.screenshot(path=str(artifacts / "till-cart.png"))

    page.keyboard.press("F9")
    pay = page.locator("#pay-dialog")
    expect(pay).to_be_visible()
    expect(page.locator("#buyer")).to_be_visible()
    expect(page.locator("#category-row")).to_be_visible()
    expect(page.locator("#reference-row")).to_be_hidden()  # no subsidised fertilizer in this sale
    expect(page.locator("#nik")).to_be_focused()
    page.keyboard.type(NIK[:15])
    page.keyboard.press("Enter")
    expect(page.locator("#nik-message")).to_contain_text("16 angka")
    page.keyboard.type(NIK[15])
    page.keyboard.press("Enter")
    page.keyboard.press("1")  # rumah tangga
    page.keyboard.press("Enter")
    expect(page.locator("#amount")).to_be_focused()
    expect(page.locator("#quick-cash")).to_contain_text("Rp100.000")
    page.keyboard.type("100000")
    page.keyboard.press("Enter")

    done = page.locator("#done-dialog")
    expect(done).to_be_visible()
    expect(page.locator("#done-change")).to_have_text("Rp17.815")
    expect(page.locator("#done-print")).to_have_text("Struk dicetak.")
    number = page.locator("#done-number").inner_text()
    assert re.fullmatch(r"\d{6}", number)  # as on the paper
    page.screenshot(path=str(artifacts / "till.png"))

    printed = wait_for_print(shop, "Kembali")
    assert any(f"No. {int(number):06d}" in line for line in printed)
    assert "Kasir: Siti (kasir)" in printed
    assert "Minyakita 1 liter (pouch)" in printed
    assert has_pair(printed, "2,345 kg x Rp13.000", "Rp30.485")
    assert "Beras medium curah (per kg)" in printed
    assert "Gula pasir kemasan 1 kg" in printed
    assert "LPG 3 kg (isi ulang, subsidi)" in printed
    assert has_pair(printed, "TOTAL", "Rp82.185")
    assert has_pair(printed, "Tunai", "Rp100.000")
    assert has_pair(printed, "Kembali", "Rp17.815")
    assert "NIK: ************0001" in printed
    assert "Kategori: Rumah tangga" in printed
    assert not any(NIK in line for line in printed)

    page.keyboard.press("Enter")  # new sale
    expect(done).to_be_hidden()
    expect(page.locator("#lines tr")).to_have_count(0)
    expect(page.locator("#total")).to_have_text("Rp0")
    expect(page.locator("#scan")).to_be_focused()


def test_quantity_and_removal_keys_change_the_cart_and_a_reload_keeps_it(page: Page, shop):
    sign_in(page, shop.url)
    open_shift(page)
    scan(page, MINYAKITA, lines_after=1)
    scan(page, MINYAKITA, lines_after=1)  # the same code again: one line, 2 packs
    scan(page, GULA, lines_after=2)
    expect(page.locator("#lines tr").nth(0)).to_contain_text("2 bungkus")

    page.keyboard.press("ArrowUp")  # select the Minyakita line
    page.keyboard.press("*")
    expect(page.locator("#qty-dialog")).to_be_visible()
    page.keyboard.type("1,5")
    page.keyboard.press("Enter")
    expect(page.locator("#qty-message")).to_contain_text("utuh")  # packs are sold whole
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    expect(page.locator("#qty-dialog")).to_be_hidden()
    expect(page.locator("#lines tr").nth(0)).to_contain_text("3 bungkus")
    expect(page.locator("#total")).to_have_text("Rp65.100")  # 3 x 15.700 + 18.000

    page.keyboard.type("4")  # typed number then "*": straight onto the selected line
    page.keyboard.press("*")
    expect(page.locator("#lines tr").nth(0)).to_contain_text("4 bungkus")

    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#lines tr")).to_have_count(2)
    expect(page.locator("#total")).to_have_text("Rp80.800")

    page.keyboard.press("Delete")  # removes the selected line
    expect(page.locator("#lines tr")).to_have_count(1)
    expect(page.locator("#scan-message")).to_contain_text("Dihapus")
    page.keyboard.press("F8")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#lines tr")).to_have_count(0)


def test_unknown_code_and_unknown_scale_item_are_said_and_add_nothing(page: Page, shop):
    sign_in(page, shop.url)
    open_shift(page)
    scan(page, "8990000000001")
    expect(page.locator("#scan-message")).to_contain_text("Tidak ada barang dengan kode 8990000000001")
    label = make_scale_barcode("99999", grams=1000)
    scan(page, label)
    expect(page.locator("#scan-message")).to_contain_text("2099999")
    expect(page.locator("#lines tr")).to_have_count(0)


def test_server_refusal_of_the_nik_is_shown_and_not_retried(page: Page, shop):
    sign_in(page, shop.url)
    open_shift(page)
    search_add(page, "LPG 3", lines_after=1)
    sales_posted = []
    page.on("request", lambda r: sales_posted.append(r) if r.url.endswith("/api/v1/sales") else None)
    page.keyboard.press("F9")
    page.keyboard.type("9904014101900001")  # 16 digits, but 99 is no province: the server says why
    page.keyboard.press("Enter")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # exact cash
    expect(page.locator("#nik-message")).to_contain_text("99")
    expect(page.locator("#pay-message")).to_contain_text("ditolak")
    expect(page.locator("#nik")).to_be_focused()
    page.wait_for_timeout(1500)
    assert len(sales_posted) == 1
    expect(page.locator("#pay-status")).to_have_text("")


def test_fertilizer_asks_only_nik_and_i_pubers_reference_and_prints_them(page: Page, shop):
    sign_in(page, shop.url)
    open_shift(page)
    search_add(page, "Urea bersubsidi", lines_after=1)
    expect(page.locator("#needs")).to_contain_text("i-Pubers")
    page.keyboard.press("Enter")  # Enter on the empty scan field: pay
    expect(page.locator("#nik")).to_be_focused()
    expect(page.locator("#category-row")).to_be_hidden()  # not LPG: no buyer category
    expect(page.locator("#reference-row")).to_be_visible()
    page.keyboard.type(NIK)
    page.keyboard.press("Enter")
    expect(page.locator("#reference")).to_be_focused()
    page.keyboard.press("Enter")  # no reference typed: asked for it
    expect(page.locator("#pay-message")).to_contain_text("i-Pubers")
    page.keyboard.type("IPB-2025-000123")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # exact cash
    expect(page.locator("#done-change")).to_have_text("Rp0")
    printed = wait_for_print(shop, "i-Pubers")
    assert "Ref. i-Pubers: IPB-2025-000123" in printed
    assert "NIK: ************0001" in printed
    assert not any(line.startswith("Kategori") for line in printed)


def test_quota_refusal_says_what_is_left(page: Page, shop):
    sign_in(page, shop.url)
    open_shift(page)
    scan(page, SPHP, lines_after=1)  # Beras SPHP: at most 5 packs per NIK per day
    page.keyboard.type("6")
    page.keyboard.press("*")
    expect(page.locator("#lines tr").first).to_contain_text("6 bungkus")
    page.keyboard.press("F9")
    page.keyboard.type(NIK)
    page.keyboard.press("Enter")
    expect(page.locator("#amount")).to_be_focused()
    page.keyboard.press("Enter")
    message = page.locator("#pay-message")
    expect(message).to_contain_text("ditolak")
    expect(message).to_contain_text("5")  # the quota, and what this NIK has left today
    page.keyboard.press("Escape")
    page.keyboard.type("5")
    page.keyboard.press("*")
    page.keyboard.press("F9")
    page.keyboard.type(NIK)
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.locator("#done-dialog")).to_be_visible()


def test_printer_failure_never_loses_the_sale_and_reprint_works_once_fixed(page: Page, demo_instance, tmp_path):
    from tests.browser.live import start_shop

    paper = tmp_path / "printer-off"  # the printer's device does not exist yet: printing fails
    shop = start_shop(demo_instance, tmp_path / "shop", printer=paper / "printer.bin")
    try:
        sign_in(page, shop.url)
        open_shift(page)
        scan(page, GULA, lines_after=1)
        page.keyboard.press("F9")
        page.keyboard.press("Enter")
        expect(page.locator("#done-dialog")).to_be_visible()
        expect(page.locator("#done-print")).to_contain_text("TIDAK tercetak")
        expect(page.locator("#reprint")).to_be_visible()
        page.keyboard.press("c")
        expect(page.locator("#done-print")).to_contain_text("TIDAK tercetak")
        paper.mkdir()  # the cashier switches the printer on
        page.keyboard.press("c")
        expect(page.locator("#done-print")).to_have_text("Struk dicetak.")
        expect(page.locator("#reprint")).to_be_hidden()
        printed = text_lines(shop.printed())
        assert any("SALINAN" in line for line in printed)
        assert has_pair(printed, "TOTAL", "Rp18.000")
    finally:
        shop.stop()
