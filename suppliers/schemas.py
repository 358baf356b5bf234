"""Shapes of restock suggestions and requests (marshmallow: shape only, rules live in services)."""
from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext
from marshmallow import fields, validate

from gerai.api import Qty
from suppliers.models import REQUEST_STATUSES

SKU = fields.String(required=True, validate=validate.Length(min=1, max=40))


class SuggestionSchema(ma.Schema):
    sku = fields.String()
    name = fields.String(attribute="signal.name")
    unit = fields.String(attribute="signal.unit")
    supplier = fields.String(allow_none=True)
    on_hand = Qty(attribute="signal.on_hand")
    on_order = Qty()
    reorder_point = Qty(attribute="signal.reorder_point")
    order_up_to = Qty(attribute="signal.order_up_to")
    pack_size = Qty(allow_none=True)
    suggested_qty = Qty()
    expected_daily_sales = Qty(attribute="signal.expected_daily_sales")
    days_of_cover = fields.Method("_cover")
    reason = fields.Method("_reason")

    def _cover(self, s):
        return None if s.signal.days_of_cover is None else f"{s.signal.days_of_cover:.1f}"

    def _reason(self, s):
        return s.reason.text(gettext)


class RequestLineInSchema(ma.Schema):
    sku = SKU
    qty = Qty(required=True)


class RequestInSchema(ma.Schema):
    id = fields.UUID(required=True)
    supplier = fields.String(required=True, validate=validate.Length(min=1, max=30))
    lines = fields.List(fields.Nested(RequestLineInSchema), required=True, validate=validate.Length(min=1, max=500))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class CancelInSchema(ma.Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class RequestQuerySchema(ma.Schema):
    status = fields.String(validate=validate.OneOf(REQUEST_STATUSES))
    supplier = fields.String(validate=validate.Length(max=30))


class RequestLineSchema(ma.Schema):
    sku = fields.String()
    name = fields.String(attribute="product.name")
    unit = fields.String(attribute="product.unit")
    qty = Qty()
    dispatched_qty = Qty(allow_none=True)
    received_qty = Qty()
    difference = Qty(metadata={"description": "received minus asked: negative is short, positive is over"})


class RequestEventSchema(ma.Schema):
    at = fields.AwareDateTime()
    status = fields.String()
    user_id = fields.Integer(allow_none=True)
    note = fields.String()
    stock_document_id = fields.Integer(allow_none=True)


class RequestSchema(ma.Schema):
    id = fields.String()
    supplier = fields.String(attribute="supplier_code")
    status = fields.String()
    auto = fields.Boolean()
    note = fields.String()
    eta = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    lines = fields.List(fields.Nested(RequestLineSchema))
    history = fields.List(fields.Nested(RequestEventSchema))


class RequestSummarySchema(RequestSchema):
    class Meta:
        exclude = ("history",)
