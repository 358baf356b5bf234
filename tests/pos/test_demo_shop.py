"""The demo shop has members, and a sale of its regulated goods goes through end to end."""
import uuid
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from gerai.demo.loader import DEMO_MEMBERS, load_demo
from gerai.models import User
from inventory.ledger import ledger_differences
from pos import sales, shifts
from pos.models import Member
from pos_helpers import KEY, NIK_A


def test_demo_members_and_a_regulated_sale_on_the_demo_shop(db, settings):
    load_demo(db, settings, echo=lambda _: None, today=date(2026, 3, 10))
    with db.session() as s:
        assert [m.member_no for m in s.scalars(sa.select(Member).order_by(Member.member_no))] == \
            [no for no, *_ in DEMO_MEMBERS]
        kasir = s.scalar(sa.select(User.id).where(User.username == "kasir"))
        shifts.open_shift(s, kasir, 150000)
    sale = sales.SaleIn(str(uuid.uuid4()), (sales.LineIn("LPG-3", Decimal(1)), sales.LineIn("BRS-SPHP-5", Decimal(2))),
                        (sales.PaymentIn("cash", 200000),), member_no="KMP-0003", buyer_nik=NIK_A,
                        buyer_category="rumah_tangga")
    with db.session() as s:
        doc = sales.record_sale(s, sale, sales.Seller(kasir, "kasir"), fingerprint=sales.fingerprint(sale, KEY),
                                nik_key=KEY, tz=ZoneInfo("Asia/Jakarta")).sale
    assert (doc.total, doc.change, doc.member_name) == (143000, 57000, "Wayan Sudarma")
    with db.session() as s:
        assert ledger_differences(s) == []
