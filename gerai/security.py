"""Security headers on every answer, and the session cookie's flags.

The content-security policy is strict: scripts, styles, images and connections come from this
server only; no inline script, no inline event handler (`onclick=`), no `style="..."` attribute.
Pages put their behaviour in static/js/*.js and their looks in classes (static/css/app.css).
"""
from __future__ import annotations

from flask import Flask, Response, g, request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: Headers that could carry a credential: never written to a log as they are.
SECRET_HEADERS = ("authorization", "cookie", "x-csrf-token", "proxy-authorization")


def redact_headers(headers) -> dict[str, str]:
    """The request's headers fit for a log line: credentials replaced by `[redacted]`."""
    return {name: ("[redacted]" if name.lower() in SECRET_HEADERS else value) for name, value in headers.items()}


def add_security_headers(response: Response) -> Response:
    """after_request: the same headers on every answer; private answers never stored by a cache."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static" and (g.get("user") is not None or request.path.startswith("/api/")):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def secure_cookie_config(secure: bool) -> dict[str, object]:
    """The session cookie: never readable by scripts, not sent on cross-site posts, and only over
    HTTPS when the shop serves HTTPS (GERAI_SECURE_COOKIES=1)."""
    return {"SESSION_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax", "SESSION_COOKIE_SECURE": secure}


def install(app: Flask, *, secure_cookies: bool = False) -> None:
    app.config.update(secure_cookie_config(secure_cookies))
    app.after_request(add_security_headers)
