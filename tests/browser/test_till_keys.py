"""Keyboard behaviours a cashier relies on without looking at the screen."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.till import GULA, MINYAKITA, open_shift, scan, sign_in

pytestmark = pytest.mark.browser


def test_search_with_arrow_keys_adds_the_chosen_product(page: Page, shop):
    sign_in(page, shop.url)
    open_shift(page)
    page.keyboard.press("/")
    expect(page.locator("#search-input")).to_be_focused()
    page.keyboard.type("minyakita")
    results = page.locator("#search-results li")
    expect(results).to_have_count(3)
    names = results.locator(".r-name").all_inner_texts()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    expect(results.nth(1)).to_have_class("active")
    page.keyboard.press("Enter")
    expect(page.locator("#lines tr")).to_have_count(1)
    expect(page.locator("#lines tr").first).to_contain_text(names[1])
    expect(page.locator("#scan")).to_be_focused()


def test_a_barcode_scanned_into_the_amount_field_is_not_taken_as_cash(page: Page, shop):
    sign_in(page, shop.url)
    open_shift(page)
    scan(page, GULA, lines_after=1)
    page.keyboard.press("Enter")  # Enter on the empty scan field: pay
    expect(page.locator("#amount")).to_be_focused()
    page.keyboard.type("20000")
    expect(page.locator("#pay-change")).to_have_text("Rp2.000")  # the change shows while typing
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    scan(page, MINYAKITA)  # the next buyer's pack, scanned too early
    expect(page.locator("#pay-message")).to_contain_text("kode barang")
    expect(page.locator("#payments li")).to_have_count(0)
    page.keyboard.type("50000")  # the scanned digits are selected: typing replaces them
    page.keyboard.press("Enter")
    expect(page.locator("#done-change")).to_have_text("Rp32.000")


def test_the_next_buyers_first_scan_closes_the_receipt_and_starts_a_new_sale(page: Page, shop):
    sign_in(page, shop.url)
    open_shift(page)
    scan(page, GULA, lines_after=1)
    page.keyboard.press("F9")
    page.keyboard.press("Enter")
    expect(page.locator("#done-dialog")).to_be_visible()
    scan(page, MINYAKITA)
    expect(page.locator("#done-dialog")).to_be_hidden()
    expect(page.locator("#lines tr")).to_have_count(1)
    expect(page.locator("#lines tr").first).to_contain_text("Minyakita")


def test_signed_out_mid_sale_keeps_the_cart_for_after_signing_in_again(page: Page, shop):
    sign_in(page, shop.url)
    open_shift(page)
    scan(page, GULA, lines_after=1)
    other = page.context.new_page()  # e.g. the manager signs the till out in another tab
    other.goto(shop.url + "/till")
    other.wait_for_selector("body[data-ready]")
    other.evaluate("() => document.getElementById('logout-form').submit()")
    other.wait_for_url("**/")
    other.close()
    scan(page, MINYAKITA)
    expect(page.locator("#session-dialog")).to_be_visible()
    page.keyboard.press("Enter")  # the focused link: sign in again
    page.fill("input[name=username]", "kasir")
    page.fill("input[name=password]", "kasir123")
    page.keyboard.press("Enter")
    page.wait_for_url("**/till")
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#lines tr")).to_have_count(1)
    expect(page.locator("#shift-dialog")).to_be_hidden()  # the shift stayed open
    scan(page, MINYAKITA, lines_after=2)
