"""Outlets registered at the hub, and their sync tokens (`gso_...`, stored as sha256 hex)."""
from __future__ import annotations

import hashlib
import re
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.db import transactional
from gerai.errors import Conflict, Invalid, NotFound
from suppliers.hub.models import HubOutlet

TOKEN_PREFIX = "gso_"
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$")
TEXT_FIELDS = {"name": 160, "cooperative": 160, "desa": 120, "kecamatan": 120, "kabupaten": 120, "provinsi": 120,
               "zone": 30}


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _clean(field: str, value: str | None) -> str:
    value = (value or "").strip()
    if len(value) > TEXT_FIELDS[field]:
        raise Invalid("%(name)s may be at most %(max)s characters.", field=field, name=field, max=TEXT_FIELDS[field])
    return value


@transactional
def add_outlet(session: Session, code: str, name: str, *, cooperative: str = "", desa: str = "",
               kecamatan: str = "", kabupaten: str = "", provinsi: str = "", zone: str | None = None
               ) -> tuple[HubOutlet, str]:
    """Register a shop; returns it and its token (shown once: only the hash is kept)."""
    code = (code or "").strip()
    if not CODE_PATTERN.match(code):
        raise Invalid("An outlet code is 1 to 30 letters, digits, dots, dashes or underscores.", field="code")
    name = _clean("name", name)
    if not name:
        raise Invalid("An outlet needs a name.", field="name")
    if session.scalar(sa.select(HubOutlet.id).where(HubOutlet.code == code)) is not None:
        raise Conflict("An outlet with code %(code)s is already registered.", field="code", code=code)
    token = new_token()
    outlet = HubOutlet(code=code, name=name, cooperative=_clean("cooperative", cooperative), desa=_clean("desa", desa),
                       kecamatan=_clean("kecamatan", kecamatan), kabupaten=_clean("kabupaten", kabupaten),
                       provinsi=_clean("provinsi", provinsi), zone=_clean("zone", zone) or None,
                       token_hash=token_hash(token), accepted_through=0, pull_cursor_seen=0, active=True)
    session.add(outlet)
    session.flush()
    return outlet, token


@transactional
def rotate_token(session: Session, code: str) -> str:
    """A new token for the outlet; the old one stops working at once."""
    outlet = session.scalar(sa.select(HubOutlet).where(HubOutlet.code == (code or "").strip()))
    if outlet is None:
        raise NotFound("No outlet with code %(code)s.", code=code)
    token = new_token()
    outlet.token_hash = token_hash(token)
    session.flush()
    return token


def outlet_for_token(session: Session, token: str) -> HubOutlet | None:
    """The active outlet this token belongs to, or None."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    outlet = session.scalar(sa.select(HubOutlet).where(HubOutlet.token_hash == token_hash(token)))
    return outlet if outlet is not None and outlet.active else None
