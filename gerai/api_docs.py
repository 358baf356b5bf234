"""The OpenAPI document's error answers, written from what each view can answer rather than by hand.

flask-smorest documents the success and the 422 of `arguments`; every operation also answers, in the one
error shape: 400 (malformed: unreadable JSON, NUL characters) and 503 (database busy); 401 unless public
(a public operation needs no bearer token: `security: []`); 403 when its roles are not all roles; 404 when
its path or its body names something (a SKU, a sale, a supplier) that may not exist; 415 and 422 when it
takes a body. Statuses a view raises itself (409, 429) stay with the view's `alt_response`. With no
catch-all `default` response, a status the document does not list is a mistake the fuzzer (tests/fuzz) finds.
"""
from __future__ import annotations

PAGINATION_HEADER = {"description": "Pagination metadata (JSON)",
                     "content": {"application/json": {"schema": "PaginationMetadata"}}}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERRORS = {  # status: (component name, description)
    400: ("BAD_REQUEST", "Malformed request: unreadable JSON, or text with NUL characters"),
    401: ("UNAUTHORIZED", "No valid bearer token"),
    403: ("FORBIDDEN", "Your role may not do this"),
    404: ("NOT_FOUND", "Not found"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "The body is not JSON"),
    422: ("UNPROCESSABLE_ENTITY", "Fields at fault, named in `errors`"),
    503: ("SERVICE_UNAVAILABLE", "The database is busy; nothing changed; retry (see Retry-After)"),
}
# The documented shape of every error answer (gerai.api.error_body), stricter than flask-smorest's.
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "integer", "description": "The HTTP status"},
        "status": {"type": "string", "description": "Machine reason (`insufficient_stock`) or the HTTP reason phrase"},
        "message": {"type": "string", "minLength": 1, "description": "One sentence a person can act on"},
        "errors": {"type": "object", "description": "Per location (`json`, `query`), the fields at fault and why",
                   "additionalProperties": {"type": "object", "additionalProperties": {"type": "array",
                                                                                        "items": {"type": "string"}}}},
    },
    "required": ["code", "status", "message"],
    "additionalProperties": False,
}


# What a 201 leads to: (path of the creating POST) -> (parameter, where the answer holds it, [(path, methods)]).
# OpenAPI links: clients (and the fuzzer's stateful phase) follow them from the new thing to its operations.
LINKS = {
    "/api/v1/products": ("sku", "sku", [("/api/v1/products/{sku}", ("get", "patch")),
                                        ("/api/v1/stock/{sku}/movements", ("get",))]),
    "/api/v1/suppliers": ("code", "code", [("/api/v1/suppliers/{code}", ("get", "patch"))]),
    "/api/v1/members": ("member_no", "member_no", [("/api/v1/members/{member_no}", ("get", "patch")),
                                                   ("/api/v1/members/{member_no}/purchases", ("get",))]),
    "/api/v1/sales": ("sale_id", "id", [("/api/v1/sales/{sale_id}", ("get",)),
                                        ("/api/v1/sales/{sale_id}/receipt", ("get",)),
                                        ("/api/v1/sales/{sale_id}/refunds", ("post",))]),
    "/api/v1/restock-requests": ("request_id", "id", [("/api/v1/restock-requests/{request_id}", ("get",)),
                                                      ("/api/v1/restock-requests/{request_id}/cancel", ("post",))]),
}


def _links(path: str) -> dict:
    param, field, targets = LINKS[path]
    out = {}
    for target, methods in targets:
        pointer = target.replace("~", "~0").replace("/", "~1")
        for method in methods:
            name = method.capitalize() + "".join(w.capitalize() for w in target.split("/")[3:] if "{" not in w)
            out[name] = {"operationRef": f"#/paths/{pointer}/{method}", "parameters": {param: f"$response.body#/{field}"}}
    return out


def register_components(spec) -> None:
    spec.components.schemas["Error"] = ERROR_SCHEMA
    for name, description in ERRORS.values():
        spec.components.responses[name] = {"description": description,
                                           "content": {"application/json": {"schema": ERROR_REF}}}


def _error_statuses(view_class, method: str, operation: dict, rule, all_roles: set[str]) -> set[int]:
    func = getattr(view_class, method)
    codes = {400, 503}
    if not (getattr(view_class, "gerai_public", False) or getattr(func, "gerai_public", False)):
        codes.add(401)
        allowed = getattr(func, "gerai_roles", None)
        if allowed is not None and set(allowed) != all_roles:
            codes.add(403)
    if rule.arguments:
        codes.add(404)
    if "requestBody" in operation:
        codes |= {404, 415, 422}
    if any(p.get("in") == "query" for p in operation.get("parameters", [])):
        codes.add(422)
    return codes


class ErrorDocumentingSpec:
    """Stands in for the APISpec while a blueprint registers its views: adds each operation's errors."""

    def __init__(self, spec, app, all_roles) -> None:
        self._spec, self._app, self._roles = spec, app, set(all_roles)

    def __getattr__(self, name):
        return getattr(self._spec, name)

    def path(self, *, rule, operations, **kwargs):
        view_class = self._app.view_functions[rule.endpoint].view_class
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            codes = _error_statuses(view_class, method, operation, rule, self._roles)
            if 401 not in codes:
                operation["security"] = []
            for code in sorted(codes):
                responses.setdefault(str(code), ERRORS[code][0])
            if method == "post" and rule.rule in LINKS and isinstance(responses.get(201), dict):
                responses[201]["links"] = _links(rule.rule)
        return self._spec.path(rule=rule, operations=operations, **kwargs)

