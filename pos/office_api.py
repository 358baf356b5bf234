"""The till's back office: members and their purchases (SHU), the LPG logbook and empties, QRIS."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Response
from flask.views import MethodView

from gerai.api import API_PREFIX, ApiBlueprint
from gerai.auth import ANY_ROLE, CASHIER, MANAGER
from gerai.errors import Invalid
from gerai.extensions import db_session, settings
from gerai.guard import current_user, roles
from inventory import empties
from inventory.models import Product, StockLevel
from pos import lpg_log, members, qris_settings
from pos.api import now
from pos.office_schemas import (EmptiesCountSchema, EmptiesReturnSchema, EmptiesRowSchema, LogbookQuerySchema,
                                LogRowSchema, MemberInSchema, MemberPatchSchema, MemberPurchasesSchema, MemberQuerySchema,
                                MemberSchema, QrisAmountSchema, QrisDynamicSchema, QrisSettingsInSchema,
                                QrisSettingsSchema, YearQuerySchema, YearRowSchema)
from pos.regulated import local_day

members_blp = ApiBlueprint("members", __name__, url_prefix=f"{API_PREFIX}/members", description="Cooperative members")
lpg_blp = ApiBlueprint("lpg", __name__, url_prefix=f"{API_PREFIX}/lpg", description="LPG logbook and empty cylinders")
qris_blp = ApiBlueprint("qris", __name__, url_prefix=API_PREFIX, description="QRIS")


CSV = {"schema": {"type": "string"}, "content_type": "text/csv"}


def today():
    return local_day(now(), settings().tz)


def csv_response(text: str, filename: str) -> Response:
    return Response(text, 200, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@members_blp.route("")
class Members(MethodView):
    @roles(*CASHIER)
    @members_blp.arguments(MemberQuerySchema, location="query")
    @members_blp.response(200, MemberSchema(many=True))
    @members_blp.paginate(page_size=50, max_page_size=500)
    def get(self, args, pagination_parameters):
        """Find members by number or name"""
        rows, total = members.list_members(db_session(), args["q"], page=pagination_parameters.page,
                                           page_size=pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return rows

    @roles(*MANAGER)
    @members_blp.arguments(MemberInSchema)
    @members_blp.response(201, MemberSchema)
    @members_blp.alt_response(409, description="The member number is taken")
    def post(self, data):
        """Register a member"""
        return members.create_member(db_session(), data, today())


@members_blp.route("/purchases")
class YearReport(MethodView):
    @roles(*MANAGER)
    @members_blp.arguments(YearQuerySchema, location="query")
    @members_blp.response(200, YearRowSchema(many=True))
    @members_blp.alt_response(200, **CSV, description="JSON; with `?format=csv` a spreadsheet (text/csv)")
    def get(self, args):
        """Every member's purchases in a year (the SHU base); `?format=csv` for a spreadsheet"""
        year = args["year"] or today().year
        rows = members.year_report(db_session(), year, settings().tz)
        if args["format"] == "csv":
            return csv_response(members.year_report_csv(rows, year), f"member-purchases-{year}.csv")
        return rows


@members_blp.route("/<member_no>")
class MemberItem(MethodView):
    @roles(*CASHIER)
    @members_blp.response(200, MemberSchema)
    def get(self, member_no):
        """One member"""
        return members.get_member(db_session(), member_no)

    @roles(*MANAGER)
    @members_blp.arguments(MemberPatchSchema)
    @members_blp.response(200, MemberSchema)
    def patch(self, changes, member_no):
        """Change a member (any field but the number)"""
        return members.update_member(db_session(), member_no, changes)


@members_blp.route("/<member_no>/purchases")
class MemberPurchases(MethodView):
    @roles(*MANAGER)
    @members_blp.arguments(YearQuerySchema, location="query")
    @members_blp.response(200, MemberPurchasesSchema)
    @members_blp.alt_response(200, **CSV, description="JSON; with `?format=csv` a spreadsheet (text/csv)")
    def get(self, args, member_no):
        """A member's purchases in a year (shop's local calendar), with totals; `?format=csv`"""
        year = args["year"] or today().year
        member, bought, totals = members.purchases(db_session(), member_no, year, settings().tz)
        if args["format"] == "csv":
            return csv_response(members.purchases_csv(member, bought, settings().tz), f"purchases-{member_no}-{year}.csv")
        return {"year": year, "member": member, "totals": totals, "sales": bought}


@lpg_blp.route("/logbook")
class Logbook(MethodView):
    @roles(*MANAGER)
    @lpg_blp.arguments(LogbookQuerySchema, location="query")
    @lpg_blp.response(200, LogRowSchema(many=True), description="CSV by default; `format=json` for JSON")
    @lpg_blp.alt_response(200, **CSV, description="CSV by default; `format=json` for JSON")
    def get(self, args):
        """The LPG 3 kg logbook (date, masked NIK, category, cylinders, price) between two local days"""
        if args["to"] < args["from_"]:
            raise Invalid("The end day is before the start day.", field="to")
        rows = lpg_log.logbook(db_session(), args["from_"], args["to"], settings().tz)
        if args["format"] == "csv":
            return csv_response(lpg_log.logbook_csv(rows, settings().tz),
                                f"logbook-lpg-{args['from_']:%Y%m%d}-{args['to']:%Y%m%d}.csv")
        return rows


def _empties_rows() -> list[dict]:
    session = db_session()
    products = session.execute(sa.select(Product.id, Product.sku, Product.name, Product.category, Product.unit,
                                         StockLevel.on_hand).join(StockLevel, StockLevel.product_id == Product.id)
                               .where(Product.active.is_(True)).order_by(Product.sku))
    have = empties.empties_on_hand(session)
    return [{"sku": p.sku, "name": p.name, "full": p.on_hand, "empty": have.get(p.id, 0)}
            for p in products if empties.takes_empties(p.category, p.unit)]


@lpg_blp.route("/empties")
class Empties(MethodView):
    @roles(*ANY_ROLE)
    @lpg_blp.response(200, EmptiesRowSchema(many=True))
    def get(self):
        """Full and empty cylinders per LPG product"""
        return _empties_rows()


@lpg_blp.route("/empties/returns")
class EmptiesReturns(MethodView):
    @roles(*MANAGER)
    @lpg_blp.arguments(EmptiesReturnSchema)
    @lpg_blp.response(201, EmptiesRowSchema(many=True))
    @lpg_blp.alt_response(409, description="insufficient_empties")
    def post(self, data):
        """Empties collected by the agent (without a delivery; a goods receipt can carry them too)"""
        empties.return_empties(db_session(), data["lines"], reference=data["reference"], user_id=current_user().id,
                               at=now())
        return _empties_rows()


@lpg_blp.route("/empties/counts")
class EmptiesCounts(MethodView):
    @roles(*MANAGER)
    @lpg_blp.arguments(EmptiesCountSchema)
    @lpg_blp.response(201, EmptiesRowSchema(many=True))
    def post(self, data):
        """Count the empties on hand: a `count` movement sets each to what was counted"""
        empties.count_empties(db_session(), data["lines"], note=data["note"], user_id=current_user().id, at=now())
        return _empties_rows()


@qris_blp.route("/settings/qris")
class QrisSettings(MethodView):
    @roles(*MANAGER)
    @qris_blp.response(200, QrisSettingsSchema)
    def get(self):
        """The shop's static QRIS"""
        return qris_settings.get_qris(db_session())

    @roles(*MANAGER)
    @qris_blp.arguments(QrisSettingsInSchema)
    @qris_blp.response(200, QrisSettingsSchema)
    @qris_blp.alt_response(422, description="invalid_qris: the text is not a valid QRIS (checksum, tags)")
    def put(self, data):
        """Set (or with null remove) the shop's static QRIS from its bank; it is checked first"""
        return qris_settings.set_qris(db_session(), data["payload"])


@qris_blp.route("/qris/dynamic")
class QrisDynamic(MethodView):
    @roles(*CASHIER)
    @qris_blp.arguments(QrisAmountSchema, location="query")
    @qris_blp.response(200, QrisDynamicSchema)
    @qris_blp.alt_response(409, description="qris_not_configured")
    def get(self, args):
        """A single-use QRIS for this amount, to show the buyer (the cashier confirms the payment)"""
        payload, merchant = qris_settings.dynamic_qris(db_session(), args["amount"])
        return {"amount": args["amount"], "payload": payload, "merchant_name": merchant}


BLUEPRINTS = (members_blp, lpg_blp, qris_blp)
