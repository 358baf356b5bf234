"""Regulated goods at the till: NIK where needed, buyer category, i-Pubers reference, quotas by the
shop's local day (a frozen clock around midnight in WITA), and the NIK never kept or shown whole."""
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from gerai.schema import metadata
from pos import regulated
from pos.quotas import check_quotas
from pos.regulated import QuotaExceeded, Rules
from pos_helpers import NIK_A, NIK_B, sale_in, sell, snapshot
from pos_helpers import any_shop, api, open_shifts, shop  # noqa: F401 (fixtures)

MAKASSAR = ZoneInfo("Asia/Makassar")  # WITA, UTC+8


def wita(day, hh, mm):
    return datetime(2026, 3, day, hh, mm, tzinfo=MAKASSAR).astimezone(timezone.utc)


@pytest.mark.parametrize("extra, reason, field", [
    ({}, "nik_required", "buyer_nik"),
    ({"buyer_nik": "1234"}, "invalid_nik", "buyer_nik"),
    ({"buyer_nik": "3201013202900001"}, "invalid_nik", "buyer_nik"),  # 32 February
    ({"buyer_nik": NIK_A}, "buyer_category_required", "buyer_category"),
])
def test_lpg_needs_a_valid_nik_and_the_buyer_category(open_shifts, extra, reason, field):
    shop = open_shifts
    before = snapshot(shop.db)
    with pytest.raises(regulated.Invalid) as err:
        sell(shop.db, shop.cashier, sale_in([(shop.gula, 1), (shop.lpg, 1)], **extra))
    assert (err.value.status, err.value.reason, err.value.field) == (422, reason, field)
    assert snapshot(shop.db) == before


def test_subsidised_fertilizer_needs_the_i_pubers_reference(open_shifts):
    shop = open_shifts
    with pytest.raises(regulated.SubsidyReferenceRequired) as err:
        sell(shop.db, shop.cashier, sale_in([(shop.urea, 2)], buyer_nik=NIK_B))
    assert err.value.field == "subsidy_reference"
    doc = sell(shop.db, shop.cashier, sale_in([(shop.urea, 2)], buyer_nik=NIK_B, subsidy_reference="IPB-2026-0042")).sale
    assert doc.subsidy_reference == "IPB-2026-0042" and doc.nik_last4 == "0002" and doc.buyer_category is None


def test_the_nik_is_asked_only_where_a_product_needs_it(open_shifts):
    shop = open_shifts
    doc = sell(shop.db, shop.cashier, sale_in([(shop.gula, 1)], buyer_nik=NIK_A, buyer_category="petani")).sale
    assert doc.nik_last4 is None and doc.buyer_category is None  # not needed, so not kept
    with shop.db.session() as s:
        assert s.execute(sa.text("SELECT buyer_nik_hash, buyer_nik_last4, buyer_category FROM sales")).one() == \
            (None, None, None)


def test_the_whole_nik_is_in_no_table_column(open_shifts):
    shop = open_shifts
    sell(shop.db, shop.cashier, sale_in([(shop.lpg, 1), (shop.sphp, 1)], buyer_nik=NIK_A,
                                        buyer_category="rumah_tangga"))
    with shop.db.session() as s:
        for table in metadata().sorted_tables:
            for row in s.execute(sa.select(table)):
                assert not any(NIK_A in str(v) or NIK_A[:12] in str(v) for v in row), table.name
        nik_hash, last4 = s.execute(sa.text("SELECT buyer_nik_hash, buyer_nik_last4 FROM sales")).one()
    assert last4 == "0001" and len(nik_hash) == 64


def test_quota_refusal_says_the_quota_what_was_bought_and_what_is_left(open_shifts):
    shop = open_shifts
    sell(shop.db, shop.cashier, sale_in([(shop.sphp, 1)], buyer_nik=NIK_A))
    with pytest.raises(QuotaExceeded) as err:
        sell(shop.db, shop.cashier, sale_in([(shop.sphp, 2)], buyer_nik=NIK_A))
    assert err.value.status == 409 and err.value.field == "lines.0.qty"
    assert err.value.message == ("Beras SPHP 5 kg: at most 2 bungkus per NIK per day. This NIK bought 1 bungkus "
                                 "today, so 1 bungkus are left; 2 bungkus wanted.")
    # another buyer is not affected, and the same buyer may take what is left
    sell(shop.db, shop.cashier, sale_in([(shop.sphp, 2)], buyer_nik=NIK_B))
    sell(shop.db, shop.cashier, sale_in([(shop.sphp, 1)], buyer_nik=NIK_A))


def test_a_daily_quota_follows_the_shops_local_day_not_utc(open_shifts):
    """WITA is UTC+8: 07:30 local on the 11th is 23:30 UTC on the 10th."""
    shop = open_shifts
    sphp = [(shop.sphp, 2)]
    sell(shop.db, shop.cashier, sale_in(sphp, buyer_nik=NIK_A), at=wita(10, 23, 55), tz=MAKASSAR)
    with pytest.raises(QuotaExceeded):  # five minutes before local midnight: same day
        sell(shop.db, shop.cashier, sale_in([(shop.sphp, 1)], buyer_nik=NIK_A), at=wita(10, 23, 59), tz=MAKASSAR)
    # just after local midnight (16:00 UTC, still the 10th in UTC) a new day begins
    sell(shop.db, shop.cashier, sale_in(sphp, buyer_nik=NIK_A), at=wita(11, 0, 0), tz=MAKASSAR)
    with pytest.raises(QuotaExceeded):  # 07:30 WITA on the 11th = 23:30 UTC on the 10th: same local day
        sell(shop.db, shop.cashier, sale_in([(shop.sphp, 1)], buyer_nik=NIK_A), at=wita(11, 7, 30), tz=MAKASSAR)


def test_a_thirty_day_quota_window_counts_local_days_today_included(open_shifts):
    shop = open_shifts
    lpg = dict(buyer_nik=NIK_A, buyer_category="rumah_tangga")
    sell(shop.db, shop.cashier, sale_in([(shop.lpg, 2)], **lpg), at=wita(1, 0, 5), tz=MAKASSAR)
    with pytest.raises(QuotaExceeded):  # 1 March 00:05 is inside 30 local days ending 30 March
        sell(shop.db, shop.cashier, sale_in([(shop.lpg, 1)], **lpg), at=wita(30, 23, 59), tz=MAKASSAR)
    sell(shop.db, shop.cashier, sale_in([(shop.lpg, 1)], **lpg), at=wita(31, 0, 0), tz=MAKASSAR)


def test_window_maths_around_midnight():
    now = wita(11, 0, 30)
    assert regulated.quota_window_start(now, 1, MAKASSAR) == wita(11, 0, 0) == datetime(2026, 3, 10, 16, 0,
                                                                                         tzinfo=timezone.utc)
    assert regulated.quota_window_start(now, 7, MAKASSAR) == wita(5, 0, 0)
    assert regulated.quota_window_start(wita(10, 23, 59), 1, MAKASSAR) == wita(10, 0, 0)


def test_het_guard_and_quota_rule_are_pure():
    p = Rules(1, "X", "Beras", "kg", "sembako", 13000, 13500, True, Decimal(10), 1)
    regulated.check_het(p, 13500)
    with pytest.raises(regulated.PriceAboveHet):
        regulated.check_het(p, 13501)
    regulated.check_quota(p, Decimal("9.5"), Decimal("0.5"))
    with pytest.raises(QuotaExceeded) as err:
        regulated.check_quota(p, Decimal("9.5"), Decimal("0.501"))
    assert "0,5 kg are left" in err.value.message
    assert regulated.needs_nik(p._replace(subsidised=False)) and not regulated.needs_nik(
        p._replace(subsidised=False, quota_qty=None))


@pytest.mark.postgres
def test_postgres_quota_lock_makes_a_second_till_wait_for_the_first(pg_db):
    """The (product, buyer) row lock itself: the second till blocks until the first commits."""
    from pos_helpers import make_shop

    shop = make_shop(pg_db)
    with pg_db.session() as s:
        pid = s.scalar(sa.text("SELECT id FROM products WHERE sku = 'SPHP-5'"))
        rules = Rules(pid, "SPHP-5", "Beras SPHP", "bungkus", "sembako", 62500, 62500, True, Decimal(2), 1)
    at, nik_hash = datetime.now(timezone.utc), "a" * 64
    first = pg_db.session()
    check_quotas(first, [(rules, pid, Decimal(2))], nik_hash, at, MAKASSAR)  # holds the row lock
    first.connection().execute(sa.text("INSERT INTO quota_records (product_id, nik_hash, qty, at) "
                                       "VALUES (:p, :n, 2000, :at)"), {"p": pid, "n": nik_hash, "at": at})
    outcome = {}

    def second_till():
        with pg_db.session() as s:
            try:
                check_quotas(s, [(rules, pid, Decimal(1))], nik_hash, at, MAKASSAR)
                outcome["result"] = "sold"
            except QuotaExceeded:
                outcome["result"] = "refused"
            outcome["at"] = time.monotonic()

    thread = threading.Thread(target=second_till)
    thread.start()
    time.sleep(0.5)
    assert "result" not in outcome  # waiting on the lock
    committed = time.monotonic()
    first.commit()
    first.close()
    thread.join(10)
    assert outcome["result"] == "refused" and outcome["at"] >= committed
    assert shop.sphp == "SPHP-5"


def test_quota_window_start_is_utc_and_aware():
    start = regulated.quota_window_start(datetime(2026, 1, 1, 12, tzinfo=timezone.utc), 2, ZoneInfo("Asia/Jayapura"))
    assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
    # 12:00 UTC is 21:00 WIT on 1 January; two local days: from WIT midnight of 31 December
    assert start == datetime(2025, 12, 30, 15, 0, tzinfo=timezone.utc)
