"""Simulated shops for the hub (bench/bench_hub.py, scripts/soak.py --hub): a shop's stream of sync
events as notes/SYNC.md describes them, and a scratch PostgreSQL database to run a hub on.

`ShopStream` keeps what a shop's outbox would hold, with the shop's own state behind it: each sale
is one `movement` per line (kind `sale`, negative qty, the balance it left) then the `sale`; a
restock request is a `restock_request` snapshot after every change (draft, submitted; dispatched
when the hub's `dispatch` feed event comes; received with the `receipt` movements of the goods).
Quantities are exact (thousandths); loose goods (kg) sell in 50 g steps. Standard library only.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

# 60 products; every sixth is loose, sold by the kg
SKUS = [f"SKU-{i:03d}" for i in range(60)]
UNIT = {sku: "kg" if i % 6 == 5 else "pcs" for i, sku in enumerate(SKUS)}
PRICE = {sku: 14000 if UNIT[sku] == "kg" else 5000 for sku in SKUS}
OPENING = 1000 * 1000  # thousandths: stock every product starts with (before the stream)


def qty_text(milli: int) -> str:
    sign = "-" if milli < 0 else ""
    milli = abs(milli)
    return f"{sign}{milli // 1000}.{milli % 1000:03d}"


def _iso(at: datetime) -> str:
    return at.isoformat()


@dataclass
class Request:
    id: str
    supplier: str
    created_at: datetime
    lines: dict[str, int]  # sku -> thousandths asked
    status: str = "draft"
    dispatched: dict[str, int] = field(default_factory=dict)
    received: dict[str, int] = field(default_factory=dict)


class ShopStream:
    """One shop's outbox: `events` in seq order (seq 1, 2, ...), grown by what happens at the shop."""

    def __init__(self, rng: random.Random, skus: list[str] = SKUS) -> None:
        self.rng, self.skus = rng, skus
        self.events: list[dict] = []
        self.balance: dict[str, int] = {}  # thousandths on hand, per product that moved
        self.sales = 0
        self.requests: dict[str, Request] = {}
        self._movement_id = 0

    @property
    def seq(self) -> int:
        return len(self.events)

    def _emit(self, type_: str, at: datetime, data: dict) -> dict:
        event = {"id": str(uuid.uuid4()), "seq": self.seq + 1, "type": type_, "at": _iso(at), "data": data}
        self.events.append(event)
        return event

    def _move(self, at: datetime, sku: str, milli: int, kind: str, source_type: str, source_id: str) -> None:
        self._movement_id += 1
        self.balance[sku] = self.balance.get(sku, OPENING) + milli
        self._emit("movement", at, {
            "movement_id": self._movement_id, "sku": sku, "name": f"Produk {sku}", "unit": UNIT.get(sku, "pcs"),
            "kind": kind, "qty": qty_text(milli), "balance_after": qty_text(self.balance[sku]), "at": _iso(at),
            "source_type": source_type, "source_id": source_id})

    def sale(self, at: datetime, n_lines: int | None = None, qty: int | None = None) -> None:
        """A sale of `n_lines` products (default 1-5, mostly small baskets): its movements, then the sale."""
        rng = self.rng
        n = n_lines or min(5, 1 + int(rng.expovariate(1 / 1.5)))
        sale_id = str(uuid.uuid4())
        lines = []
        for sku in rng.sample(self.skus, n):
            if qty is not None:
                milli = qty * 1000
            elif UNIT.get(sku) == "kg":
                milli = rng.randint(5, 60) * 50  # 0.250 - 3.000 kg
            else:
                milli = rng.choice((1, 1, 1, 2, 2, 3)) * 1000
            self._move(at, sku, -milli, "sale", "sale", sale_id)
            amount = (PRICE.get(sku, 5000) * milli + 500) // 1000
            lines.append({"sku": sku, "qty": qty_text(milli), "unit_price": PRICE.get(sku, 5000), "amount": amount})
        self.sales += 1
        total = sum(ln["amount"] for ln in lines)
        paid = -(-total // 5000) * 5000
        self._emit("sale", at, {"sale_id": sale_id, "number": self.sales, "at": _iso(at), "total": total, "paid": paid,
                                "cashier": "kasir", "lines": lines, "payments": [{"method": "cash", "amount": paid}]})

    # --- restock requests ------------------------------------------------------------------------

    def _snapshot(self, at: datetime, req: Request) -> None:
        self._emit("restock_request", at, {
            "request_id": req.id, "supplier": req.supplier, "status": req.status, "auto": False, "note": "",
            "created_at": _iso(req.created_at), "updated_at": _iso(at),
            "lines": [{"sku": sku, "name": f"Produk {sku}", "unit": UNIT.get(sku, "pcs"), "qty": qty_text(q),
                       "dispatched_qty": qty_text(req.dispatched.get(sku, 0)),
                       "received_qty": qty_text(req.received.get(sku, 0))} for sku, q in req.lines.items()]})

    def new_request(self, at: datetime, supplier: str) -> Request:
        """A manager drafts a request for 1-3 products and submits it: two snapshots."""
        lines = {sku: self.rng.choice((12, 24, 48)) * 1000 for sku in self.rng.sample(self.skus, self.rng.randint(1, 3))}
        req = Request(str(uuid.uuid4()), supplier, at, lines)
        self.requests[req.id] = req
        self._snapshot(at, req)
        req.status = "submitted"
        self._snapshot(at, req)
        return req

    def dispatched(self, at: datetime, request_id: str, lines: list[dict]) -> bool:
        """The hub's `dispatch` feed event: the line's total dispatched is set absolutely. False if unknown."""
        req = self.requests.get(request_id)
        if req is None:
            return False
        for line in lines:
            total = line.get("dispatched_qty", line["qty"])
            req.dispatched[line["sku"]] = _milli(total)
        if req.status in ("submitted", "dispatched"):
            req.status = "dispatched"
        self._snapshot(at, req)
        return True

    def receive(self, at: datetime, request_id: str) -> None:
        """The goods dispatched came: a receipt movement per line, then the request's snapshot."""
        req = self.requests[request_id]
        for sku, sent in req.dispatched.items():
            more = sent - req.received.get(sku, 0)
            if more > 0:
                self._move(at, sku, more, "receipt", "receipt", request_id)
                req.received[sku] = sent
        req.status = "received" if all(req.received.get(s, 0) >= q for s, q in req.lines.items()) \
            else "partially_received"
        self._snapshot(at, req)


def _milli(text: str) -> int:
    whole, _, frac = str(text).lstrip("-").partition(".")
    value = int(whole) * 1000 + int((frac or "0").ljust(3, "0")[:3])
    return -value if str(text).startswith("-") else value


# --- a scratch database ------------------------------------------------------------------------

def scratch_database(server_url: str, prefix: str = "gerai_bench_hub") -> str:
    """Create an empty database on the server `server_url` points at; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')
    engine.dispose()
