"""The hub's feed applied at the shop (notes/SYNC.md, Pull): dispatches, HETs, catalog.

`apply_page` applies one page of pulled events and saves the cursor in ONE transaction: a cut
link or a crash leaves the page either applied with its cursor or not at all, so no event is
applied twice or skipped. An event this shop cannot use (a request it never sent, a product it
cannot make from what came) is passed over inside a savepoint, counted, and the cursor moves on;
an unknown type likewise (a newer hub).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Callable
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai import outbox
from gerai.db import transactional, utcnow
from gerai.errors import DomainError
from gerai.numbers import QuantityError, parse_qty
from inventory import barcodes, catalog
from inventory.models import CATEGORIES, Product, ProductBarcode, Supplier
from inventory.rules import UNITS
from suppliers import requests

log = logging.getLogger("gerai.sync")


class Unusable(Exception):
    """A feed event this shop cannot apply (said why); it is passed over."""


@dataclass
class Applied:
    applied: int = 0
    skipped: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


def _parse_time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise Unusable(f"time without offset: {value!r}")
    return at


def _lines(data: dict) -> list[dict]:
    try:
        return [{"sku": str(ln["sku"]), "qty": parse_qty(ln["qty"]),
                 "dispatched_qty": None if ln.get("dispatched_qty") is None else parse_qty(ln["dispatched_qty"])}
                for ln in data.get("lines") or []]
    except (KeyError, TypeError, QuantityError) as err:
        raise Unusable(f"bad lines: {err}") from None


def apply_dispatch(session: Session, data: dict, at: datetime | None, tz: ZoneInfo) -> None:
    req = requests.apply_dispatch(session, str(data["request_id"]), _lines(data), eta=_parse_time(data.get("eta")),
                                  dispatch_id=str(data.get("dispatch_id") or ""), at=at or utcnow())
    if req is None:
        raise Unusable(f"no open restock request {data['request_id']}")


def _local_midnight(day: str, tz: ZoneInfo) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(0), tzinfo=tz)


def apply_het(session: Session, data: dict, at: datetime | None, tz: ZoneInfo) -> None:
    product = session.scalar(sa.select(Product).where(Product.sku == str(data["sku"])))
    if product is None:
        raise Unusable(f"no product {data['sku']}")
    het = data.get("het")
    if het is not None and (not isinstance(het, int) or isinstance(het, bool) or het < 0):
        raise Unusable(f"bad het {het!r}")
    effective = _local_midnight(data["effective_from"], tz) if data.get("effective_from") else utcnow()
    catalog.set_het_from_hub(session, product, het, effective, utcnow())


def apply_product(session: Session, data: dict, at: datetime | None, tz: ZoneInfo) -> None:
    """Create a product the shop lacks (priced at its HET; without a HET it is not created), or
    update its name and HET (never raising its price)."""
    sku, het = str(data["sku"]), data.get("het")
    if het is not None and (not isinstance(het, int) or isinstance(het, bool) or het < 0):
        raise Unusable(f"bad het {het!r}")
    product = session.scalar(sa.select(Product).where(Product.sku == sku))
    now = utcnow()
    if product is None:
        if het is None:
            raise Unusable(f"new product {sku} without a HET: no price to sell it at")
        catalog.add_product(session, _new_product(session, data, het), None, "hub")
        return
    if data.get("name"):
        product.name = str(data["name"])[:200]
    if "het" in data:
        catalog.set_het_from_hub(session, product, het, now, now)


def _new_product(session: Session, data: dict, het: int) -> dict:
    category, unit = data.get("category"), data.get("unit")
    if category not in CATEGORIES or unit not in UNITS:
        raise Unusable(f"category {category!r} / unit {unit!r} unknown here")
    supplier = data.get("supplier") or None
    if supplier is not None and session.get(Supplier, supplier) is None:
        session.add(Supplier(code=str(supplier)[:30], name=str(supplier)))
        session.flush()
    codes = [str(c).strip() for c in data.get("barcodes") or []]
    owned = set(session.scalars(sa.select(ProductBarcode.barcode).where(ProductBarcode.barcode.in_(codes))))
    # a barcode another product here already has, or one that fails its check digit, is left off
    codes = [c for c in dict.fromkeys(codes) if c not in owned and barcodes.barcode_problem_template(c) is None]
    new = {"sku": str(data["sku"]), "name": str(data.get("name") or data["sku"])[:200], "category": category,
           "unit": unit, "price": het, "het": het, "subsidised": bool(data.get("subsidised")), "supplier": supplier,
           "barcodes": codes}
    quota = data.get("quota")
    if quota:
        try:
            new["quota"] = {"qty": parse_qty(quota["qty"]), "period_days": int(quota["period_days"])}
        except (KeyError, TypeError, ValueError, QuantityError):
            raise Unusable(f"bad quota {quota!r}") from None
    return new


APPLY: dict[str, Callable[[Session, dict, datetime | None, ZoneInfo], None]] = {
    "dispatch": apply_dispatch, "het": apply_het, "product": apply_product}


@transactional
def apply_page(session: Session, events: list[dict], cursor: int, tz: ZoneInfo) -> Applied:
    """Apply one pulled page and store the hub's cursor after it, in one transaction."""
    result = Applied()
    catalog.apply_due_hets(session, utcnow())
    for event in events:
        kind, handler = event.get("type"), APPLY.get(event.get("type"))
        if handler is None:
            result.skipped += 1
            continue
        try:
            with session.begin_nested():
                handler(session, event.get("data") or {}, _parse_time(event.get("at")), tz)
        except (Unusable, DomainError, KeyError, TypeError, ValueError) as err:
            log.warning("feed event %s (%s) passed over: %s", event.get("id"), kind, _reason(err))
            result.skipped += 1
            continue
        result.applied += 1
        result.by_type[kind] = result.by_type.get(kind, 0) + 1
    conn = session.connection()
    outbox.ensure_state(conn)
    conn.execute(outbox.STATE.update().where(outbox.STATE.c.id == outbox.STATE_ID)
                 .values(pull_cursor=cursor, last_pull_at=utcnow()))
    return result


def _reason(err: Exception) -> str:
    return err.message if isinstance(err, DomainError) else str(err)


@transactional
def apply_due(session: Session) -> int:
    """HETs dated ahead whose day has come (each sync round, online or not)."""
    return catalog.apply_due_hets(session, utcnow())
