"""Scan-to-line time at the till: from Enter in the scan field to the line in the cart's table.

Runs the real server (`gerai serve`, waitress, SQLite) on a shop with the demo catalog and Debian's
chromium through Playwright; the scanner is Playwright's keyboard typing digits and Enter. Times
are taken inside the page (performance.now() at the Enter keydown, and when the table changes),
so the figure is what the cashier sees, without Playwright's own overhead. Printed beside it, the
floor measured in the same run and under the same load: right after each new-item scan, the
page fetches the bare `GET /api/v1/products?q=<code>` the till made for it.

    python bench/bench_till_scan.py [--scans 200]      # ~1-2 min
    python bench/bench_till_scan.py --quick            # smoke run: 20 scans

No target is set for this figure (DESIGN.md lists it without one): the verdict column says "info".
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from gerai.demo.catalog import PRODUCTS  # noqa: E402
from inventory.barcodes import make_scale_barcode  # noqa: E402
from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS  # noqa: E402
from tests.browser.live import SCALE_ITEM, make_demo_instance, prepare_shop, start_shop  # noqa: E402
from tests.browser.till import open_shift, sign_in  # noqa: E402

PROBE = """() => {
  const scan = document.getElementById("scan"), lines = document.getElementById("lines");
  window.__scans = [];
  let started = null;
  window.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.target === scan && scan.value) started = performance.now();
  }, true);
  new MutationObserver(() => {
    if (started === null) return;
    window.__scans.push({ dom: performance.now() - started });
    started = null;
  }).observe(lines, { childList: true, subtree: true, characterData: true });
}"""

FLOOR = """async (codes) => {
  const out = [];
  for (const code of codes) {
    const t0 = performance.now();
    const r = await fetch(`/api/v1/products?q=${encodeURIComponent(code)}&page_size=5`, { credentials: "same-origin" });
    await r.json();
    out.push(performance.now() - t0);
  }
  return out;
}"""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 10 else f"{value:.1f}"


def print_table(rows: list[tuple[str, list[float]]], floor_name: str, floor: list[float]) -> None:
    """figure | floor | ratio | target | pass/fail, as the other benchmarks print it (milliseconds)."""
    fw = max(len(name) for name, _ in rows)
    head = (f"{'figure':<{fw}}  {'p50':>8} {'p99':>8} {'max':>8} {'n':>5} | {'floor':<{len(floor_name)}}  {'p50':>8}"
            f" {'p99':>8} | {'ratio':>7} | {'target':<6} | pass/fail")
    print("\n== Scan-to-line at the till (times in ms; ratio = figure p50 / floor p50)")
    print(head)
    print("-" * len(head))
    f50 = statistics.median(floor)
    for name, values in rows:
        if not values:
            continue
        p50 = statistics.median(values)
        print(f"{name:<{fw}}  {ms(p50):>8} {ms(pct(values, 99)):>8} {ms(max(values)):>8} {len(values):>5} | "
              f"{floor_name}  {ms(f50):>8} {ms(pct(floor, 99)):>8} | {p50 / f50:>6.1f}x | {'-':<6} | info")


def plan(scans: int) -> list[tuple[str, str]]:
    """(kind, code): every barcoded demo product scanned new, again, and scale labels, in rounds."""
    codes = [p["barcodes"][0] for p in PRODUCTS if p["barcodes"]]
    out: list[tuple[str, str]] = []
    grams = 500
    while len(out) < scans:
        for code in codes[:8]:
            out += [("lookup", code), ("repeat", code)]
        grams += 37
        out.append(("scale", make_scale_barcode(SCALE_ITEM, grams=grams)))
        out.append(("clear", ""))
    return out[: scans + scans // 17 + 1]


def run(scans: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-till-") as tmp:
        tmp_path = Path(tmp)
        print("Making a shop with the demo catalog...", flush=True)
        template = make_demo_instance(tmp_path / "demo")
        setup = start_shop(template, tmp_path / "setup")
        try:
            prepare_shop(setup.api())
        finally:
            setup.stop()
        shop = start_shop(setup.instance, tmp_path / "run")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                sign_in(page, shop.url)
                open_shift(page)
                page.evaluate(PROBE)
                kinds: dict[str, list[float]] = {"lookup": [], "repeat": [], "scale": []}
                floor: list[float] = []
                done = 0
                for kind, code in plan(scans):
                    if kind == "clear":
                        page.keyboard.press("F8")
                        page.keyboard.press("Enter")
                        page.wait_for_function("() => document.querySelectorAll('#lines tr').length === 0")
                        continue
                    before = page.evaluate("() => window.__scans.length")
                    page.keyboard.type(code)
                    page.keyboard.press("Enter")
                    page.wait_for_function(f"() => window.__scans.length > {before}", polling=50)
                    kinds[kind].append(page.evaluate(f"() => window.__scans[{before}].dom"))
                    done += 1
                    if kind == "lookup":
                        floor += page.evaluate(FLOOR, [code])
                browser.close()
        finally:
            shop.stop()
    every = [v for values in kinds.values() for v in values]
    print(f"{done} scans typed by Playwright's keyboard into Debian's chromium ({CHROMIUM}); gerai serve "
          "(waitress) on SQLite; the demo catalog")
    print_table([("scan-to-line, all scans", every), ("scan-to-line, new item (lookup)", kinds["lookup"]),
                 ("scan-to-line, same item again", kinds["repeat"]), ("scan-to-line, scale label", kinds["scale"])],
                "bare GET /products?q=", floor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="a smoke run of 20 scans")
    args = parser.parse_args()
    if args.quick:
        args.scans = 20
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: install Debian's chromium (never `playwright install`).")
    run(args.scans)


if __name__ == "__main__":
    main()
