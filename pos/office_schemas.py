"""Shapes of the back-office endpoints: members, the LPG logbook and empties, QRIS settings."""
from __future__ import annotations

from datetime import date

import marshmallow as ma
from marshmallow import fields, validate

from gerai.api import Patch, Qty
from inventory.schemas import EmptiesLineSchema
from pos.nik import mask_nik


# --- members --------------------------------------------------------------------------------

class MemberInSchema(ma.Schema):
    member_no = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9./-]{0,29}$",
                                                                       error="1-30 letters, digits, '.', '/' or '-'."))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    joined_on = fields.Date(load_default=None)
    phone = fields.String(load_default="", validate=validate.Length(max=30))
    address = fields.String(load_default="", validate=validate.Length(max=200))
    active = fields.Boolean(load_default=True)


class MemberPatchSchema(Patch, MemberInSchema):
    class Meta:
        exclude = ("member_no",)


class MemberSchema(ma.Schema):
    member_no = fields.String()
    name = fields.String()
    joined_on = fields.Date()
    phone = fields.String()
    address = fields.String()
    active = fields.Boolean()


class MemberQuerySchema(ma.Schema):
    q = fields.String(load_default="", validate=validate.Length(max=100))


class YearQuerySchema(ma.Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class PurchaseSchema(ma.Schema):
    sale_id = fields.String()
    number = fields.Integer()
    at = fields.AwareDateTime()
    total = fields.Integer()


class YearRowSchema(ma.Schema):
    member_no = fields.String()
    name = fields.String()
    sales_count = fields.Integer()
    total = fields.Integer()
    refunded = fields.Integer()
    net = fields.Integer()


class MemberPurchasesSchema(ma.Schema):
    year = fields.Integer()
    member = fields.Nested(MemberSchema)
    totals = fields.Nested(YearRowSchema)
    sales = fields.List(fields.Nested(PurchaseSchema))


# --- LPG, QRIS ------------------------------------------------------------------------------

LOGBOOK_DAYS = validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31))  # 0001-01-01 in UTC+7 overflowed (500)


class LogbookQuerySchema(ma.Schema):
    from_ = fields.Date(data_key="from", required=True, validate=LOGBOOK_DAYS)
    to = fields.Date(required=True, validate=LOGBOOK_DAYS)
    format = fields.String(load_default="csv", validate=validate.OneOf(("json", "csv")))


class LogRowSchema(ma.Schema):
    at = fields.AwareDateTime()
    receipt = fields.String()
    sku = fields.String()
    product = fields.String()
    nik = fields.Function(lambda r: mask_nik(r.nik_last4) if r.nik_last4 else None)
    category = fields.String(allow_none=True)
    cylinders = Qty()
    unit_price = fields.Integer()
    amount = fields.Integer()
    empties = Qty(allow_none=True)


class EmptiesRowSchema(ma.Schema):
    sku = fields.String()
    name = fields.String()
    full = Qty()
    empty = Qty()


class EmptiesCountLineSchema(ma.Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    counted = Qty(required=True)


class EmptiesCountSchema(ma.Schema):
    note = fields.String(load_default="", validate=validate.Length(max=200))
    lines = fields.List(fields.Nested(EmptiesCountLineSchema), required=True, validate=validate.Length(min=1, max=50))


class EmptiesReturnSchema(ma.Schema):
    supplier = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))
    reference = fields.String(load_default="", validate=validate.Length(max=100))
    lines = fields.List(fields.Nested(EmptiesLineSchema), required=True, validate=validate.Length(min=1, max=50))


class QrisSettingsInSchema(ma.Schema):
    payload = fields.String(required=True, allow_none=True, validate=validate.Length(max=512),
                            metadata={"description": "The static QRIS text from the bank; null removes it"})


class QrisSettingsSchema(ma.Schema):
    configured = fields.Boolean()
    payload = fields.String(allow_none=True)
    merchant_name = fields.String(allow_none=True)


class QrisAmountSchema(ma.Schema):
    amount = fields.Integer(required=True, validate=validate.Range(min=1, max=9_999_999_999_999))


class QrisDynamicSchema(ma.Schema):
    amount = fields.Integer()
    payload = fields.String()
    merchant_name = fields.String(allow_none=True)
