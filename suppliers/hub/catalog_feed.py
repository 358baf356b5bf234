"""On a hub, the catalog is master for every shop: a product created or changed, and a new HET,
go to the feed (`product`, `het`; zone null = every zone) in the same transaction as the change.

Hooked on the hub's sessions (after each flush) rather than in inventory.catalog, so the shop's
catalog services stay as they are and every way of changing the catalog on a hub is covered
(the API, the pages, the CSV import)."""
from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from gerai.db import utcnow
from gerai.numbers import qty_str
from inventory.models import HetChange, Product
from suppliers.hub.models import HubFeed

FED_FIELDS = ("sku", "name", "category", "unit", "het", "subsidised", "quota_qty", "quota_period_days",
              "supplier_code", "barcodes")


def product_data(product: Product) -> dict:
    quota = None if product.quota_qty is None else {"qty": qty_str(product.quota_qty),
                                                    "period_days": product.quota_period_days}
    return {"sku": product.sku, "name": product.name, "category": product.category, "unit": product.unit,
            "het": product.het, "subsidised": product.subsidised, "quota": quota, "supplier": product.supplier_code,
            "barcodes": [b.barcode for b in product.barcodes]}


def _changed(product: Product) -> bool:
    state = sa.inspect(product)
    return any(state.attrs[name].history.has_changes() for name in FED_FIELDS)


def _after_flush(session: Session, _context) -> None:
    now = utcnow()
    rows = []
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Product) and (obj in session.new or _changed(obj)):
            rows.append({"type": "product", "data": product_data(obj)})
    tz = ZoneInfo(session.info.get("timezone", "Asia/Jakarta"))
    for obj in session.new:
        if isinstance(obj, HetChange) and obj.het is not None:
            product = session.get(Product, obj.product_id)
            rows.append({"type": "het", "data": {"sku": product.sku, "het": obj.het, "zone": None,
                                                 "effective_from": obj.effective_from.astimezone(tz).date().isoformat()}})
    if rows:
        session.connection().execute(sa.insert(HubFeed.__table__), [
            {"outlet_id": None, "zone": None, "type": r["type"], "at": now,
             "data": json.dumps(r["data"], separators=(",", ":"))} for r in rows])


def install(db) -> None:
    """Called when a hub's blueprints are registered: every session of this database feeds catalog changes."""
    for factory in (db._write, db._request):
        if not event.contains(factory, "after_flush", _after_flush):
            event.listen(factory, "after_flush", _after_flush)
