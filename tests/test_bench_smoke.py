"""The benchmarks still run: each script's `--quick` smoke run exits 0 and prints its result table.

Only that they work is checked here, never how fast: timings belong to `bench/`, not to tests.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"\|\s+\d+\.\d+x \| .+ \| (pass|FAIL|info)$")

BENCHMARKS = {
    "bench_catalog.py": ("barcode lookup, service", "barcode lookup, HTTP", "search 'beras', HTTP"),
    "bench_stock_page.py": ("stock rows, service", "GET /api/v1/stock, HTTP", "GET /stock (HTML page), HTTP",
                            "GET movements page 1, HTTP"),
    "bench_signals.py": ("first signals pass of the day, service", "GET /api/v1/stock, HTTP",
                         "GET /api/v1/stock/slow-movers, HTTP", "GET /api/v1/restock/suggestions, HTTP",
                         "import-sales, one year"),
    "bench_checkout.py": ("POST /sales (10 lines), HTTP", "record_sale (10 lines), service"),
}


@pytest.mark.parametrize("script", sorted(BENCHMARKS))
def test_quick_benchmark_run_exits_0_and_prints_every_figure_beside_its_floor(script):
    res = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--quick"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-5000:]
    assert "Traceback" not in res.stderr and "Warning" not in res.stderr, res.stderr[-5000:]
    lines = res.stdout.splitlines()
    header = next(line for line in lines if line.startswith("figure "))
    for column in ("p50", "p99", "floor", "ratio", "target", "pass/fail"):
        assert column in header
    rows = [line for line in lines if ROW.search(line)]
    for figure in BENCHMARKS[script]:
        assert any(row.startswith(figure) for row in rows), f"no row for {figure!r} in:\n{res.stdout}"
    assert any(line.startswith("gerai serve RSS after the runs: ") for line in lines)


@pytest.mark.postgres
def test_quick_hub_benchmark_runs(pg_server_url):
    """bench_hub.py needs PostgreSQL (it makes and drops its own scratch database on that server)."""
    res = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_hub.py"), "--quick"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, "GERAI_TEST_POSTGRES_URL": pg_server_url})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-5000:]
    assert "Traceback" not in res.stderr, res.stderr[-5000:]
    rows = [line for line in res.stdout.splitlines() if ROW.search(line)]
    assert any(row.startswith("POST /sync/push") for row in rows), res.stdout
    assert "events/s" in res.stdout and "gerai serve RSS after the runs: " in res.stdout
