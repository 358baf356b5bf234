"""Restock requests API on a hub (API.md Restock): the requests of many shops, read in scope,
dispatched by the supplier's coordinator. Registered instead of the shop's by role (gerai.app)."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import fields, validate

from gerai.api import API_PREFIX, ApiBlueprint, Qty, Timestamp
from gerai.extensions import db_session
from gerai.guard import current_user, roles
from suppliers.hub import requests
from suppliers.hub.models import HUB_REQUEST_STATUSES
from suppliers.schemas import RequestLineInSchema

READERS = ("manager", "admin", "coordinator", "monitor")
blp = ApiBlueprint("hub_restock_requests", __name__, url_prefix=f"{API_PREFIX}/restock-requests",
                   description="Restock requests of the shops (hub)")
BLUEPRINTS = (blp,)


@blp.record_once
def _install_catalog_feed(state):
    from suppliers.hub import catalog_feed

    catalog_feed.install(state.app.extensions["gerai_db"])


class HubRequestQuerySchema(ma.Schema):
    status = fields.String(validate=validate.OneOf(HUB_REQUEST_STATUSES))
    supplier = fields.String(validate=validate.Length(max=30))


class HubRequestLineSchema(ma.Schema):
    sku = fields.String()
    name = fields.String()
    unit = fields.String()
    qty = Qty()
    dispatched_qty = Qty()
    received_qty = Qty()


class HubDispatchSchema(ma.Schema):
    id = fields.String()
    at = fields.AwareDateTime()
    eta = fields.AwareDateTime(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    lines = fields.List(fields.Dict())


class HubRequestSchema(ma.Schema):
    id = fields.String()
    outlet = fields.String()
    outlet_name = fields.String()
    kabupaten = fields.String()
    provinsi = fields.String()
    supplier = fields.String()
    status = fields.String()
    auto = fields.Boolean()
    note = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    lines = fields.List(fields.Nested(HubRequestLineSchema))


class HubRequestDetailSchema(HubRequestSchema):
    dispatches = fields.List(fields.Nested(HubDispatchSchema))


class DispatchInSchema(ma.Schema):
    lines = fields.List(fields.Nested(RequestLineInSchema), required=True, validate=validate.Length(min=1, max=500))
    eta = Timestamp(load_default=None, allow_none=True)


@blp.route("")
class Requests(MethodView):
    @roles(*READERS)
    @blp.arguments(HubRequestQuerySchema, location="query")
    @blp.response(200, HubRequestSchema(many=True))
    @blp.paginate(page_size=50, max_page_size=requests.MAX_PAGE_SIZE)
    def get(self, args, pagination_parameters):
        """Restock requests of the shops, newest first: a coordinator's supplier only, a monitor's area only"""
        items, total = requests.list_requests(db_session(), requests.scope_of(current_user()), status=args.get("status"),
                                              supplier=args.get("supplier"), page=pagination_parameters.page,
                                              page_size=pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return items


@blp.route("/<uuid:request_id>")
class RequestItem(MethodView):
    @roles(*READERS)
    @blp.response(200, HubRequestDetailSchema)
    def get(self, request_id):
        """One request with its lines (asked, dispatched, received) and its dispatches"""
        return requests.get_request(db_session(), str(request_id), requests.scope_of(current_user()))


@blp.route("/<uuid:request_id>/dispatch")
class Dispatch(MethodView):
    @roles("coordinator")
    @blp.arguments(DispatchInSchema)
    @blp.response(200, HubRequestDetailSchema)
    @blp.alt_response(409, description="More than is still to dispatch, or the request is closed")
    def post(self, data, request_id):
        """Dispatch goods against a request, whole or in part; the shop sees them as an expected delivery"""
        session = db_session()
        requests.dispatch(session, str(request_id), data["lines"], data["eta"], current_user())
        return requests.get_request(session, str(request_id), requests.scope_of(current_user()))
