"""Who is calling: bearer tokens for the API, a session cookie (with CSRF) for pages.

Default deny: every endpoint needs a signed-in user unless it is listed in PUBLIC_ENDPOINTS
or marked with `@public`. Roles are checked per view with `@roles(...)`.
"""
from __future__ import annotations

import functools
import hmac
import secrets
from typing import Callable

from flask import abort, current_app, g, redirect, request, session, url_for

from gerai import auth
from gerai.extensions import db_session
from gerai.models import User

PUBLIC_ENDPOINTS = {"static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def public(view: Callable) -> Callable:
    """Mark a view as reachable without signing in (login pages, the token endpoint)."""
    view.gerai_public = True  # type: ignore[attr-defined]
    return view


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def current_user() -> User | None:
    return g.get("user")


def csrf_token() -> str:
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def csrf_ok() -> bool:
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    expected = session.get(CSRF_FIELD, "")
    return bool(expected) and hmac.compare_digest(str(sent), str(expected))


def _user_from_request() -> tuple[User | None, bool]:
    """(user, came_by_cookie)."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return auth.user_for_token(db_session(), current_app.config["SECRET_KEY"], header[7:].strip()), False
    uid = session.get("uid")
    if isinstance(uid, int):
        user = auth.user_by_id(db_session(), uid)
        if user is not None and user.active and session.get("fp") == auth.password_fingerprint(user):
            return user, True
    return None, False


def _is_public_endpoint() -> bool:
    if request.endpoint is None:
        return True  # 404/405: let the router answer
    if request.endpoint in PUBLIC_ENDPOINTS:
        return True
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "gerai_public", False) or getattr(getattr(view, "view_class", None), "gerai_public", False))


def load_user() -> object:
    """before_request: find the caller, refuse the unsigned-in, check CSRF on cookie writes."""
    user, by_cookie = _user_from_request()
    g.user = user
    if by_cookie and request.method not in SAFE_METHODS and not csrf_ok():
        abort(400, description="csrf")
    if user is None and not _is_public_endpoint():
        if is_api_request():
            abort(401)
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    return None


def roles(*allowed: str) -> Callable:
    """Allow a view (or MethodView method) only to these roles; others get 403."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user is None:
                abort(401)
            if user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapper.gerai_roles = allowed  # type: ignore[attr-defined]
        return wrapper

    return decorate


def sign_in(user: User) -> None:
    session.clear()
    session["uid"] = user.id
    session["fp"] = auth.password_fingerprint(user)
    session.permanent = True
    csrf_token()


def sign_out() -> None:
    session.clear()
