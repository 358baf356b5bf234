"""Sync endpoints of the hub (API.md "Sync", notes SYNC.md): shops push events and pull the feed.

Only on a hub (registered by role in gerai.app). Callers are outlets, not users: the views are
public to the user guard and check the outlet's token themselves (401 unknown, 403 another outlet).
"""
from __future__ import annotations

import json
import zlib
from decimal import Decimal

from flask import request
from flask.views import MethodView
from flask_babel import gettext

from gerai.api import API_PREFIX, ApiBlueprint, error_body
from gerai.db import utcnow
from gerai.errors import DomainError
from gerai.extensions import database, settings
from suppliers.hub import feed, ingest
from suppliers.hub.outlets import outlet_for_token

MAX_BODY = 16 * 1024 * 1024  # decompressed
blp = ApiBlueprint("hub_sync", __name__, url_prefix=f"{API_PREFIX}/sync", description="Shop <-> hub sync (hub only)")
BLUEPRINTS = (blp,)


class _Refused(Exception):
    def __init__(self, status: int, message: str, reason: str | None = None, errors: dict | None = None, **extra):
        self.answer = error_body(status, message, reason, errors)
        self.answer.update(extra)
        self.status = status


def _outlet(session):
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    outlet = outlet_for_token(session, token)
    if outlet is None:
        raise _Refused(401, gettext("Send this outlet's sync token (Authorization: Bearer gso_...)."))
    return outlet


def _body() -> object:
    raw = request.get_data(cache=False)
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        try:
            inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header
            raw = inflater.decompress(raw, MAX_BODY + 1)
            if len(raw) > MAX_BODY or inflater.unconsumed_tail:
                raise _Refused(413, gettext("The request is too large."))
        except zlib.error:
            raise _Refused(400, gettext("The body is not valid gzip.")) from None
    elif encoding not in ("", "identity"):
        raise _Refused(415, gettext("Send the body as JSON, plain or gzip-compressed (Content-Encoding: gzip)."))
    if len(raw) > MAX_BODY:
        raise _Refused(413, gettext("The request is too large."))
    if b"\x00" in raw or b"\\u0000" in raw.lower():
        raise _Refused(400, gettext("Text may not contain NUL characters."))
    try:
        return json.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _Refused(400, gettext("The body is not valid JSON.")) from None


def _domain(err: DomainError) -> _Refused:
    message = gettext(err.template, **err.params) if err.params else gettext(err.template)
    errors = {"json": {err.field: [message]}} if err.field else None
    extra = {"accepted_through": err.accepted_through} if isinstance(err, ingest.SequenceConflict) else {}
    status = "Conflict" if isinstance(err, ingest.SequenceConflict) else err.reason
    answer = _Refused(err.status, message, status, errors, **extra)
    if isinstance(err, ingest.SequenceConflict):
        answer.answer["reason"] = err.reason
    return answer


@blp.route("/push")
class Push(MethodView):
    gerai_public = True  # an outlet's token, checked below, not a user's

    @blp.doc(security=[{"bearerAuth": []}], requestBody={"content": {"application/json": {"schema": {
        "type": "object", "properties": {"outlet": {"type": "string"}, "events": {"type": "array", "items": {
            "type": "object"}}}}}}})
    @blp.response(200, description="`{accepted_through}`: the shop resends from accepted_through + 1")
    def post(self):
        """An outlet's events, in order; each applied exactly once (idempotent per event id)"""
        session = database().session()
        try:
            with database().read_session() as reading:  # the token check only reads (no write lock on SQLite)
                outlet = _outlet(reading)
                outlet_id, code = outlet.id, outlet.code
            try:
                given, events = ingest.check_batch(_body())
            except DomainError as err:
                raise _domain(err) from None
            if given != code:
                raise _Refused(403, gettext("This token belongs to outlet %(code)s, not %(given)s.", code=code,
                                            given=given))
            try:
                accepted = ingest.push(session, outlet_id, events, settings().tz)
            except DomainError as err:
                raise _domain(err) from None
            return {"accepted_through": accepted}
        except _Refused as refusal:
            return refusal.answer, refusal.status
        finally:
            session.close()


@blp.route("/pull")
class Pull(MethodView):
    gerai_public = True

    @blp.doc(security=[{"bearerAuth": []}], parameters=[
        {"in": "query", "name": "cursor", "schema": {"type": "integer", "minimum": 0}},
        {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": feed.MAX_LIMIT}}])
    @blp.response(200, description="`{cursor, events:[{id, type, at, data}]}`: feed rows after the cursor")
    def get(self):
        """Dispatches for this outlet, catalog and HET changes for every outlet or its zone, after the cursor"""
        session = database().session()
        try:
            outlet = _outlet(session)
            args = {}
            for name, default, hi in (("cursor", 0, 2**62), ("limit", feed.DEFAULT_LIMIT, feed.MAX_LIMIT)):
                text = request.args.get(name, str(default)).strip()
                if not text.isdigit() or not (0 if name == "cursor" else 1) <= int(text) <= hi:
                    message = gettext("%(name)s is not valid: %(expected)s.", name=name,
                                      expected=f"a whole number from {0 if name == 'cursor' else 1} to {hi}")
                    raise _Refused(422, message, "invalid", {"query": {name: [message]}})
                args[name] = int(text)
            events, cursor = feed.pull(session, outlet, args["cursor"], args["limit"], utcnow())
            return {"cursor": cursor, "events": events}
        except _Refused as refusal:
            return refusal.answer, refusal.status
        finally:
            session.close()
