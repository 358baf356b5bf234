"""The JSON API's plumbing: flask-smorest set-up, exact-number fields, one error shape.

Every error leaves as `{"code", "status", "message", "errors"?}`. `status` is the machine
reason of a domain refusal (`insufficient_stock`) or the HTTP reason phrase otherwise.
"""
from __future__ import annotations

import json
from datetime import timezone
from decimal import Decimal
from http import HTTPStatus

import marshmallow as ma
from flask import current_app, render_template, request
from flask_babel import gettext
from flask_smorest import Api, Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import HTTPException

from gerai.api_docs import PAGINATION_HEADER, ErrorDocumentingSpec, register_components as register_error_components
from gerai.db import is_busy
from gerai.errors import DomainError
from gerai.models import ROLES
from gerai.numbers import MONEY_MAX, QuantityError, parse_qty, qty_str

API_PREFIX = "/api/v1"

HTTP_MESSAGES = {
    400: "The request is malformed.",
    401: "Sign in first: send a valid bearer token.",
    403: "Your role may not do this.",
    404: "Not found.",
    405: "This method is not allowed here.",
    409: "The request conflicts with the current state.",
    413: "The request is too large.",
    415: "Send the body as JSON (Content-Type: application/json).",
    422: "Some fields are not valid; see errors.",
    429: "Too many requests; wait a moment.",
    500: "Something went wrong on the server; nothing was changed.",
    503: "The shop's database is busy; try again.",
}
BUSY_REASON = "busy"
RETRY_AFTER_SECONDS = 1


class OneSchemaPerClass(FlaskParser):
    """webargs makes a new Schema from a schema class on every request (its fields deep-copied,
    ~20 us each, two or three per request); one instance per class loads the same."""

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schemas = self.__dict__.setdefault("_schemas", {})
            schema = schemas.get(argmap)
            if schema is None:
                schema = schemas[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)


class ExactJSONParser(OneSchemaPerClass):
    """Parse JSON numbers with a fraction as Decimal, never float (quantities stay exact)."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(f"Bytes decoding error : {exc.reason}", doc=str(exc.object), pos=exc.start) from exc
        try:
            return json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError:
            raise
        except (ValueError, RecursionError) as exc:  # a 5,000-digit integer, arrays nested 100,000 deep
            raise json.JSONDecodeError(f"Unreadable JSON: {type(exc).__name__}", doc=text or " ", pos=0) from exc


MAX_PAGE = 10**9  # far past any real list; OFFSET must stay within a 64-bit integer


def _page_in_range(params) -> None:
    if params.page > MAX_PAGE:
        raise ma.ValidationError({"page": [f"Must be at most {MAX_PAGE}."]})


class PaginationParser(OneSchemaPerClass):
    """flask-smorest's `page` has no upper bound: `?page=10**20` overflowed the database's OFFSET."""

    def parse(self, argmap, req=None, **kwargs):
        return super().parse(argmap, req, validate=_page_in_range, **kwargs)


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ExactJSONParser()
    PAGINATION_ARGUMENTS_PARSER = PaginationParser()

    def register_views_in_doc(self, api, app, spec, *, name, parameters):
        """Each operation's error answers documented from its view (gerai.api_docs)."""
        super().register_views_in_doc(api, app, ErrorDocumentingSpec(spec, app, ROLES), name=name, parameters=parameters)

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int) -> dict:
        """flask-smorest's X-Pagination (same keys, same order), built as a dict rather than dumped
        through a new PaginationMetadataSchema on every request (~50 us of a 2 ms barcode scan)."""
        if item_count == 0:
            return {"total": 0, "total_pages": 0}
        last = (item_count - 1) // page_size + 1
        meta = {"total": item_count, "total_pages": last, "first_page": 1, "last_page": last}
        if page <= last:
            meta["page"] = page
            if page > 1:
                meta["previous_page"] = page - 1
            if page < last:
                meta["next_page"] = page + 1
        return meta


class Qty(ma.fields.Field):
    """A quantity: decimal string or number, at most 3 places; written back as `"2.500"`."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_qty(value)
        except QuantityError as exc:
            raise ma.ValidationError(str(exc)) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else qty_str(value)


class Timestamp(ma.fields.AwareDateTime):
    """An ISO 8601 time with an offset, given back in UTC; `0001-01-01T00:00+14:00` has no UTC
    equivalent (the database layer raised OverflowError on it), so it is refused here."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(timezone.utc)
        except OverflowError:
            raise ma.ValidationError("Out of range: the time must fall within the years 1-9999 in UTC.") from None


class Patch:
    """Mixed in before a create schema, makes its PATCH body: every field optional, none defaulted
    (absent means unchanged). `class ThingPatchSchema(Patch, ThingInSchema)`."""

    def on_bind_field(self, field_name, field_obj):
        field_obj.required = False
        field_obj.load_default = ma.missing


def Money(**kwargs) -> ma.fields.Integer:  # noqa: N802 (a field factory reads like a field)
    """Whole Rupiah, never negative, never absurd."""
    return ma.fields.Integer(strict=True, validate=ma.validate.Range(min=0, max=MONEY_MAX), **kwargs)


def error_body(status: int, message: str, reason: str | None = None, errors: dict | None = None) -> dict:
    body = {"code": status, "status": reason or HTTPStatus(status).phrase, "message": message}
    if errors:
        body["errors"] = errors
    return body


def _field_paths(messages: dict, prefix: str = "") -> dict:
    """marshmallow nests (`{"lines": {0: {"qty": [...]}}}`); API.md promises field paths (`lines.0.qty`)."""
    flat: dict = {}
    for key, value in messages.items():
        if isinstance(value, dict):
            flat.update(_field_paths(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _translated_errors(err: DomainError, message: str) -> dict | None:
    return {"json": {err.field: [message]}} if err.field else None


class GeraiApi(Api):
    """flask-smorest's Api with our error shape for the API and HTML errors for pages."""

    DEFAULT_ERROR_RESPONSE_NAME = None  # no catch-all: every operation lists its error statuses (gerai.api_docs)

    def _register_pagination_header(self):
        """X-Pagination holds JSON text: documented as `content` (a `schema` reads as the header's own syntax)."""
        self.spec.components.header("PAGINATION", PAGINATION_HEADER, lazy=True)

    def handle_http_exception(self, error: HTTPException):
        if not request.path.startswith("/api/"):
            if error.code == 400 and error.description == "csrf":
                return _page_error(400, gettext("The form has expired; please try again."))
            return _page_error(error.code or 500)
        data = getattr(error, "data", None) or {}
        code = error.code or 500
        message = data.get("message") or (gettext(HTTP_MESSAGES[code]) if code in HTTP_MESSAGES else error.name)
        if code == 400 and error.description == "csrf":
            message = gettext("The form or request has expired (CSRF check failed); reload the page.")
        errors = data.get("errors") or data.get("messages")
        if isinstance(errors, dict):  # a message for the whole body (`Invalid JSON body.`) goes under `_schema`
            errors = {where: _field_paths(m) if isinstance(m, dict) else {"_schema": m} for where, m in errors.items()}
        headers = data.get("headers") or {}
        if code == 429 and error.response is None and getattr(error, "retry_after", None):
            headers["Retry-After"] = str(error.retry_after)
        if code == 405 and getattr(error, "valid_methods", None):  # RFC 9110: a 405 lists what is allowed
            headers["Allow"] = ", ".join(error.valid_methods)
        return error_body(code, message, errors=errors), code, headers


def handle_domain_error(err: DomainError):
    message = gettext(err.template, **err.params) if err.params else gettext(err.template)
    if not request.path.startswith("/api/"):
        return _page_error(err.status, message)
    return error_body(err.status, message, err.reason, _translated_errors(err, message)), err.status


def handle_unexpected_error(err: Exception):
    if is_busy(err):
        return handle_busy_database(err)
    current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
    if not request.path.startswith("/api/"):
        return _page_error(500)
    return error_body(500, gettext(HTTP_MESSAGES[500])), 500


def handle_busy_database(err: Exception):
    """Another writer kept the database past the busy timeout, or PostgreSQL gave up a transaction
    (serialization failure, deadlock): the service rolled back, nothing changed, a retry may work."""
    current_app.logger.warning("database busy on %s %s: %s", request.method, request.path, err)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if not request.path.startswith("/api/"):
        return *_page_error(503), headers
    return error_body(503, gettext(HTTP_MESSAGES[503]), BUSY_REASON), 503, headers


def _page_error(code: int, message: str | None = None):
    text = message or gettext(HTTP_MESSAGES.get(code, "Something went wrong."))
    return render_template("error.html", code=code, message=text), code


def make_api(app) -> GeraiApi:
    app.config.update(
        API_TITLE="Gerai POS", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api", OPENAPI_JSON_PATH="v1/openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs", OPENAPI_SWAGGER_UI_URL="/static/vendor/swagger-ui/",
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
            "info": {"description": "Gerai POS API: catalog, stock ledger, till, restock and sync. "
                                    "Money is integer Rupiah; quantities are decimal strings."},
        },
    )
    api = GeraiApi(app)
    register_error_components(api.spec)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected_error)
    return api
