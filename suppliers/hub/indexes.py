"""Indexes the coordinators' queue needs beside those of suppliers.hub.models (migration 0009).

- (supplier, created_at): the first page for a supplier with no status chosen is `WHERE supplier = ?
  ORDER BY created_at DESC LIMIT 51`; the (supplier, status, created_at) index cannot give that order
  across statuses, so without this one PostgreSQL sorts all of a supplier's requests (400,000 of a
  million). With it the page reads the newest rows and stops; area and product filters walk the same.
- the same, partial, over open requests only (a few percent: deliveries follow within days): the
  `open` filter combined with an area or a product, and the demand per product per kabupaten, walk
  only the open requests of the supplier instead of all of them (see bench/bench_hub_queue.py)."""
from __future__ import annotations

import sqlalchemy as sa

from suppliers.hub.models import HubRequest
from suppliers.models import OPEN_STATUSES

_OPEN = HubRequest.status.in_(OPEN_STATUSES)
QUEUE_INDEXES = (
    sa.Index("ix_hub_requests_supplier_created_at", HubRequest.supplier, HubRequest.created_at),
    sa.Index("ix_hub_requests_open_supplier_created_at", HubRequest.supplier, HubRequest.created_at,
             postgresql_where=_OPEN, sqlite_where=_OPEN),
)
