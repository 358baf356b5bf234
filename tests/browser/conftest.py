"""Browser tests: Playwright driving Debian's chromium against a real `gerai serve`.

Skipped where /usr/bin/chromium is missing, unless in CI (`CI` or `GERAI_REQUIRE_BROWSER=1`
set), where a missing browser fails the run instead. Never `playwright install` (STACK.md).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.live import LiveShop, make_demo_instance, prepare_shop, start_shop

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def browser_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("GERAI_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="session", autouse=True)
def _chromium_present():
    if not Path(CHROMIUM).exists():
        if browser_required():
            pytest.fail(f"{CHROMIUM} is missing but a browser is required here (CI or GERAI_REQUIRE_BROWSER=1)")
        pytest.skip(f"no chromium at {CHROMIUM}")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": LAUNCH_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1366, "height": 768}, "locale": "id-ID"}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def demo_instance(tmp_path_factory) -> Path:
    """The demo shop, loaded once per session; each test serves its own copy."""
    folder = make_demo_instance(tmp_path_factory.mktemp("demo") / "instance")
    shop = start_shop(folder, tmp_path_factory.mktemp("prepare"))
    try:
        prepare_shop(shop.api())
    finally:
        shop.stop()
    return shop.instance


@pytest.fixture
def shop(demo_instance, tmp_path) -> LiveShop:
    running = start_shop(demo_instance, tmp_path)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def static_shop(demo_instance, tmp_path_factory) -> LiveShop:
    """One server for tests that only read (the ES modules, the catalog): no per-test start-up."""
    running = start_shop(demo_instance, tmp_path_factory.mktemp("static-shop"))
    yield running
    running.stop()
