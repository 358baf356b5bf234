"""Shapes of catalog and stock requests and answers (marshmallow: shape only, rules live in services)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from gerai.api import Money, Patch, Qty, Timestamp
from gerai.numbers import qty_str
from inventory.models import CATEGORIES, STATUSES
from inventory.rules import WRITE_OFF_REASONS

SKU = fields.String(required=True, validate=validate.Length(min=1, max=40))
CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$", error="1-30 letters, digits, '.', '-' or '_'.")


class QuotaSchema(ma.Schema):
    qty = Qty(required=True)
    period_days = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=366))


class ReorderSchema(ma.Schema):
    min = Qty(required=True)
    max = Qty(required=True)


class ProductInSchema(ma.Schema):
    sku = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$",
                                                                 error="1-40 letters, digits, '.', '-', '/' or '_'."))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    barcodes = fields.List(fields.String(validate=validate.Length(min=1, max=32)), load_default=list,
                           validate=validate.Length(max=20))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=20))
    price = Money(required=True)
    het = Money(allow_none=True, load_default=None)
    het_effective_from = Timestamp(load_only=True)
    subsidised = fields.Boolean(load_default=False)
    quota = fields.Nested(QuotaSchema, allow_none=True, load_default=None)
    supplier = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=30))
    reorder = fields.Nested(ReorderSchema, allow_none=True, load_default=None)
    taxable = fields.Boolean(load_default=False)
    shelf_life_days = fields.Integer(strict=True, allow_none=True, load_default=None,
                                     validate=validate.Range(min=1, max=3650))
    active = fields.Boolean(load_default=True)


class ProductPatchSchema(Patch, ProductInSchema):
    """Any product field but the SKU; nothing defaults (absent means unchanged)."""

    class Meta:
        exclude = ("sku",)


class ProductSchema(ma.Schema):
    sku = fields.String()
    name = fields.String()
    barcodes = fields.Method("_barcodes")
    category = fields.String()
    unit = fields.String()
    price = fields.Integer()
    het = fields.Integer(allow_none=True)
    subsidised = fields.Boolean()
    quota = fields.Method("_quota")
    supplier = fields.String(attribute="supplier_code", allow_none=True)
    reorder = fields.Method("_reorder")
    taxable = fields.Boolean()
    shelf_life_days = fields.Integer(allow_none=True)
    active = fields.Boolean()
    on_hand = Qty(attribute="level.on_hand")

    def _barcodes(self, p):
        return [b.barcode for b in p.barcodes]

    def _quota(self, p):
        return None if p.quota_qty is None else {"qty": Qty()._serialize(p.quota_qty, None, None),
                                                 "period_days": p.quota_period_days}

    def _reorder(self, p):
        return None if p.reorder_max is None else {"min": Qty()._serialize(p.reorder_min, None, None),
                                                   "max": Qty()._serialize(p.reorder_max, None, None)}


def product_json(p) -> dict:
    """A product (a queries.ProductRow) in ProductSchema's shape, built directly: a barcode scan
    answers within 2 ms (DESIGN.md, Targets), and a generic dump is a good part of that (tests keep
    the two shapes equal)."""
    return {"sku": p.sku, "name": p.name, "barcodes": p.barcodes, "category": p.category, "unit": p.unit,
            "price": p.price, "het": p.het, "subsidised": p.subsidised,
            "quota": None if p.quota_qty is None else {"qty": qty_str(p.quota_qty), "period_days": p.quota_period_days},
            "supplier": p.supplier_code,
            "reorder": None if p.reorder_max is None else {"min": qty_str(p.reorder_min), "max": qty_str(p.reorder_max)},
            "taxable": p.taxable, "shelf_life_days": p.shelf_life_days, "active": p.active,
            "on_hand": None if p.on_hand is None else qty_str(p.on_hand)}


class ProductQuerySchema(ma.Schema):
    q = fields.String(load_default="", validate=validate.Length(max=100))
    category = fields.String(validate=validate.OneOf(CATEGORIES))


class SupplierSchema(ma.Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    lead_time_days = fields.Integer(strict=True, load_default=3, validate=validate.Range(min=0, max=365))
    pack_size = Qty(allow_none=True, load_default=None)
    contact = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))

    @ma.validates("pack_size")
    def _pack_positive(self, value, **_):
        if value is not None and value <= 0:
            raise ma.ValidationError("A pack size must be more than zero.")


class SupplierPatchSchema(Patch, SupplierSchema):
    class Meta:
        exclude = ("code",)


class ReceiptLineSchema(ma.Schema):
    sku = SKU
    qty = Qty(required=True)
    unit_cost = Money(allow_none=True, load_default=None)


class EmptiesLineSchema(ma.Schema):
    sku = SKU
    qty = Qty(required=True)


def client_id_field() -> fields.UUID:
    return fields.UUID(allow_none=True, load_default=None, metadata={"description": (
        "The client's id for this document (a UUID made when the form or request is made). A retry after a lost "
        "answer sends it again with the same body: the stored document comes back (200) and nothing changes; "
        "the same id with a different body is refused (409, document_id_reused). Left out: every request "
        "records a new document.")})


class ReceiptInSchema(ma.Schema):
    id = client_id_field()
    supplier = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=30))
    reference = fields.String(load_default="", validate=validate.Length(max=100))
    restock_request_id = fields.UUID(allow_none=True, load_default=None)
    note = fields.String(load_default="", validate=validate.Length(max=500))
    lines = fields.List(fields.Nested(ReceiptLineSchema), required=True, validate=validate.Length(min=1, max=500))
    empties_returned = fields.List(fields.Nested(EmptiesLineSchema), load_default=list, validate=validate.Length(max=50),
                                   metadata={"description": "LPG: empty cylinders the agent takes back"})


class CountLineSchema(ma.Schema):
    sku = SKU
    counted = Qty(required=True)
    book = Qty(allow_none=True, load_default=None, metadata={"description": (
        "The book quantity the count sheet showed when it was printed or opened. Given: the adjustment is "
        "counted - book, applied to the stock as it is now, so sales made while counting are kept. "
        "Left out: the count replaces the current stock (counted - current). The line's `expected` is the "
        "book quantity used.")})


class CountInSchema(ma.Schema):
    id = client_id_field()
    note = fields.String(load_default="", validate=validate.Length(max=500))
    lines = fields.List(fields.Nested(CountLineSchema), required=True, validate=validate.Length(min=1, max=5000))


class WriteOffLineSchema(ma.Schema):
    sku = SKU
    qty = Qty(required=True)


class WriteOffInSchema(ma.Schema):
    id = client_id_field()
    reason = fields.String(required=True, validate=validate.OneOf(WRITE_OFF_REASONS))
    note = fields.String(load_default="", validate=validate.Length(max=500))
    lines = fields.List(fields.Nested(WriteOffLineSchema), required=True, validate=validate.Length(min=1, max=500))


class MovementSchema(ma.Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    kind = fields.String()
    qty = Qty()
    balance_after = Qty()
    reference = fields.String()
    user = fields.String(allow_none=True)
    unit_cost = fields.Integer(allow_none=True)


class DocumentLineOutSchema(ma.Schema):
    sku = fields.String(attribute="product.sku")
    qty = Qty()
    expected = Qty(allow_none=True)
    unit_cost = fields.Integer(allow_none=True)
    movement_id = fields.Integer(allow_none=True)


class DocumentSchema(ma.Schema):
    id = fields.Integer()
    client_id = fields.String(allow_none=True, metadata={"description": "The id the client gave the document, if any"})
    kind = fields.String()
    at = fields.AwareDateTime()
    supplier = fields.String(attribute="supplier_code", allow_none=True)
    reference = fields.String()
    reason = fields.String(allow_none=True)
    note = fields.String()
    restock_request_id = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(DocumentLineOutSchema))
    movements = fields.List(fields.Nested(MovementSchema))
    empties_returned = fields.List(fields.Nested(EmptiesLineSchema), dump_default=list)


class MovementQuerySchema(ma.Schema):
    since = Timestamp()
    until = Timestamp()
    kind = fields.String(validate=validate.Length(max=20))


class StockQuerySchema(ma.Schema):
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    status = fields.String(validate=validate.OneOf(STATUSES))


class StockRowSchema(ma.Schema):
    sku = fields.String()
    name = fields.String()
    category = fields.String()
    on_hand = Qty()
    unit = fields.String()
    status = fields.String()
    days_of_cover = fields.Decimal(as_string=True, allow_none=True, places=1)
    last_sold_at = fields.AwareDateTime(allow_none=True)
    reorder_point = Qty(allow_none=True)
    avg_cost = fields.Integer(allow_none=True)
    supplier = fields.String(allow_none=True)
    empty_cylinders = Qty(allow_none=True, metadata={"description": "LPG only: empty cylinders in the shop"})


def stock_row_json(row, empty_cylinders=None) -> dict:
    """One stock row in StockRowSchema's shape, built directly: on a 2,000-product stock page the
    generic dump costs more than computing the rows (tests keep the two shapes equal).
    `empty_cylinders`: LPG only, the empties in the shop (None for other goods)."""
    cover = row.days_of_cover
    return {"sku": row.sku, "name": row.name, "category": row.category, "on_hand": qty_str(row.on_hand),
            "unit": row.unit, "status": row.status, "days_of_cover": None if cover is None else f"{cover:.1f}",
            "last_sold_at": row.last_sold_at.isoformat() if row.last_sold_at else None,
            "reorder_point": None if row.reorder_point is None else qty_str(row.reorder_point),
            "avg_cost": row.avg_cost, "supplier": row.supplier,
            "empty_cylinders": None if empty_cylinders is None else qty_str(empty_cylinders)}
