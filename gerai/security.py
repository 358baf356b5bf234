"""Security headers on every answer, and the session cookie's flags.

The content-security policy is strict: scripts, styles, images and connections come from this
server only; no inline script, no inline event handler (`onclick=`), no `style="..."` attribute.
Pages put their behaviour in static/js/*.js and their looks in classes (static/css/app.css).
"""
from __future__ import annotations

import logging
import re
import threading

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
REDACTED = "[redacted]"
_PATTERNS = (
    # a bearer token, wherever it is written (a header, a repr of headers, a curl line)
    (re.compile(r"(?i)\b(bearer)\s+[^\s'\",;]+"), r"\1 " + REDACTED),
    # a header carrying a credential, as `Name: value` or in a dict's repr
    (re.compile(r"(?i)(['\"]?(?:authorization|proxy-authorization|cookie|x-csrf-token)['\"]?\s*[:=]\s*)"
                r"(['\"]?)[^'\"\r\n]*\2"), r"\1\2" + REDACTED + r"\2"),
    # a password or token field: password=..., "password": "...", --password ...
    (re.compile(r"(?i)(['\"]?\b(?:password|passwd|token|secret_key|csrf_token|manager_token)['\"]?\s*[:=]\s*)"
                r"(['\"]?)[^'\"\s,&}]*\2"), r"\1\2" + REDACTED + r"\2"),
    (re.compile(r"(?i)(--password[= ])\S+"), r"\1" + REDACTED),
    # a password hash (werkzeug's scrypt or pbkdf2), e.g. in the parameters of a logged INSERT
    (re.compile(r"\b(?:scrypt|pbkdf2)(?::[\w]+)*\$[^$\s'\"]+\$[0-9a-f]+"), REDACTED),
    # a signed token or session cookie of itsdangerous (base64 JSON . timestamp . signature)
    (re.compile(r"\.?eyJ[\w-]{8,}\.[\w-]{4,}\.[\w-]{16,}"), REDACTED),
)
_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def redact_headers(headers) -> dict[str, str]:
    """The request's headers fit for a log line: credentials replaced by `[redacted]`."""
    return {name: (REDACTED if name.lower() in SECRET_HEADERS else value) for name, value in headers.items()}


def redact(text: str) -> str:
    """`text` with every credential it may hold replaced by `[redacted]`: bearer tokens, credential
    headers, password and token fields, signed tokens, and the secrets this process knows (the secret
    key, the hub token)."""
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redacting_factory(make_record):
    def factory(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 (a bad format string is the handler's to report)
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    return factory


def install_log_redaction(*secrets: str) -> None:
    """Every log record of this process, from any logger (gerai, waitress, werkzeug, SQLAlchemy...), is
    redacted when it is made, before any handler sees it. The given secrets are never written."""
    global _installed
    with _lock:
        _secrets.update(s for s in secrets if s and len(s) >= 8)
        if not _installed:
            logging.setLogRecordFactory(_redacting_factory(logging.getLogRecordFactory()))
            _installed = True


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


def install(app: Flask, *, secure_cookies: bool = False, secrets: tuple[str, ...] = ()) -> None:
    app.config.update(secure_cookie_config(secure_cookies))
    app.after_request(add_security_headers)
    install_log_redaction(*secrets)
