"""A sale that does not reach the server, or whose answer is lost, is sent again with the same
id until the server has it: exactly one sale, whatever the network did."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.till import GULA, MINYAKITA, open_shift, scan, sign_in

pytestmark = pytest.mark.browser


def pay_exact(page: Page) -> None:
    page.keyboard.press("F9")
    expect(page.locator("#amount")).to_be_focused()
    page.keyboard.press("Enter")


def close_shift(page: Page, counted: int) -> dict[str, str]:
    """F10, count the drawer, and read the Z report off the screen."""
    page.keyboard.press("F10")
    expect(page.locator("#counted-cash")).to_be_focused()
    page.keyboard.type(str(counted))
    page.keyboard.press("Enter")
    expect(page.locator("#z-report")).to_be_visible()
    return {row.get_attribute("data-key"): row.locator("td").inner_text() for row in page.locator("#z-rows tr").all()}


def test_sale_that_never_reached_the_server_is_retried_with_the_same_id(page: Page, shop):
    sign_in(page, shop.url)
    open_shift(page, 100000)
    scan(page, MINYAKITA, lines_after=1)
    scan(page, GULA, lines_after=2)

    bodies: list[str] = []
    held: list[Route] = []

    def network(route: Route) -> None:
        bodies.append(route.request.post_data)
        if len(bodies) == 1:
            route.abort("connectionreset")  # the first try never reaches the server
        else:
            held.append(route)  # the second stays in flight until the test has seen the screen

    page.route("**/api/v1/sales", network)
    pay_exact(page)
    expect(page.locator("#pay-status")).to_contain_text("mencoba lagi")
    for _ in range(100):  # the retry goes out after a short pause
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    expect(page.locator("#pay-status")).to_contain_text("mencoba lagi (percobaan ke-2)")
    expect(page.locator("#done-dialog")).to_be_hidden()
    held[0].continue_()

    expect(page.locator("#done-dialog")).to_be_visible()
    expect(page.locator("#done-change")).to_have_text("Rp0")
    assert len(bodies) == 2 and bodies[0] == bodies[1]  # same id, same body
    page.unroute("**/api/v1/sales")
    sale_id = page.evaluate("(b) => JSON.parse(b).id", bodies[0])
    assert shop.api("kasir", "kasir123").get(f"/sales/{sale_id}")["total"] == 33700
    page.keyboard.press("Enter")

    z = close_shift(page, 133700)
    assert z["sales_count"] == "1"
    assert z["sales_total"] == "Rp33.700"
    assert z["difference"] == "Rp0"


def test_sale_whose_answer_was_lost_is_recorded_once(page: Page, shop):
    sign_in(page, shop.url)
    open_shift(page, 0)
    scan(page, GULA, lines_after=1)
    calls: list[int] = []

    def network(route: Route) -> None:
        calls.append(route.request.post_data)
        if len(calls) == 1:
            answer = route.fetch()  # the server records the sale...
            assert answer.status == 201
            route.abort("connectionreset")  # ...and its answer is lost on the way back
        else:
            route.continue_()

    page.route("**/api/v1/sales", network)
    page.keyboard.press("F9")
    page.keyboard.type("20000")
    page.keyboard.press("Enter")
    expect(page.locator("#done-dialog")).to_be_visible(timeout=15000)
    expect(page.locator("#done-change")).to_have_text("Rp2.000")
    expect(page.locator("#done-print")).to_contain_text("sudah")  # the server already had it
    expect(page.locator("#reprint")).to_be_visible()
    assert len(calls) == 2 and calls[0] == calls[1]
    page.unroute("**/api/v1/sales")
    page.keyboard.press("Enter")

    z = close_shift(page, 18000)
    assert z["sales_count"] == "1"
    assert z["expected_cash"] == "Rp18.000"


def test_refused_sale_is_not_retried_and_the_cart_stays(page: Page, shop):
    manager = shop.api()
    manager.patch("/products/GLP-1", {"price": 18500})
    sign_in(page, shop.url)
    open_shift(page, 0)
    scan(page, GULA, lines_after=1)
    manager.patch("/products/GLP-1", {"price": 19000})  # the price changed after the till looked it up
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.url.endswith("/api/v1/sales") else None)
    pay_exact(page)  # pays Rp18.500, the server wants Rp19.000: 422 underpaid
    expect(page.locator("#pay-message")).to_contain_text("ditolak")
    expect(page.locator("#pay-remaining")).to_have_text("Rp500")  # the new price is fetched: Rp500 more
    page.wait_for_timeout(1500)
    assert len(posted) == 1  # a refusal is never retried
    expect(page.locator("#total")).to_have_text("Rp19.000")
    page.keyboard.press("Enter")  # the Rp500 left, in cash: a new sale id, accepted
    expect(page.locator("#done-dialog")).to_be_visible()
    expect(page.locator("#done-paid")).to_have_text("Rp19.000")
    assert len(posted) == 2


def test_sale_in_flight_survives_a_reload_and_is_sent_once(page: Page, shop):
    sign_in(page, shop.url)
    open_shift(page, 0)
    scan(page, MINYAKITA, lines_after=1)
    sent: list[str] = []

    def offline(route: Route) -> None:
        sent.append(route.request.post_data)
        route.abort("internetdisconnected")

    page.route("**/api/v1/sales", offline)
    pay_exact(page)
    expect(page.locator("#pay-status")).to_contain_text("mencoba lagi")
    page.reload()  # the cashier reloads (or the browser crashed) while the server is unreachable
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#pay-dialog")).to_be_visible()  # back at once, still sending
    expect(page.locator("#pay-status")).to_contain_text("mencoba lagi")
    page.unroute("**/api/v1/sales")
    expect(page.locator("#done-dialog")).to_be_visible(timeout=15000)
    ids = {page.evaluate("(b) => JSON.parse(b).id", body) for body in sent}
    assert len(ids) == 1  # every try, before and after the reload, carried the same id
    page.keyboard.press("Enter")
    expect(page.locator("#lines tr")).to_have_count(0)
    z = close_shift(page, 15700)
    assert z["sales_count"] == "1"
