"""Regional monitoring on the hub's engines: per-kecamatan figures and stalled gerai, scoped by area."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hubdata import today
from suppliers.hub import monitoring


@pytest.fixture
def s(any_hub):
    with any_hub.db.session() as session:
        yield session


def figures(s, area, days=30):
    now = datetime.now(timezone.utc)
    rows = monitoring.per_kecamatan(s, area, now, today(), today() - timedelta(days=days - 1), today())
    return [(r.kabupaten, r.kecamatan, r.registered, r.synced, r.transacting, r.sales_count, r.sales_total,
             r.open_requests) for r in rows]


def test_per_kecamatan_figures_of_a_kabupaten(s):
    assert figures(s, "Kabupaten Sleman") == [
        # registered, synced in 3 days, transacting in 7 days, sales in 30 days (count, Rp), open requests (all suppliers)
        ("Kabupaten Sleman", "Depok", 1, 1, 1, 7, 150000, 2),  # R1 (BULOG) and R5 (IDFOOD); R4 received
        ("Kabupaten Sleman", "Mlati", 1, 0, 1, 3, 30000, 1),  # R2; R7 cancelled
    ]


def test_a_provinsi_monitor_sees_its_kabupaten_and_an_admin_everything(s):
    assert [r[1] for r in figures(s, "DI Yogyakarta")] == ["Sewon", "Depok", "Mlati"]
    assert figures(s, None)[-1] == ("Kabupaten Bogor", "Cibinong", 1, 0, 0, 0, 0, 1)
    assert figures(s, "Kabupaten Bantul") == [("Kabupaten Bantul", "Sewon", 1, 1, 0, 1, 5000, 1)]
    assert figures(s, "Kabupaten Bantul", days=7) == [("Kabupaten Bantul", "Sewon", 1, 1, 0, 0, 0, 1)]


def test_an_area_nobody_has_or_no_area_at_all_shows_nothing(s):
    assert figures(s, "Kabupaten Gunungkidul") == []
    assert figures(s, "") == []
    assert monitoring.stalled(s, "", datetime.now(timezone.utc), today()) == []


def test_stalled_gerai_with_their_reasons(s):
    now = datetime.now(timezone.utc)
    found = {x.code: (x.reasons, x.not_selling) for x in monitoring.stalled(s, None, now, today())}
    assert found == {
        "KDMP-0001": (["not_selling"], 5),  # GLA, TPG, KCP, SRD, TEH: on hand, no sale for 14+ days or never
        "KDMP-0002": (["not_synced"], 0),  # last push 5 days ago
        "KDMP-0003": (["no_sales"], 0),  # last sale 20 days ago
        "KDMP-0004": (["no_sales", "not_synced"], 0),  # never sold, never synced
    }
    assert [x.code for x in monitoring.stalled(s, "Kabupaten Sleman", now, today())] == ["KDMP-0001", "KDMP-0002"]
