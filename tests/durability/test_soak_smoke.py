"""scripts/soak.py keeps working: a 15-second run (the full soak is 10 minutes, run by hand; figures in
the README's operations section). Nothing about speed is asserted here."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parents[2] / "scripts" / "soak.py"


def test_a_short_soak_sells_without_error_and_the_ledger_adds_up(tmp_path):
    figures = tmp_path / "soak.json"
    res = subprocess.run([sys.executable, str(SOAK), "--minutes", "0.25", "--sample-seconds", "2", "--json", str(figures),
                          "--max-growth-mb", "60"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    got = json.loads(figures.read_text())
    assert got["sales"] > 0 and got["errors"] == 0 and got["check_ledger_exit"] == 0
    assert got["weighed_lines"] > 0  # loose goods sold by the kg
    assert len(got["rss_mb"]["samples"]) >= 3 and got["rss_mb"]["peak"] > 0
    assert "PASS" in res.stdout and "POST /sales p50" in res.stdout


def test_the_hub_option_is_a_placeholder_that_runs_nothing():
    res = subprocess.run([sys.executable, str(SOAK), "--hub", "http://127.0.0.1:1"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 2 and "added when the hub lands" in res.stderr
