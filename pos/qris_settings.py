"""The shop's static QRIS (from its bank), kept in app settings; a dynamic QRIS per amount from it."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from gerai.db import transactional, utcnow
from gerai.errors import Conflict, Invalid
from gerai.models import AppSetting
from pos.qris import QrisError, make_dynamic_qris, merchant_name, qris_problem

KEY = "qris_static"


class InvalidQris(Invalid):
    reason = "invalid_qris"
    template = "%(problem)s"


class QrisNotConfigured(Conflict):
    reason = "qris_not_configured"
    template = "No QRIS is set up for this shop: a manager enters the bank's static QRIS first."


@dataclass(frozen=True)
class QrisSettings:
    payload: str | None
    merchant_name: str | None

    @property
    def configured(self) -> bool:
        return self.payload is not None


def get_qris(session: Session) -> QrisSettings:
    row = session.get(AppSetting, KEY)
    payload = row.value if row is not None and row.value else None
    return QrisSettings(payload, merchant_name(payload) if payload else None)


@transactional
def set_qris(session: Session, payload: str | None) -> QrisSettings:
    """Store the static QRIS after checking it (CRC, tags); None or "" removes it."""
    payload = (payload or "").strip()
    if payload:
        problem = qris_problem(payload)
        if problem:
            raise InvalidQris(field="payload", problem=problem)
    row = session.get(AppSetting, KEY)
    if row is None:
        session.add(AppSetting(key=KEY, value=payload, updated_at=utcnow()))
    else:
        row.value, row.updated_at = payload, utcnow()
    return QrisSettings(payload or None, merchant_name(payload) if payload else None)


def dynamic_qris(session: Session, amount: int) -> tuple[str, str | None]:
    """(payload, merchant name) of a single-use QRIS for `amount` Rupiah."""
    settings = get_qris(session)
    if not settings.configured:
        raise QrisNotConfigured()
    try:
        return make_dynamic_qris(settings.payload, amount), settings.merchant_name
    except QrisError as err:
        raise InvalidQris(field="amount", problem=str(err)) from None
