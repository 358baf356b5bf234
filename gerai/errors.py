"""Domain errors: raised by services, turned into HTTP answers in one place (`gerai.api`).

Each error has an HTTP status, a machine reason (`insufficient_stock`) and a message template
in English with `%(name)s` placeholders; the template is translated at the edge, so services
never import Flask or gettext.
"""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    reason = "bad_request"
    template = "The request cannot be carried out."

    def __init__(self, template: str | None = None, *, field: str | None = None, **params: Any) -> None:
        self.template = template or self.template
        self.params = params
        self.field = field  # the field at fault (a path like `lines.2.qty`), if one is
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return self.template % self.params if self.params else self.template


class NotFound(DomainError):
    status = 404
    reason = "not_found"
    template = "Not found."


class Invalid(DomainError):
    """Input that is well-formed but breaks a rule of the domain (HTTP 422)."""

    status = 422
    reason = "invalid"
    template = "The data is not valid."


class Conflict(DomainError):
    """Refused because of the current state (HTTP 409)."""

    status = 409
    reason = "conflict"
    template = "The request conflicts with the current state."


class Forbidden(DomainError):
    status = 403
    reason = "forbidden"
    template = "Your role may not do this."
