"""The till's endpoints (API.md, Sales): shifts, sales, receipts, refunds. Parse, call one service, answer.

`POST /sales` is the hot path: it reads its body with a hand-written loader and answers with
prebuilt JSON (see pos.schemas), and prints only after the sale is committed. A printer that
fails never fails the sale: the answer says `printed: false` and why; `POST /sales/{id}/print`
prints it again.
"""
from __future__ import annotations

import json
from decimal import Decimal

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import abort

from gerai import auth
from gerai.api import API_PREFIX, ApiBlueprint
from gerai.auth import CASHIER, MANAGER
from gerai.db import utcnow
from gerai.extensions import db_session, settings
from gerai.guard import current_user, roles
from pos import printing, receipts, refunds, sales, shifts
from pos.documents import SaleDoc
from pos.regulated import nik_key
from pos.schemas import (BodyInvalid, PrintedSchema, ReceiptQuerySchema, RefundInSchema, RefundSchema, SaleInSchema,
                         SaleSchema, ShiftCloseSchema, ShiftOpenSchema, ShiftSchema, load_sale_body, refund_json, sale_json)

shifts_blp = ApiBlueprint("shifts", __name__, url_prefix=f"{API_PREFIX}/shifts", description="Till shifts")
sales_blp = ApiBlueprint("sales", __name__, url_prefix=f"{API_PREFIX}/sales", description="Sales, receipts, refunds")
SHIFT_ID = "int(max=9223372036854775807)"  # a larger id is a 404, not an overflow in the database driver (500)
NOT_REPRINTED = "This sale was already recorded, so it was not printed again; use POST /sales/{id}/print for a copy."


PRINTED = "As text (`format=text`, text/plain) or as ESC/POS bytes for the printer (application/octet-stream)"
AS_TEXT = {"schema": {"type": "string"}, "content_type": "text/plain", "description": PRINTED}
AS_ESCPOS = {"schema": {"type": "string", "format": "binary"}, "content_type": "application/octet-stream",
             "description": PRINTED}


def now():
    """The clock (tests set `GERAI_CLOCK` to freeze it)."""
    clock = current_app.config.get("GERAI_CLOCK")
    return clock() if clock else utcnow()


def keys() -> bytes:
    """The NIK hash key, also the key of request fingerprints, derived once from the secret key."""
    key = current_app.extensions.get("pos_nik_key")
    if key is None:
        key = current_app.extensions["pos_nik_key"] = nik_key(current_app.config["SECRET_KEY"])
    return key


def shop() -> receipts.Shop:
    s = settings()
    return receipts.Shop(s.shop_name, s.shop_address, s.timezone)


def paper_mm(given: int | None = None) -> int:
    return given or settings().paper_mm


def print_rows(rows: list[receipts.Row], open_drawer: bool = False) -> printing.PrintResult:
    return printing.print_for_shop(settings(), rows, open_drawer)


def json_response(data: dict, status: int) -> Response:
    return Response(json.dumps(data, separators=(",", ":"), ensure_ascii=False), status, mimetype="application/json")


def _seller(approval_token: str | None) -> sales.Seller:
    user = current_user()
    approver = user.id if user.role in MANAGER else None
    if approver is None and approval_token:
        manager = auth.user_for_token(db_session(), current_app.config["SECRET_KEY"], approval_token)
        approver = manager.id if manager is not None and manager.role in MANAGER else None
    return sales.Seller(user.id, user.username, user.full_name or user.username, approver)


def print_sale(doc: SaleDoc, copy: bool = False) -> printing.PrintResult:
    if settings().printer in ("", "none"):
        return printing.NO_PRINTER
    rows = receipts.sale_rows(doc, shop(), receipts.columns_for(paper_mm()), copy=copy)
    return print_rows(rows, open_drawer=not copy and doc.cash_paid > 0)


@sales_blp.route("")
class Sales(MethodView):
    @roles(*CASHIER)
    @sales_blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": SaleInSchema}}})
    @sales_blp.response(201, SaleSchema)
    @sales_blp.alt_response(200, schema=SaleSchema, description="A retry of a recorded sale: the stored sale; nothing changed")
    @sales_blp.alt_response(409, description="insufficient_stock, quota_exceeded, no_open_shift, price_above_het, "
                                             "sale_id_reused")
    @sales_blp.alt_response(422, description="underpaid, nik_required, invalid_nik, buyer_category_required, "
                                             "subsidy_reference_required, or fields at fault")
    def post(self):
        """Record a sale; a retry with the same id and body answers the stored sale"""
        if not request.is_json:
            abort(415)
        try:
            sale, approval = load_sale_body(json.loads(request.get_data(), parse_float=Decimal))
        except ValueError:  # not JSON at all (JSONDecodeError and UnicodeDecodeError are ValueErrors)
            abort(400)
        except BodyInvalid as err:
            abort(422, errors={"json": err.errors})
        session = db_session()
        key = keys()
        outcome = sales.record_sale(session, sale, _seller(approval), fingerprint=sales.fingerprint(sale, key),
                                    nik_key=key, tz=settings().tz, at=now())
        if not outcome.created:
            return json_response(sale_json(outcome.sale, printing.PrintResult(False, NOT_REPRINTED)), 200)
        return json_response(sale_json(outcome.sale, print_sale(outcome.sale)), 201)


@sales_blp.route("/<uuid:sale_id>")
class SaleItem(MethodView):
    @roles(*CASHIER)
    @sales_blp.response(200, SaleSchema)
    def get(self, sale_id):
        """One sale, with what was refunded of it"""
        return json_response(sale_json(sales.get_sale(db_session(), str(sale_id))), 200)


@sales_blp.route("/<uuid:sale_id>/receipt")
class SaleReceipt(MethodView):
    @roles(*CASHIER)
    @sales_blp.arguments(ReceiptQuerySchema, location="query")
    @sales_blp.alt_response(200, **AS_TEXT)
    @sales_blp.alt_response(200, **AS_ESCPOS)
    def get(self, args, sale_id):
        """The receipt as text or as ESC/POS bytes (32 or 48 columns by the paper)"""
        doc = sales.get_sale(db_session(), str(sale_id))
        mm = paper_mm(args.get("paper"))
        rows = receipts.sale_rows(doc, shop(), receipts.columns_for(mm))
        if args["format"] == "text":
            return Response(receipts.as_text(rows, receipts.columns_for(mm)), 200, mimetype="text/plain")
        s = settings()
        data = printing.render(rows, paper_mm=mm, profile=None if args.get("paper") else s.extra.get("GERAI_PRINTER_PROFILE"),
                               open_drawer=doc.cash_paid > 0)
        return Response(data, 200, mimetype="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="receipt-{doc.number:06d}.bin"'})


@sales_blp.route("/<uuid:sale_id>/print")
class SalePrint(MethodView):
    @roles(*CASHIER)
    @sales_blp.response(200, PrintedSchema)
    def post(self, sale_id):
        """Print the receipt again (marked as a copy; the drawer stays shut)"""
        doc = sales.get_sale(db_session(), str(sale_id))
        db_session().rollback()  # nothing to write: let other tills write while the printer works
        result = print_sale(doc, copy=True)
        return {"printed": result.printed, "print_error": result.error}


@sales_blp.route("/<uuid:sale_id>/refunds")
class SaleRefunds(MethodView):
    @roles(*MANAGER)
    @sales_blp.arguments(RefundInSchema)
    @sales_blp.response(201, RefundSchema)
    @sales_blp.alt_response(200, schema=RefundSchema, description="A retry of a recorded refund")
    @sales_blp.alt_response(409, description="refund_exceeds_sale: more than was sold (less earlier refunds)")
    def post(self, data, sale_id):
        """Refund goods of a sale: stock comes back with `refund` movements"""
        refund = refunds.RefundIn(str(data["id"]), data["reason"], tuple((ln["sku"], ln["qty"]) for ln in data["lines"]),
                                  data["method"])
        fp = refunds.refund_fingerprint(str(sale_id), refund, keys())
        doc, created = refunds.refund_sale(db_session(), str(sale_id), refund, current_user().id, fingerprint=fp, at=now())
        if not created:
            return json_response(refund_json(doc, printing.PrintResult(False, NOT_REPRINTED)), 200)
        rows = receipts.refund_rows(doc, shop(), receipts.columns_for(paper_mm()))
        return json_response(refund_json(doc, print_rows(rows, open_drawer=doc.method == "cash")), 201)


def _shift_answer(doc: shifts.ShiftDoc, printed: printing.PrintResult | None = None, status: int = 200) -> Response:
    out = ShiftSchema().dump(doc)
    out.update(printed=printed.printed if printed else False, print_error=printed.error if printed else None)
    return json_response(out, status)


def _own_shift(shift_id: int) -> shifts.ShiftDoc:
    doc = shifts.load_shift(db_session(), shift_id)
    user = current_user()
    if doc.cashier != user.username and user.role not in MANAGER:
        abort(403)
    return doc


@shifts_blp.route("")
class Shifts(MethodView):
    @roles(*CASHIER)
    @shifts_blp.arguments(ShiftOpenSchema)
    @shifts_blp.response(201, ShiftSchema)
    @shifts_blp.alt_response(409, description="shift_already_open")
    def post(self, data):
        """Open your shift with the float in the drawer"""
        return _shift_answer(shifts.open_shift(db_session(), current_user().id, data["opening_cash"], at=now()), status=201)


@shifts_blp.route("/current")
class CurrentShift(MethodView):
    @roles(*CASHIER)
    @shifts_blp.response(200, ShiftSchema)
    @shifts_blp.alt_response(404, description="no_open_shift")
    def get(self):
        """Your open shift with its running totals"""
        return _shift_answer(shifts.current_shift(db_session(), current_user().id))


@shifts_blp.route(f"/<{SHIFT_ID}:shift_id>")
class ShiftItem(MethodView):
    @roles(*CASHIER)
    @shifts_blp.response(200, ShiftSchema)
    def get(self, shift_id):
        """One shift (yours, or any for a manager)"""
        return _shift_answer(_own_shift(shift_id))


@shifts_blp.route(f"/<{SHIFT_ID}:shift_id>/close")
class CloseShift(MethodView):
    @roles(*CASHIER)
    @shifts_blp.arguments(ShiftCloseSchema)
    @shifts_blp.response(200, ShiftSchema)
    @shifts_blp.alt_response(409, description="shift_closed")
    def post(self, data, shift_id):
        """Close the shift with the counted cash: the Z report (printed if a printer is set up)"""
        user = current_user()
        doc = shifts.close_shift(db_session(), shift_id, user.id, data["counted_cash"], may_close_any=user.role in MANAGER,
                                 at=now())
        return _shift_answer(doc, print_rows(receipts.z_report_rows(doc, shop(), receipts.columns_for(paper_mm()))))


@shifts_blp.route(f"/<{SHIFT_ID}:shift_id>/report")
class ShiftReport(MethodView):
    @roles(*CASHIER)
    @shifts_blp.arguments(ReceiptQuerySchema, location="query")
    @shifts_blp.alt_response(200, **AS_TEXT)
    @shifts_blp.alt_response(200, **AS_ESCPOS)
    def get(self, args, shift_id):
        """The shift's Z report as text or ESC/POS bytes"""
        doc = _own_shift(shift_id)
        mm = paper_mm(args.get("paper"))
        rows = receipts.z_report_rows(doc, shop(), receipts.columns_for(mm))
        if args["format"] == "text":
            return Response(receipts.as_text(rows, receipts.columns_for(mm)), 200, mimetype="text/plain")
        return Response(printing.render(rows, paper_mm=mm), 200, mimetype="application/octet-stream")


@shifts_blp.route(f"/<{SHIFT_ID}:shift_id>/print")
class ShiftPrint(MethodView):
    @roles(*CASHIER)
    @shifts_blp.response(200, PrintedSchema)
    def post(self, shift_id):
        """Print the shift's Z report (again)"""
        doc = _own_shift(shift_id)
        db_session().rollback()
        result = print_rows(receipts.z_report_rows(doc, shop(), receipts.columns_for(paper_mm())))
        return {"printed": result.printed, "print_error": result.error}


BLUEPRINTS = (shifts_blp, sales_blp)
