"""The hub's pages through the Flask client (a SQLite hub): scope by any URL, the dispatch form's
mistakes, CSV content, Indonesian by default, landing pages and navigation."""
from __future__ import annotations

import csv
import io

import pytest

from factories import db_digest
from hubdata import R

HUB_TABLES = ("hub_outlets", "hub_requests", "hub_request_lines", "hub_dispatches", "hub_feed", "hub_stock",
              "hub_sales_daily")


def rows_of(res):
    assert res.status_code == 200 and res.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(res.get_data(as_text=True))))


def test_a_coordinator_never_sees_another_suppliers_request_by_any_url(hub):
    bulog = hub.client("t-koord")
    page = bulog.get("/hub/queue").get_data(as_text=True)
    assert R[1] in page and R[5] not in page and "TLR-1" not in page
    for url in ("/hub/queue?sku=TLR-1", "/hub/queue?supplier=IDFOOD", "/hub/queue?status=submitted&outlet=KDMP-0001",
                "/hub/demand?supplier=IDFOOD"):
        body = bulog.get(url).get_data(as_text=True)
        assert R[5] not in body and "Telur ayam" not in body, url
    assert bulog.get(f"/hub/requests/{R[5]}").status_code == 404
    assert bulog.post(f"/hub/requests/{R[5]}/dispatch", data={"csrf_token": "test-csrf", "qty-0": "1"}).status_code == 404
    assert bulog.get("/hub/requests/not-a-uuid").status_code == 404
    assert "TLR-1" not in bulog.get("/hub/queue.csv?supplier=IDFOOD").get_data(as_text=True)  # the CSV echoes no filter
    idfood = hub.client("koord-idfood")
    assert idfood.get(f"/hub/requests/{R[5]}").status_code == 200
    assert idfood.get(f"/hub/requests/{R[1]}").status_code == 404
    assert idfood.get("/hub/outlets/KDMP-0004").status_code == 404  # never asked IDFOOD for anything
    assert bulog.get("/hub/outlets/KDMP-0004").status_code == 200


def test_an_admin_sees_every_supplier_and_may_pick_one(hub):
    admin = hub.client("t-admin")
    assert R[5] in admin.get("/hub/queue").get_data(as_text=True)
    only = admin.get("/hub/queue?supplier=IDFOOD").get_data(as_text=True)
    assert R[5] in only and R[1] not in only


def test_the_queue_page_filters_and_speaks_indonesian(hub):
    body = hub.client("t-koord").get("/hub/queue?status=open&kabupaten=Kabupaten+Sleman").get_data(as_text=True)
    assert "Antrean permintaan" in body and "Kode gerai" in body
    assert R[1] in body and R[2] in body and R[3] not in body and R[4] not in body


def test_queue_csv_one_row_per_line_with_three_decimals(hub):
    rows = rows_of(hub.client("t-koord").get("/hub/queue.csv?kabupaten=Kabupaten+Sleman&status=open"))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["request_id", "created_at", "supplier", "status"]
    got = [(r[0], r[10], r[13], r[14], r[16]) for r in body]
    assert got == [(R[1], "BRS-5", "10.500", "0.000", "10.500"), (R[1], "MNY-1", "24.000", "0.000", "24.000"),
                   (R[2], "BRS-5", "20.000", "15.000", "5.000")]


def test_demand_csv_matches_the_hand_computed_figures(hub):
    rows = rows_of(hub.client("t-koord").get("/hub/demand.csv?provinsi=DI+Yogyakarta"))
    assert rows == [
        ["provinsi", "kabupaten", "sku", "name", "unit", "requests", "outlets", "requested_qty", "dispatched_qty",
         "outstanding_qty"],
        ["DI Yogyakarta", "Kabupaten Bantul", "BRS-5", "Beras medium", "kg", "1", "1", "5.000", "0.000", "5.000"],
        ["DI Yogyakarta", "Kabupaten Sleman", "MNY-1", "Minyakita 1 L", "pcs", "1", "1", "24.000", "0.000", "24.000"],
        ["DI Yogyakarta", "Kabupaten Sleman", "BRS-5", "Beras medium", "kg", "2", "2", "30.500", "15.000", "15.500"],
    ]


@pytest.mark.parametrize("form, field, message", [
    ({"qty-0": "11"}, "qty-0", "Hanya 10,5 kg yang masih perlu dikirim."),  # over-dispatch
    ({"qty-0": "abc"}, "qty-0", "abc bukan jumlah yang sah."),
    ({"qty-1": "2.5"}, "qty-1", "pcs"),  # Minyakita goes in whole units
    ({"qty-0": "-1"}, "qty-0", "negatif"),
    ({"qty-0": "0", "qty-1": ""}, "_form", "sedikitnya satu baris"),
    ({"qty-0": "1", "eta": "31/12/2030"}, "eta", "TTTT-BB-HH"),
    ({"qty-0": "1", "eta": "2000-01-01"}, "eta", "masa lalu"),
])
def test_dispatch_form_mistakes_come_back_on_the_form_and_change_nothing(hub, form, field, message):
    before = db_digest(hub.db, HUB_TABLES)
    res = hub.client("t-koord").post(f"/hub/requests/{R[1]}/dispatch", data={"csrf_token": "test-csrf", **form})
    body = res.get_data(as_text=True)
    assert res.status_code == 422
    assert f'data-field="{field}"' in body and message in body and "Tidak ada yang disimpan" in body
    assert db_digest(hub.db, HUB_TABLES) == before


def test_a_closed_request_offers_no_dispatch_form(hub):
    body = hub.client("t-koord").get(f"/hub/requests/{R[4]}").get_data(as_text=True)
    assert 'id="dispatch"' not in body and "Beras medium" in body


def test_the_shop_page_lists_what_does_not_sell_in_words(hub):
    res = hub.client("t-koord").get("/hub/outlets/KDMP-0001")
    body = res.get_data(as_text=True)
    idle = body.split('id="not-selling"')[1].split("</table>")[0]
    for sku in ("GLA-1", "TPG-1", "KCP-1", "SRD-1", "TEH-1"):
        assert f'data-sku="{sku}"' in idle
    assert 'data-sku="BRS-5"' not in idle and 'data-sku="MIE-1"' not in idle
    assert "belum pernah terjual" in idle and "terjual 30 hari lalu" in idle and "terjual 14 hari lalu" in idle


def test_a_monitor_sees_only_its_area_and_changes_nothing(hub):
    sleman = hub.client("t-monitor")
    body = sleman.get("/hub/monitor").get_data(as_text=True)
    assert "Depok" in body and "Mlati" in body and "Sewon" not in body and "Cibinong" not in body
    assert "KDMP-0003" not in body and "KDMP-0004" not in body
    assert "tidak sinkron selama 5 hari" in body and "5 barang tidak laku" in body
    assert sleman.get("/hub/outlets/KDMP-0001").status_code == 200
    assert sleman.get("/hub/outlets/KDMP-0003").status_code == 404
    assert sleman.get("/hub/monitor?area=Kabupaten+Bantul").get_data(as_text=True).count("Sewon") == 0
    before = db_digest(hub.db, HUB_TABLES)
    for url in (f"/hub/requests/{R[1]}/dispatch", f"/hub/requests/{R[3]}/dispatch"):
        assert sleman.post(url, data={"csrf_token": "test-csrf", "qty-0": "1"}).status_code == 403
    assert sleman.get("/hub/queue").status_code == 403
    assert db_digest(hub.db, HUB_TABLES) == before
    bantul = hub.client("monitor-bantul")
    body = bantul.get("/hub/monitor").get_data(as_text=True)
    assert "Sewon" in body and "Depok" not in body and "KDMP-0001" not in body
    assert bantul.get("/hub/outlets/KDMP-0001").status_code == 404


def test_monitor_csv_per_kecamatan(hub):
    rows = rows_of(hub.client("monitor-diy").get("/hub/monitor.csv?from=2000-01-01&to=2100-01-01"))
    assert rows[0][:6] == ["provinsi", "kabupaten", "kecamatan", "registered", "synced_3_days", "transacting_7_days"]
    assert [(r[2], r[8], r[9], r[10]) for r in rows[1:]] == [("Sewon", "1", "5000", "1"), ("Depok", "7", "150000", "2"),
                                                              ("Mlati", "3", "30000", "1")]


def test_a_bad_period_falls_back_to_the_last_30_days_with_a_message(hub):
    body = hub.client("t-monitor").get("/hub/monitor?from=kemarin").get_data(as_text=True)
    assert "TTTT-BB-HH" in body and "Depok" in body


@pytest.mark.parametrize("username, home, shown, hidden", [
    ("t-koord", "/hub/queue", "/hub/demand", "/hub/monitor"),
    ("t-monitor", "/hub/monitor", "/hub/monitor", "/hub/queue"),
    ("t-admin", "/hub/queue", "/hub/monitor", "/till"),
])
def test_on_a_hub_people_land_on_their_pages_and_shop_pages_are_hidden(hub, username, home, shown, hidden):
    client = hub.client()
    client.get("/login")
    with client.session_transaction() as sess:
        token = sess.get("csrf_token")
    res = client.post("/login", data={"username": username, "password": "rahasia-123", "csrf_token": token})
    assert res.status_code == 302 and res.location.endswith(home)
    nav = client.get(home).get_data(as_text=True).split("<nav>")[1].split("</nav>")[0]
    assert f'href="{shown}"' in nav and f'href="{hidden}"' not in nav and 'href="/stock"' not in nav


def test_the_hub_pages_do_not_exist_on_a_shop(client):
    assert client.get("/hub/queue").status_code == 404


def test_dispatching_part_of_a_request_through_the_form(any_hub):
    import json

    import sqlalchemy as sa

    bulog = any_hub.client("t-koord")
    res = bulog.post(f"/hub/requests/{R[1]}/dispatch", data={"csrf_token": "test-csrf", "qty-0": "4,5", "qty-1": ""})
    assert res.status_code == 302
    body = bulog.get(f"/hub/requests/{R[1]}").get_data(as_text=True)
    assert "Pengiriman dicatat" in body and 'id="request-status">dikirim' in body.replace("Dikirim", "dikirim")
    with any_hub.db.session() as s:
        lines = dict(s.execute(sa.text(f"SELECT sku, dispatched_qty FROM hub_request_lines WHERE request_id = '{R[1]}'")).all())
        feed = [json.loads(d) for d in s.scalars(sa.text("SELECT data FROM hub_feed WHERE type = 'dispatch'"))]
    assert lines == {"BRS-5": 4500, "MNY-1": 0}  # thousandths
    assert [(f["request_id"], [(ln["sku"], ln["qty"]) for ln in f["lines"]]) for f in feed] == [(R[1], [("BRS-5", "4.500")])]
    # the rest is still to send: 6 kg more than what is left is refused on the form, nothing written
    res = bulog.post(f"/hub/requests/{R[1]}/dispatch", data={"csrf_token": "test-csrf", "qty-0": "6.001"})
    assert res.status_code == 422 and "Hanya 6 kg" in res.get_data(as_text=True)
