"""Shapes of the till's requests and answers.

The sale body is read by a small hand-written loader (`load_sale_body`), not marshmallow: it is
the till's hot path (DESIGN.md, Targets), and the loader still answers every bad field at once,
by its path (`lines.3.qty`). The marshmallow schemas below document it in the OpenAPI file and
shape every other endpoint.
"""
from __future__ import annotations

import uuid
from decimal import Decimal

import marshmallow as ma
from marshmallow import fields, validate

from gerai.api import Money, Qty
from gerai.numbers import MONEY_MAX, QuantityError, parse_qty, qty_str
from pos.documents import RefundDoc, SaleDoc
from pos.models import BUYER_CATEGORIES, PAYMENT_METHODS
from pos.nik import mask_nik
from pos.printing import PrintResult
from pos.sales import LineIn, PaymentIn, SaleIn

MAX_LINES, MAX_PAYMENTS = 200, 10


class BodyInvalid(Exception):
    """The body does not have the sale's shape; `errors` maps each field path to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


class _Reader:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def obj(self, value, path: str, allowed: set[str]) -> dict | None:
        if not isinstance(value, dict):
            self.fail(path or "_schema", "Expected an object.")
            return None
        for key in value.keys() - allowed:
            self.fail(f"{path}.{key}" if path else key, "Unknown field.")
        return value

    def text(self, data: dict, key: str, path: str, *, max_len: int, required: bool = False) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(path, "Missing data for required field.")
            return None
        if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_len:
            self.fail(path, f"Expected text of 1-{max_len} characters.")
            return None
        return value

    def money(self, data: dict, key: str, path: str, *, required: bool = False, minimum: int = 0) -> int | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(path, "Missing data for required field.")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MONEY_MAX:
            self.fail(path, f"Expected whole Rupiah, at least {minimum}.")
            return None
        return value

    def qty(self, data: dict, key: str, path: str) -> Decimal | None:
        if data.get(key) is None:
            self.fail(path, "Missing data for required field.")
            return None
        try:
            return parse_qty(data[key])
        except QuantityError as err:
            self.fail(path, str(err))
            return None


_SALE_KEYS = {"id", "lines", "payments", "member_no", "buyer_nik", "buyer_category", "subsidy_reference",
              "manager_token"}
_LINE_KEYS = {"sku", "qty", "unit_price", "empties_returned"}
_PAYMENT_KEYS = {"method", "amount", "reference"}


def _sale_id(r: _Reader, body: dict) -> str | None:
    raw = body.get("id")
    if raw is None:
        r.fail("id", "Missing data for required field.")
        return None
    try:
        return str(uuid.UUID(raw))
    except (TypeError, ValueError, AttributeError):
        r.fail("id", "Not a valid UUID.")
        return None


def _items(r: _Reader, body: dict, key: str, most: int, least: int) -> list:
    items = body.get(key)
    if not isinstance(items, list) or not least <= len(items) <= most:
        r.fail(key, f"Expected a list of {least}-{most} items.")
        return []
    return items


def _line(r: _Reader, raw, i: int) -> LineIn | None:
    path = f"lines.{i}"
    data = r.obj(raw, path, _LINE_KEYS)
    if data is None:
        return None
    sku = r.text(data, "sku", f"{path}.sku", max_len=40, required=True)
    qty = r.qty(data, "qty", f"{path}.qty")
    price = r.money(data, "unit_price", f"{path}.unit_price")
    empties = data.get("empties_returned")
    if empties is not None and (isinstance(empties, bool) or not isinstance(empties, int) or empties < 0):
        r.fail(f"{path}.empties_returned", "Expected a whole number of cylinders, 0 or more.")
    return LineIn(sku, qty, price, empties) if sku is not None and qty is not None else None


def _payment(r: _Reader, raw, i: int) -> PaymentIn | None:
    path = f"payments.{i}"
    data = r.obj(raw, path, _PAYMENT_KEYS)
    if data is None:
        return None
    method = data.get("method")
    if method not in PAYMENT_METHODS:
        r.fail(f"{path}.method", "Must be one of: " + ", ".join(PAYMENT_METHODS) + ".")
    amount = r.money(data, "amount", f"{path}.amount", required=True, minimum=1)
    reference = r.text(data, "reference", f"{path}.reference", max_len=64) or ""
    return PaymentIn(method, amount, reference) if method in PAYMENT_METHODS and amount is not None else None


def load_sale_body(body) -> tuple[SaleIn, str | None]:
    """(the sale, a manager's approval token or None); BodyInvalid lists every bad field."""
    r = _Reader()
    data = r.obj(body, "", _SALE_KEYS)
    if data is None:
        raise BodyInvalid(r.errors)
    sale_id = _sale_id(r, data)
    lines = [_line(r, raw, i) for i, raw in enumerate(_items(r, data, "lines", MAX_LINES, 1))]
    payments = [_payment(r, raw, i) for i, raw in enumerate(_items(r, data, "payments", MAX_PAYMENTS, 0))]
    extra = {key: r.text(data, key, key, max_len=n) for key, n in
             (("member_no", 30), ("buyer_nik", 32), ("subsidy_reference", 64), ("manager_token", 512))}
    category = data.get("buyer_category")
    if category is not None and category not in BUYER_CATEGORIES:
        r.fail("buyer_category", "Must be one of: " + ", ".join(BUYER_CATEGORIES) + ".")
    if r.errors:
        raise BodyInvalid(r.errors)
    sale = SaleIn(sale_id, tuple(lines), tuple(payments), extra["member_no"] or None, extra["buyer_nik"] or None,
                  category, extra["subsidy_reference"] or None)
    return sale, extra["manager_token"]


def _qty(value) -> str | None:
    return None if value is None else qty_str(value)


def sale_json(doc: SaleDoc, printed: PrintResult | None = None) -> dict:
    """The sale as the API answers it (the same fields `SaleSchema` documents); the NIK masked."""
    return {
        "id": doc.id, "number": doc.number, "at": doc.at.isoformat(), "cashier": doc.cashier, "shift_id": doc.shift_id,
        "lines": [{"line_no": ln.line_no, "sku": ln.sku, "name": ln.name, "unit": ln.unit, "qty": qty_str(ln.qty),
                   "unit_price": ln.unit_price, "catalog_price": ln.catalog_price, "amount": ln.amount,
                   "empties_returned": _qty(ln.empties_returned), "refunded_qty": qty_str(ln.refunded_qty)}
                  for ln in doc.lines],
        "payments": [{"method": p.method, "amount": p.amount, "reference": p.reference} for p in doc.payments],
        "total": doc.total, "paid": doc.paid, "change": doc.change, "member_no": doc.member_no,
        "member_name": doc.member_name, "buyer_nik": mask_nik(doc.nik_last4) if doc.nik_last4 else None,
        "buyer_category": doc.buyer_category, "subsidy_reference": doc.subsidy_reference,
        "refunded_total": doc.refunded_total, "refunds": list(doc.refunds),
        "printed": printed.printed if printed else False, "print_error": printed.error if printed else None,
    }


# --- marshmallow: documentation of the sale, and every other endpoint ---------------------------

class SaleLineInSchema(ma.Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = Qty(required=True, metadata={"description": "Decimal string or integer; whole units for tabung, sak, pcs"})
    unit_price = Money(allow_none=True, metadata={"description": "Only below the catalog price, with a manager's approval"})
    empties_returned = fields.Integer(allow_none=True, metadata={"description": "LPG refills: empties taken back "
                                                                               "(default: one per cylinder)"})


class PaymentSchema(ma.Schema):
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    amount = Money(required=True)
    reference = fields.String(validate=validate.Length(max=64))


class SaleInSchema(ma.Schema):
    id = fields.UUID(required=True, metadata={"description": "Chosen by the till; a retry sends the same id"})
    lines = fields.List(fields.Nested(SaleLineInSchema), required=True, validate=validate.Length(min=1, max=MAX_LINES))
    payments = fields.List(fields.Nested(PaymentSchema), required=True, validate=validate.Length(max=MAX_PAYMENTS))
    member_no = fields.String(allow_none=True)
    buyer_nik = fields.String(allow_none=True, metadata={"description": "Only for goods that need it; never echoed whole"})
    buyer_category = fields.String(allow_none=True, validate=validate.OneOf(BUYER_CATEGORIES))
    subsidy_reference = fields.String(allow_none=True, metadata={"description": "i-Pubers reference (subsidised fertilizer)"})
    manager_token = fields.String(allow_none=True, metadata={"description": "A manager's bearer token approving lower prices"})


class SaleLineSchema(ma.Schema):
    line_no = fields.Integer()
    sku = fields.String()
    name = fields.String()
    unit = fields.String()
    qty = Qty()
    unit_price = fields.Integer()
    catalog_price = fields.Integer()
    amount = fields.Integer()
    empties_returned = Qty(allow_none=True)
    refunded_qty = Qty()


class PrintedSchema(ma.Schema):
    printed = fields.Boolean()
    print_error = fields.String(allow_none=True)


class SaleSchema(PrintedSchema):
    id = fields.String()
    number = fields.Integer(metadata={"description": "Receipt number: gapless per shop"})
    at = fields.AwareDateTime()
    cashier = fields.String()
    shift_id = fields.Integer()
    lines = fields.List(fields.Nested(SaleLineSchema))
    payments = fields.List(fields.Nested(PaymentSchema))
    total = fields.Integer()
    paid = fields.Integer()
    change = fields.Integer()
    member_no = fields.String(allow_none=True)
    member_name = fields.String(allow_none=True)
    buyer_nik = fields.String(allow_none=True, metadata={"description": "Masked: ************1234"})
    buyer_category = fields.String(allow_none=True)
    subsidy_reference = fields.String(allow_none=True)
    refunded_total = fields.Integer()
    refunds = fields.List(fields.String())


class ReceiptQuerySchema(ma.Schema):
    format = fields.String(load_default="text", validate=validate.OneOf(("text", "escpos")))
    paper = fields.Integer(validate=validate.OneOf((58, 80)))


class RefundLineInSchema(ma.Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = Qty(required=True)


class RefundInSchema(ma.Schema):
    id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    method = fields.String(load_default="cash", validate=validate.OneOf(PAYMENT_METHODS))
    lines = fields.List(fields.Nested(RefundLineInSchema), required=True, validate=validate.Length(min=1, max=MAX_LINES))


class RefundLineSchema(ma.Schema):
    line_no = fields.Integer()
    sale_line_no = fields.Integer()
    sku = fields.String()
    name = fields.String()
    qty = Qty()
    unit_price = fields.Integer()
    amount = fields.Integer()


class RefundSchema(PrintedSchema):
    id = fields.String()
    number = fields.Integer()
    sale_id = fields.String()
    sale_number = fields.Integer()
    at = fields.AwareDateTime()
    user = fields.String()
    reason = fields.String()
    method = fields.String()
    total = fields.Integer()
    shift_id = fields.Integer(allow_none=True)
    lines = fields.List(fields.Nested(RefundLineSchema))


def refund_json(doc: RefundDoc, printed: PrintResult | None) -> dict:
    out = RefundSchema().dump(doc)
    out.update(printed=printed.printed if printed else False, print_error=printed.error if printed else None)
    return out


# --- shifts ---------------------------------------------------------------------------------

class ShiftOpenSchema(ma.Schema):
    opening_cash = Money(required=True, metadata={"description": "The float in the drawer, Rupiah"})


class ShiftCloseSchema(ma.Schema):
    counted_cash = Money(required=True, metadata={"description": "Cash counted in the drawer at closing"})


class ShiftSchema(PrintedSchema):
    id = fields.Integer()
    cashier = fields.String()
    opened_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)
    opening_cash = fields.Integer()
    sales_count = fields.Integer()
    sales_total = fields.Integer()
    refunds_count = fields.Integer()
    refunds_total = fields.Integer()
    expected_cash = fields.Integer()
    counted_cash = fields.Integer(allow_none=True)
    difference = fields.Integer(allow_none=True)
    totals_by_method = fields.Dict(keys=fields.String(), values=fields.Integer())
    refunds_by_method = fields.Dict(keys=fields.String(), values=fields.Integer())
