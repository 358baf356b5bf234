"""GET /stock/slow-movers (API.md, Stock): what is not selling, with the reason in words."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_babel import gettext
from marshmallow import fields

from gerai.api import API_PREFIX, ApiBlueprint, Qty
from gerai.auth import MANAGER
from gerai.extensions import db_session
from gerai.guard import roles
from inventory import signals

blp = ApiBlueprint("stock_signals", __name__, url_prefix=f"{API_PREFIX}/stock", description="Stock signals")


class SlowMoverQuerySchema(ma.Schema):
    as_of = fields.Date(metadata={"description": "The shop's local day the report is for (default today)"})


class SlowMoverSchema(ma.Schema):
    sku = fields.String()
    name = fields.String()
    unit = fields.String()
    status = fields.String(metadata={"description": "slow, dead or overstock"})
    on_hand = Qty()
    last_sold_at = fields.AwareDateTime(allow_none=True)
    days_since_sale = fields.Integer(allow_none=True)
    expected_daily_sales = Qty()
    stall_probability = fields.Method("_probability")
    days_of_cover = fields.Method("_cover")
    money_tied_up = fields.Integer()
    reason = fields.Method("_reason")

    def _probability(self, s):
        return round(s.stall_probability, 6)

    def _cover(self, s):
        return None if s.days_of_cover is None else f"{s.days_of_cover:.1f}"

    def _reason(self, s):
        return s.reason.text(gettext) if s.reason else ""


@blp.route("/slow-movers")
class SlowMovers(MethodView):
    @roles(*MANAGER)
    @blp.arguments(SlowMoverQuerySchema, location="query")
    @blp.response(200, SlowMoverSchema(many=True))
    def get(self, args):
        """Products not selling (slow, dead, overstock), the most money tied up first"""
        return signals.not_selling(db_session(), as_of=args.get("as_of"))
