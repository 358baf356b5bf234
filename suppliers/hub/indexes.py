"""Indexes the coordinators' queue needs beside those of suppliers.hub.models (migration 0009).

The queue's first page for a supplier with no status chosen is `WHERE supplier = ? ORDER BY
created_at DESC LIMIT 51`: the (supplier, status, created_at) index cannot give that order across
statuses, so without this one PostgreSQL sorts every request of the supplier (400,000 of a million).
With it the page reads the newest rows of the supplier's range and stops; an area or product filter
walks the same range (see bench/bench_hub_queue.py)."""
from __future__ import annotations

import sqlalchemy as sa

from suppliers.hub.models import HubRequest

QUEUE_INDEXES = (sa.Index("ix_hub_requests_supplier_created_at", HubRequest.supplier, HubRequest.created_at),)
