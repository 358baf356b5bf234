"""scripts/soak.py keeps working: a 15-second run, and one with --hub (the full soak is 10 minutes, run by hand; figures in
the README's operations section). Nothing about speed is asserted here."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

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


@pytest.mark.postgres
def test_a_short_hub_soak_takes_every_event_exactly_once(tmp_path, pg_server_url):
    """--hub: 200 simulated shops and the tills' shop sync into a hub on a scratch PostgreSQL database for
    15 s; every event is on the hub once, its stock equals the shops', and the database is dropped after."""
    figures = tmp_path / "soak.json"
    env = {**os.environ, "GERAI_SOAK_PG": pg_server_url}
    res = subprocess.run([sys.executable, str(SOAK), "--hub", "--minutes", "0.25", "--sample-seconds", "2", "--json",
                          str(figures), "--max-growth-mb", "60"], capture_output=True, text=True, timeout=600, env=env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    got = json.loads(figures.read_text())
    hub = got["hub"]
    assert got["sales"] > 0 and got["errors"] == 0 and got["check_ledger_exit"] == 0
    assert hub["outlets"] == 200 and hub["errors"] == 0 and hub["mismatches"] == []
    assert hub["events_total"] == hub["checked"]["simulated_events"] > 0
    assert hub["pushes"] > 0 and hub["pulls"] > 0 and hub["push_ms"]["p99"] > 0
    assert hub["checked"]["real_shop_events"] > got["sales"]  # the tills' sales reached the hub by the shop's own loop
    assert hub["checked"]["tables"]["hub_events"] == hub["checked"]["simulated_events"] + hub["checked"]["real_shop_events"]
    assert len(hub["rss_mb"]["samples"]) >= 3
    assert "events/s" in res.stdout and "exactly once" in res.stdout and "PASS" in res.stdout
    engine = sa.create_engine(pg_server_url)
    with engine.connect() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": hub["database"]})
        assert left.scalar_one() == 0
    engine.dispose()
