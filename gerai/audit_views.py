"""The audit log for managers: a page (/audit) and a read-only API (GET /api/v1/audit). No route writes."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import marshmallow as ma
from flask import Blueprint, render_template, request, url_for
from flask.views import MethodView
from flask_babel import gettext

from gerai import audit
from gerai.api import API_PREFIX, ApiBlueprint, Timestamp
from gerai.auth import MANAGER
from gerai.extensions import db_session, settings
from gerai.guard import roles

bp = Blueprint("audit_pages", __name__)
blp = ApiBlueprint("audit", __name__, url_prefix=f"{API_PREFIX}/audit", description="Audit log (read only)")
PAGE_SIZE = 50


@bp.record_once
def _nav(state):
    from gerai.web import add_nav

    add_nav(state.app, "/audit", "Audit log", MANAGER)


def _day(name: str) -> tuple[date | None, str | None]:
    text = request.args.get(name, "").strip()
    if not text:
        return None, None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, gettext("Not a date: %(text)s (use YYYY-MM-DD).", text=text[:40])


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=settings().tz)


@bp.get("/audit")
@roles(*MANAGER)
def audit_page():
    action = request.args.get("action") if request.args.get("action") in audit.ACTIONS else None
    (since, bad_since), (until, bad_until) = _day("since"), _day("until")
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    shown = audit.entries(db_session(), action=action, since=since and _local_midnight(since),
                          until=until and _local_midnight(until + timedelta(days=1)), page=page, per_page=PAGE_SIZE)
    last = max(1, -(-shown.total // PAGE_SIZE))

    def link(n: int) -> str:
        return url_for(".audit_page", **{**request.args.to_dict(), "page": n})

    pager = {"page": page, "last": last, "prev": link(page - 1) if page > 1 else None,
             "next": link(page + 1) if page < last else None}
    return render_template("audit.html", entries=shown.entries, total=shown.total, pager=pager, action=action,
                           actions={key: gettext(label) for key, label in audit.ACTIONS.items()},
                           since=since, until=until, problems=[p for p in (bad_since, bad_until) if p],
                           as_json=lambda d: json.dumps(d, ensure_ascii=False, separators=(", ", ": ")))


class AuditQuerySchema(ma.Schema):
    action = ma.fields.String(validate=ma.validate.OneOf(tuple(audit.ACTIONS)))
    since = Timestamp()
    until = Timestamp()


class AuditEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    user_id = ma.fields.Integer(allow_none=True)
    username = ma.fields.String()
    action = ma.fields.String()
    subject = ma.fields.String()
    details = ma.fields.Dict()


@blp.route("")
class AuditLog(MethodView):
    @roles(*MANAGER)
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate(page_size=50, max_page_size=500)
    def get(self, args, pagination_parameters):
        """The audit log, newest first: who changed prices, refunded, adjusted stock or users, and when"""
        shown = audit.entries(db_session(), action=args.get("action"), since=args.get("since"), until=args.get("until"),
                              page=pagination_parameters.page, per_page=pagination_parameters.page_size)
        pagination_parameters.item_count = shown.total
        return shown.entries
