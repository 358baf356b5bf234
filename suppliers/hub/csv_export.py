"""CSV exports of the hub's pages: UTF-8, one header row, quantities with 3 decimals (`12.500`),
money in whole Rupiah, times in ISO 8601 UTC. Written as they are read (a queue can be long)."""
from __future__ import annotations

import csv
import io
from datetime import date
from typing import Iterable, Iterator

from flask import Response, stream_with_context

from gerai.numbers import qty_str
from suppliers.models import OPEN_STATUSES

QUEUE_HEADER = ("request_id", "created_at", "supplier", "status", "auto", "outlet_code", "outlet_name", "kecamatan",
                "kabupaten", "provinsi", "sku", "name", "unit", "qty", "dispatched_qty", "received_qty",
                "outstanding_qty")
DEMAND_HEADER = ("provinsi", "kabupaten", "sku", "name", "unit", "requests", "outlets", "requested_qty",
                 "dispatched_qty", "outstanding_qty")
MONITOR_HEADER = ("provinsi", "kabupaten", "kecamatan", "registered", "synced_3_days", "transacting_7_days",
                  "period_from", "period_to", "sales_count", "sales_total_rupiah", "open_requests")


def _lines(rows: Iterable[Iterable]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def response(rows: Iterable[Iterable], filename: str) -> Response:
    return Response(stream_with_context(_lines(rows)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def queue_rows(requests) -> Iterator[tuple]:
    """One row per line of each request (a request without lines keeps one row, its line columns empty)."""
    yield QUEUE_HEADER
    for req, lines in requests:
        head = (req.id, req.created_at.isoformat(), req.supplier, req.status, "1" if req.auto else "0", req.outlet_code,
                req.outlet_name, req.kecamatan, req.kabupaten, req.provinsi)
        if not lines:
            yield (*head, "", "", "", "", "", "", "")
        for ln in lines:
            dispatched = ln.dispatched_qty or 0
            left = max(ln.qty - dispatched, 0) if req.status in OPEN_STATUSES else 0  # closed: nothing more to send
            yield (*head, ln.sku, ln.name, ln.unit, qty_str(ln.qty), qty_str(dispatched), qty_str(ln.received_qty or 0),
                   qty_str(left))


def demand_rows(items) -> Iterator[tuple]:
    yield DEMAND_HEADER
    for d in items:
        yield (d.provinsi, d.kabupaten, d.sku, d.name, d.unit, d.requests, d.outlets, qty_str(d.requested),
               qty_str(d.dispatched), qty_str(d.outstanding))


def monitor_rows(rows, first: date, last: date) -> Iterator[tuple]:
    yield MONITOR_HEADER
    for r in rows:
        yield (r.provinsi, r.kabupaten, r.kecamatan, r.registered, r.synced, r.transacting, first.isoformat(),
               last.isoformat(), r.sales_count, int(r.sales_total), r.open_requests)
