"""QRIS at the till (a dynamic QR with the amount, confirmed by the cashier), and the screen at
the two sizes a shop PC has: 1024x600 (netbooks, small all-in-ones) and 1366x768."""
from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from inventory.barcodes import make_scale_barcode
from pos.qris import merchant_name, qris_amount, qris_problem
from tests.browser.live import SCALE_ITEM
from tests.browser.test_till_sale import has_pair, wait_for_print
from tests.browser.till import GULA, MINYAKITA, SPHP, open_shift, scan, search_add, sign_in

pytestmark = pytest.mark.browser


def test_split_payment_cash_then_qris_shows_the_dynamic_qr_for_what_is_left(page: Page, shop):
    sign_in(page, shop.url)
    open_shift(page, 50000)
    scan(page, GULA, lines_after=1)
    scan(page, MINYAKITA, lines_after=2)
    page.keyboard.press("F9")
    page.keyboard.type("10000")
    page.keyboard.press("Enter")  # Rp10.000 in cash first
    expect(page.locator("#pay-remaining")).to_have_text("Rp23.700")
    page.keyboard.press("q")
    expect(page.locator("#method-qris")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#quick-cash button")).to_have_count(0)  # quick cash is for cash only
    page.keyboard.type("30000")
    page.keyboard.press("Enter")  # more than is left: QRIS cannot give change
    expect(page.locator("#pay-message")).to_contain_text("Rp23.700")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")  # Enter alone: what is left

    qr = page.locator("#qris-img")
    expect(page.locator("#qris-box")).to_be_visible()
    expect(page.locator("#qris-amount")).to_contain_text("Rp23.700")
    page.wait_for_function("() => document.querySelector('#qris-img').naturalWidth > 0")
    payload = qr.get_attribute("data-payload")
    assert qris_problem(payload) is None
    assert qris_amount(payload) == 23700
    assert merchant_name(payload) == "GERAI KMP SUKAMAJU"
    assert payload[6:12] == "010212"  # point of initiation 12: single use
    svg = page.request.get(shop.url + qr.get_attribute("src"))
    assert svg.ok and svg.headers["content-type"].startswith("image/svg+xml")
    expect(page.locator("#qris-ok")).to_be_focused()
    page.keyboard.press("Enter")  # the cashier saw the payment arrive

    expect(page.locator("#done-dialog")).to_be_visible()
    expect(page.locator("#done-change")).to_have_text("Rp0")
    printed = wait_for_print(shop, "Kembali")
    assert has_pair(printed, "TOTAL", "Rp33.700")
    assert has_pair(printed, "Tunai", "Rp10.000")
    assert has_pair(printed, "QRIS", "Rp23.700")


def test_qris_that_the_buyer_does_not_pay_is_cancelled_with_esc(page: Page, shop):
    sign_in(page, shop.url)
    open_shift(page, 0)
    scan(page, GULA, lines_after=1)
    page.keyboard.press("F9")
    page.keyboard.press("q")
    page.keyboard.press("Enter")
    expect(page.locator("#qris-box")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#qris-box")).to_be_hidden()
    expect(page.locator("#payments li")).to_have_count(0)
    expect(page.locator("#pay-remaining")).to_have_text("Rp18.000")
    expect(page.locator("#amount")).to_be_focused()


def fits(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return (box is not None and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= size["width"] + 0.5
            and box["y"] + box["height"] <= size["height"] + 0.5)


@pytest.mark.parametrize("width,height", [(1024, 600), (1366, 768)])
def test_the_till_fits_the_screen_with_every_prompt(browser: Browser, shop, artifacts, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="id-ID")
    page = context.new_page()
    try:
        sign_in(page, shop.url)
        open_shift(page, 100000)
        for n, code in enumerate([MINYAKITA, GULA, SPHP, make_scale_barcode(SCALE_ITEM, grams=1250)], start=1):
            scan(page, code, lines_after=n)
        search_add(page, "LPG 3", lines_after=5)
        search_add(page, "Urea bersubsidi", lines_after=6)
        for _ in range(6):
            scan(page, MINYAKITA)  # a long sale: the same pack over and over adds to its line
        scan(page, "8990000000001")  # and a bad scan, so the message shows too
        expect(page.locator("#scan-message")).not_to_be_empty()
        scan_box = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert scan_box == [width, height]  # nothing spills off the screen
        for selector in ("#scan", "#total", "#pay-button", ".keys", "#needs p >> nth=-1"):
            assert fits(page, selector), selector
        big_total = page.locator("#total")
        assert big_total.evaluate("(e) => e.scrollWidth <= e.clientWidth")  # the big total is never cut off
        font_px = float(big_total.evaluate("(e) => getComputedStyle(e).fontSize")[:-2])  # CSS pixels, not money
        assert big_total.bounding_box()["height"] < 2 * font_px  # on one line
        page.screenshot(path=str(artifacts / f"till-{width}x{height}.png"))

        page.keyboard.press("F9")
        expect(page.locator("#nik")).to_be_focused()
        for selector in ("#pay-dialog", "#nik", "#category-row", "#reference", "#amount", "#quick-cash", "#pay-remaining"):
            assert fits(page, selector), selector
        page.screenshot(path=str(artifacts / f"till-pay-{width}x{height}.png"))
    finally:
        context.close()
