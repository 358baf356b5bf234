"""The coordinators' queue and demand on the hub's engines: filters, scope, keyset pages, aggregates
against the figures worked out by hand in hubdata.py."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from hubdata import R
from suppliers.hub import queue


def ids(session, f, size=50):
    return [row.id for row in queue.queue_page(session, f, size).rows]


@pytest.fixture
def s(any_hub):
    with any_hub.db.session() as session:
        yield session


def test_the_queue_is_newest_first_and_only_the_coordinators_supplier(s):
    assert ids(s, queue.QueueFilter("BULOG")) == [R[1], R[2], R[3], R[4], R[6], R[7]]
    assert ids(s, queue.QueueFilter("IDFOOD")) == [R[5]]
    assert len(ids(s, queue.QueueFilter(None))) == 7  # an admin


@pytest.mark.parametrize("args, expected", [
    ({"status": "submitted"}, [1, 3]),
    ({"status": "open"}, [1, 2, 3, 6]),
    ({"status": "cancelled"}, [7]),
    ({"kabupaten": "Kabupaten Sleman"}, [1, 2, 4, 7]),
    ({"kecamatan": "Mlati"}, [2, 7]),
    ({"provinsi": "Jawa Barat"}, [6]),
    ({"sku": "MNY-1"}, [1, 6]),
    ({"outlet": "KDMP-0001"}, [1, 4]),
    ({"status": "open", "kabupaten": "Kabupaten Sleman", "sku": "BRS-5"}, [1, 2]),
    ({"sku": "TLR-1"}, []),  # IDFOOD's eggs: not in BULOG's queue by any filter
    ({"outlet": "KDMP-0001", "sku": "TLR-1", "status": "submitted"}, []),
    ({"status": "nonsense"}, [1, 2, 3, 4, 6, 7]),  # an unknown status is ignored
])
def test_filters(s, args, expected):
    assert ids(s, queue.clean_filter("BULOG", args)) == [R[n] for n in expected]


def test_keyset_pages_walk_the_whole_queue_once(s):
    f, seen = queue.QueueFilter("BULOG"), []
    while True:
        page = queue.queue_page(s, f, 2)
        seen += [row.id for row in page.rows]
        if page.next_cursor is None:
            break
        f = replace(f, before=queue.parse_cursor(page.next_cursor))
    assert seen == [R[1], R[2], R[3], R[4], R[6], R[7]]


def test_a_broken_cursor_is_the_first_page(s):
    assert queue.clean_filter("BULOG", {"before": "yesterday~x"}).before is None
    assert queue.clean_filter("BULOG", {"before": "2026-01-01T00:00:00~"}).before is None  # no zone, no id


def test_the_page_carries_its_requests_lines(s):
    page = queue.queue_page(s, queue.QueueFilter("BULOG", status="submitted"))
    assert [(ln.sku, ln.qty) for ln in page.lines[R[1]]] == [("BRS-5", Decimal("10.500")), ("MNY-1", Decimal("24.000"))]


def test_demand_per_product_per_kabupaten_is_open_asked_minus_dispatched(s):
    rows = [(d.provinsi, d.kabupaten, d.sku, d.requests, d.outlets, d.requested, d.dispatched, d.outstanding)
            for d in queue.demand(s, queue.QueueFilter("BULOG"))]
    assert rows == [
        ("DI Yogyakarta", "Kabupaten Bantul", "BRS-5", 1, 1, Decimal("5.000"), Decimal("0.000"), Decimal("5.000")),
        ("DI Yogyakarta", "Kabupaten Sleman", "MNY-1", 1, 1, Decimal("24.000"), Decimal("0.000"), Decimal("24.000")),
        # R1 10.5 + R2 20 asked, R2 15 dispatched; R4 received and R7 cancelled do not count
        ("DI Yogyakarta", "Kabupaten Sleman", "BRS-5", 2, 2, Decimal("30.500"), Decimal("15.000"), Decimal("15.500")),
        ("Jawa Barat", "Kabupaten Bogor", "MNY-1", 1, 1, Decimal("12.000"), Decimal("6.000"), Decimal("6.000")),
    ]


def test_demand_filters_and_scope(s):
    assert [(d.kabupaten, d.sku) for d in queue.demand(s, queue.QueueFilter("BULOG", sku="BRS-5",
                                                                             provinsi="DI Yogyakarta"))] == [
        ("Kabupaten Bantul", "BRS-5"), ("Kabupaten Sleman", "BRS-5")]
    assert [(d.kabupaten, d.sku, d.outstanding) for d in queue.demand(s, queue.QueueFilter("IDFOOD"))] == [
        ("Kabupaten Sleman", "TLR-1", Decimal("30.000"))]
    assert queue.demand(s, queue.QueueFilter("BULOG", sku="TLR-1")) == []


def test_a_request_of_another_supplier_is_not_found(s):
    assert queue.get_request(s, R[5], "BULOG") is None
    assert queue.get_request(s, R[5], "IDFOOD") is not None
    assert queue.get_request(s, R[1], None) is not None  # an admin
