"""Restock endpoints (API.md, Restock). Parse, call one service, dump."""
from __future__ import annotations

from flask import abort
from flask.views import MethodView

from gerai.api import API_PREFIX, ApiBlueprint
from gerai.auth import MANAGER
from gerai.extensions import db_session
from gerai.guard import current_user, roles
from suppliers import requests, restock
from suppliers.schemas import (CancelInSchema, RequestInSchema, RequestQuerySchema, RequestSchema,
                               RequestSummarySchema, SuggestionSchema)

READERS = (*MANAGER, "coordinator")

suggestions_blp = ApiBlueprint("restock", __name__, url_prefix=f"{API_PREFIX}/restock", description="Restock suggestions")
requests_blp = ApiBlueprint("restock_requests", __name__, url_prefix=f"{API_PREFIX}/restock-requests",
                            description="Restock requests")
BLUEPRINTS = (suggestions_blp, requests_blp)


@suggestions_blp.record_once
def _install_listeners(state):
    requests.install(state.app.extensions["gerai_db"])


def _user_id() -> int | None:
    user = current_user()
    return user.id if user else None


def _supplier_scope() -> str | None:
    """A coordinator sees only their own supplier's requests."""
    user = current_user()
    if user is not None and user.role == "coordinator":
        if not user.supplier_code:
            abort(403)
        return user.supplier_code
    return None


@suggestions_blp.route("/suggestions")
class Suggestions(MethodView):
    @roles(*MANAGER)
    @suggestions_blp.response(200, SuggestionSchema(many=True))
    def get(self):
        """What to order now, per supplier: never a product that is not selling"""
        return restock.suggestions(db_session())


@requests_blp.route("")
class Requests(MethodView):
    @roles(*MANAGER)
    @requests_blp.arguments(RequestInSchema)
    @requests_blp.response(201, RequestSchema)
    @requests_blp.alt_response(200, description="The same id and body again: the stored request, nothing changed")
    @requests_blp.alt_response(409, description="The same id with another body")
    def post(self, data):
        """Ask a supplier for goods (status submitted); a retry with the same id is recognised"""
        req, created = requests.create_request(db_session(), str(data["id"]), data["supplier"], data["lines"],
                                               note=data["note"], user_id=_user_id())
        return req, (201 if created else 200)

    @roles(*READERS)
    @requests_blp.arguments(RequestQuerySchema, location="query")
    @requests_blp.response(200, RequestSummarySchema(many=True))
    def get(self, args):
        """Restock requests, newest first"""
        scope = _supplier_scope()
        if scope is not None and args.get("supplier") not in (None, scope):
            return []
        return requests.list_requests(db_session(), status=args.get("status"), supplier=scope or args.get("supplier"))


@requests_blp.route("/<uuid:request_id>")
class RequestItem(MethodView):
    @roles(*READERS)
    @requests_blp.response(200, RequestSchema)
    def get(self, request_id):
        """One request with its lines (asked, dispatched, received) and history"""
        return requests.get_request(db_session(), str(request_id), _supplier_scope())


@requests_blp.route("/<uuid:request_id>/cancel")
class CancelRequest(MethodView):
    @roles(*MANAGER)
    @requests_blp.arguments(CancelInSchema)
    @requests_blp.response(200, RequestSchema)
    def post(self, data, request_id):
        """Cancel a request: nothing more of it is expected"""
        return requests.cancel_request(db_session(), str(request_id), data["reason"], user_id=_user_id())
