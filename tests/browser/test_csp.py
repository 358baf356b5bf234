"""The strict content-security policy (gerai/security.py) breaks nothing: a cashier sells at the till
(cash and QRIS) and a manager opens every manager page and the API docs with zero CSP violations."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from gerai.security import CONTENT_SECURITY_POLICY
from tests.browser.till import GULA, MINYAKITA, open_shift, scan, search_add, sign_in

pytestmark = pytest.mark.browser

#: Every violation is reported to the page as a `securitypolicyviolation` event; the listener is put in
#: before any of the page's own scripts, on every document the page opens.
WATCH = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""
SAMPLES = {"sku": "MYK-1L", "path:sku": "MYK-1L"}
QUERIES = {"/restock-requests/new": "?supplier=BULOG"}  # pages that need a query to show anything


class Violations(list):
    def watch(self, page: Page) -> None:
        page.add_init_script(WATCH)
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda err: self.append(f"{page.url}: script error {err}"))

    def _console(self, page: Page, msg) -> None:
        text = msg.text
        if "CSP violation" in text or "Content Security Policy" in text or "Refused to" in text:
            self.append(f"{page.url}: {text}")


@pytest.fixture
def violations(page: Page) -> Violations:
    found = Violations()
    found.watch(page)
    return found


def test_a_cashier_sells_cash_and_qris_at_the_till_with_no_csp_violation(page: Page, shop, violations):
    sign_in(page, shop.url)
    assert page.evaluate("() => document.body.dataset.ready") is not None
    open_shift(page, 50000)
    scan(page, GULA, lines_after=1)
    search_add(page, "Minyakita", lines_after=2)
    page.keyboard.press("F9")
    page.keyboard.type("10000")
    page.keyboard.press("Enter")  # cash first
    page.keyboard.press("q")
    page.keyboard.press("Enter")  # the rest by QRIS: a QR image from /till/qr.svg
    page.wait_for_function("() => document.querySelector('#qris-img').naturalWidth > 0")
    page.keyboard.press("Enter")
    expect(page.locator("#done-dialog")).to_be_visible()
    expect(page.locator("#done-change")).to_have_text("Rp0")
    assert not violations, violations
    res = page.request.get(shop.url + "/till")
    assert res.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def manager_pages(shop) -> list[str]:
    """Every page a manager may GET (from the access table of tests/test_auth_matrix.py), with real
    values for its variables: a new page is visited without anybody adding it here."""
    from test_auth_matrix import ACCESS

    api = shop.api()
    request_id = api.post("/restock-requests", {"id": str(uuid.uuid4()), "supplier": "BULOG", "lines": [{"sku": "BRS-SPHP-5", "qty": "10"}]})["id"]
    values = {**SAMPLES, "request_id": request_id}
    pages = []
    for (method, rule), who in sorted(ACCESS.items()):
        if method != "GET" or rule.startswith(("/api/", "/static/")) or "manager" not in who or rule.endswith((".csv", ".svg")):
            continue
        if rule in ("/", "/login", "/lang/<code>", "/till"):
            continue
        pages.append(re.sub(r"<([^>]+)>", lambda m: values[m[1]], rule) + QUERIES.get(rule, ""))
    return pages


def test_a_manager_opens_every_manager_page_with_no_csp_violation(page: Page, shop, violations):
    pages = manager_pages(shop)
    assert "/stock" in pages and "/signals" in pages and len(pages) >= 12
    page.goto(shop.url + "/login")
    page.fill("input[name=username]", "manajer")
    page.fill("input[name=password]", "manajer123")
    page.keyboard.press("Enter")
    page.wait_for_url("**/stock")
    for path in [*pages, "/stock/count?print=1"]:
        res = page.goto(shop.url + path)
        assert res is not None and res.status == 200, (path, res and res.status)
        page.wait_for_load_state("load")
    page.goto(shop.url + "/stock/receive")
    page.locator("input").first.focus()  # the page's module is running
    page.goto(shop.url + "/restock-requests")
    page.select_option("select[name=status]", "submitted")  # data-autosubmit: the filter applies itself
    page.wait_for_url(re.compile(r"status=submitted"))
    page.goto(shop.url + "/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Gerai POS")
    expect(page.locator(".opblock").first).to_be_visible()
    assert not violations, violations
    # the watch itself works: an inline script added now is refused and reported
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.x = 1'; document.body.append(s); }")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.x") is None
    assert any("script-src" in v for v in violations), violations
