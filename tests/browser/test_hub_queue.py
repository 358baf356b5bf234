"""A Bulog coordinator on a hub, in Debian's chromium against a real `gerai serve` (GERAI_ROLE=hub): signs
in, lands on the queue, filters it to open requests of one kabupaten and one product, opens a request and
dispatches part of it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from gerai.db import Database
from tests.browser.live import GERAI, LiveShop, _env, free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hub_pages"))
import hubdata  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture
def live_hub(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    for args in (["init"], ["create-user", "bulog", "--role", "coordinator", "--password", "bulog123",
                            "--supplier", "BULOG"]):
        done = subprocess.run([str(GERAI), *args], env=_env(instance, "none", {"GERAI_ROLE": "hub"}),
                              capture_output=True, timeout=180)
        assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    db = Database(f"sqlite:///{instance / 'gerai.db'}")
    hubdata.seed(db)
    db.dispose()
    hub = LiveShop(instance, free_port(), tmp_path / "printer.bin", extra_env={"GERAI_ROLE": "hub"}).start()
    yield hub
    hub.stop()


def test_a_coordinator_filters_the_queue_and_dispatches_part_of_a_request(page: Page, live_hub, artifacts):
    page.goto(live_hub.url + "/login")
    page.fill("input[name=username]", "bulog")
    page.fill("input[name=password]", "bulog123")
    page.keyboard.press("Enter")
    page.wait_for_url("**/hub/queue")
    expect(page.locator("h1")).to_contain_text("Antrean permintaan")
    expect(page.locator("#queue tbody tr")).to_have_count(6)  # BULOG's six; R5 is IDFOOD's
    expect(page.locator("#queue")).not_to_contain_text("Telur")

    page.select_option("#f-status", "open")
    page.fill("#f-kabupaten", "Kabupaten Sleman")
    page.fill("#f-sku", "BRS-5")
    page.locator("#hub-filters button[type=submit]").click()
    page.wait_for_url("**/hub/queue?*")
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-request", hubdata.R[1])
    expect(rows.nth(1)).to_have_attribute("data-request", hubdata.R[2])
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # no sideways scrolling at 1366x768
    page.screenshot(path=str(artifacts / "hub-queue-filtered.png"))

    rows.nth(0).locator("a").first.click()
    page.wait_for_url(f"**/hub/requests/{hubdata.R[1]}")
    expect(page.locator("#qty-0")).to_have_value("10.500")  # all that is still to send, by default
    page.fill("#qty-0", "12")  # more than asked: refused on the form
    page.fill("#qty-1", "")
    page.click("#dispatch")
    expect(page.locator('[data-field="qty-0"]')).to_contain_text("Hanya 10,5 kg")
    page.fill("#qty-0", "4,5")
    page.fill("#qty-1", "")
    page.click("#dispatch")
    page.wait_for_url(f"**/hub/requests/{hubdata.R[1]}")
    expect(page.locator(".flash.ok")).to_contain_text("Pengiriman dicatat")
    line = page.locator('#request-lines tr[data-sku="BRS-5"]')
    expect(line.locator("td.dispatched")).to_have_text("4,5")
    expect(line.locator("td.left")).to_have_text("6")
    expect(page.locator('#request-lines tr[data-sku="MNY-1"] td.left')).to_have_text("24")
    expect(page.locator("#dispatches li")).to_have_count(1)
    page.screenshot(path=str(artifacts / "hub-request-dispatched.png"))

    db = Database(f"sqlite:///{live_hub.instance / 'gerai.db'}")
    with db.session() as s:
        status = s.scalar(sa.text("SELECT status FROM hub_requests WHERE id = :id"), {"id": hubdata.R[1]})
    db.dispose()
    assert status == "dispatched"
