"""What a cashier does at the till, as Playwright steps (keyboard only, as at a real till)."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from gerai.demo.catalog import gtin13

MINYAKITA = gtin13("899100100021")  # MYK-1L, Rp15.700
GULA = gtin13("899200300011")  # GLP-1, Rp18.000
SPHP = gtin13("899100100001")  # BRS-SPHP-5, Rp62.500, subsidised, 5 per NIK per day
NIK = "3404014101900001"  # Sleman, a woman born 1 Jan 1990, serial 0001: a well-formed NIK


def sign_in(page: Page, url: str, username: str = "kasir", password: str = "kasir123") -> None:
    page.goto(url + "/till")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/till")
    page.wait_for_selector("body[data-ready]")


def open_shift(page: Page, cash: int = 200000) -> None:
    dialog = page.locator("#shift-dialog")
    expect(dialog).to_be_visible()
    page.keyboard.type(str(cash))
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#shift-info")).not_to_have_text("Belum ada shift")


def scan(page: Page, code: str, lines_after: int | None = None) -> None:
    """The scanner: digits typed fast, then Enter, into whatever has the focus."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    if lines_after is not None:
        expect(page.locator("#lines tr")).to_have_count(lines_after)


def search_add(page: Page, text: str, lines_after: int) -> None:
    page.keyboard.press("F2")
    expect(page.locator("#search-dialog")).to_be_visible()
    page.keyboard.type(text)
    expect(page.locator("#search-results li").first).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#search-dialog")).to_be_hidden()
    expect(page.locator("#lines tr")).to_have_count(lines_after)


def line_texts(page: Page) -> list[str]:
    return page.locator("#lines tr").all_inner_texts()
