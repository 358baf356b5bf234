"""The audit log at the till: a sale with a manager-approved price below the catalog's and a refund each
write exactly one row in their own transaction; ordinary, refused and repeated ones write none
(SQLite and PostgreSQL)."""
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from gerai.models import AuditEntry
from pos import refunds
from inventory.rules import InsufficientStock
from pos.sales import DiscountNotAllowed
from pos_helpers import KEY, sale_in, sell
from pos_helpers import any_shop, open_shifts, shop  # noqa: F401 (fixtures)


def audit_rows(db) -> list[AuditEntry]:
    with db.session() as s:
        rows = list(s.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
        s.expunge_all()
        s.rollback()
    return rows


def refund(db, user, sale_id, lines, refund_id=None):
    body = refunds.RefundIn(refund_id or str(uuid.uuid4()), "rusak", tuple((sku, Decimal(str(q))) for sku, q in lines),
                            "cash")
    with db.session() as s:
        return refunds.refund_sale(s, sale_id, body, user, fingerprint=refunds.refund_fingerprint(sale_id, body, KEY))


def test_a_discounted_sale_writes_one_row_naming_the_cashier_and_the_approver(any_shop):
    shop = any_shop
    sell(shop.db, shop.cashier, sale_in([(shop.gula, 1)]))  # catalog price: not audited
    assert audit_rows(shop.db) == []
    sale = sale_in([(shop.gula, 2, 17000), (shop.beras, "1.5")])
    doc = sell(shop.db, shop.cashier, sale, approver=shop.manager).sale
    sell(shop.db, shop.cashier, sale, approver=shop.manager)  # a retry of the same sale: no second row
    [row] = audit_rows(shop.db)
    assert (row.action, row.subject, row.user_id, row.username) == ("discount_sale", doc.id, shop.cashier, "t-kasir")
    assert row.details == {"number": doc.number, "approved_by": shop.manager, "lines": [["GULA-1KG", "2", 18000, 17000]]}
    assert row.at == doc.at


def test_a_refused_discount_writes_nothing(any_shop):
    shop = any_shop
    with pytest.raises(DiscountNotAllowed):
        sell(shop.db, shop.cashier, sale_in([(shop.gula, 1, 17000)]))
    with pytest.raises(InsufficientStock):
        sell(shop.db, shop.cashier, sale_in([(shop.gula, 99, 17000)], payments=[("cash", 2_000_000)]), approver=shop.manager)  # not enough stock
    assert audit_rows(shop.db) == []


def test_a_refund_writes_one_row_and_a_refused_or_repeated_refund_none(any_shop):
    shop = any_shop
    sale = sell(shop.db, shop.cashier, sale_in([(shop.gula, 2)])).sale
    with pytest.raises(refunds.RefundExceedsSale):
        refund(shop.db, shop.manager, sale.id, [(shop.gula, 3)])
    assert audit_rows(shop.db) == []
    rid = str(uuid.uuid4())
    doc, created = refund(shop.db, shop.manager, sale.id, [(shop.gula, 1)], refund_id=rid)
    assert created
    assert refund(shop.db, shop.manager, sale.id, [(shop.gula, 1)], refund_id=rid)[1] is False  # the retry
    [row] = audit_rows(shop.db)
    assert (row.action, row.subject, row.user_id, row.username) == ("refund", sale.id, shop.manager, "t-manajer")
    assert row.details == {"refund_id": rid, "number": doc.number, "reason": "rusak", "method": "cash", "total": 18000,
                           "lines": [["GULA-1KG", "1", 18000]]}
