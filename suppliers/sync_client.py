"""The shop's side of sync (notes/SYNC.md): push the outbox to the hub, pull the hub's feed.

One round (`sync_round`): push every event after `pushed_through` in gzip-compressed batches of
500, always trusting the hub's `accepted_through` (a hub restored from a backup answers lower:
the events are sent again from there); on a `sequence_conflict` (this shop was restored from an
older backup, and its new events took numbers the hub already holds) the unpushed events are
renumbered to follow the hub's and pushed again; so are they when the hub answers more than this
shop holds (restored, no new events yet). Either way the shop then sends its stock levels as
`movement` events of kind "resync" (qty 0): the hub's stock came partly from the movements the
shop lost, and must be the shop's books again. Then pull pages of the feed until one comes
empty, each page applied with its cursor in one transaction (suppliers.sync_apply).

`gerai sync` runs one round; `gerai serve` runs `SyncLoop` in a daemon thread when
GERAI_HUB_URL is set. The token is sent, never logged or shown.

Standard library HTTP (http.client): 10 s to connect, 60 s to read.
"""
from __future__ import annotations

import gzip
import http.client
import json
import logging
import random
import socket
import ssl
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from gerai import outbox
from gerai.db import Database, utcnow
from suppliers import sync_apply

log = logging.getLogger("gerai.sync")

BATCH = 500
PULL_LIMIT = 500
CONNECT_TIMEOUT, READ_TIMEOUT = 10.0, 60.0
MAX_CONFLICTS = 3  # renumberings in one round before giving up (the hub keeps disagreeing)
MAX_STALLS = 3  # batches in a row the hub took none of


class SyncError(Exception):
    """The round stopped; the message says why in a sentence a manager can act on (no secrets)."""


class Unreachable(SyncError):
    """No answer from the hub: no link, a cut connection, a timeout. Try again later."""


class Refused(SyncError):
    """The hub refused this shop's token or outlet (401/403): a person must fix the settings."""


@dataclass(frozen=True)
class Hub:
    url: str
    token: str
    outlet: str
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT

    def __repr__(self) -> str:  # never the token
        return f"Hub(url={self.url!r}, outlet={self.outlet!r})"


def hub_from_settings(settings: Any, url: str | None = None, token: str | None = None) -> Hub:
    hub = Hub((url or settings.hub_url or "").rstrip("/"), token or settings.hub_token or "", settings.outlet or "")
    missing = [name for name, value in (("GERAI_HUB_URL", hub.url), ("GERAI_HUB_TOKEN", hub.token),
                                         ("GERAI_OUTLET", hub.outlet)) if not value]
    if missing:
        raise SyncError(f"Set {', '.join(missing)} to sync with a hub.")
    parts = urlsplit(hub.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncError(f"GERAI_HUB_URL must be an http:// or https:// address, not {hub.url!r}.")
    return hub


@dataclass
class RoundResult:
    pushed: int = 0
    accepted_through: int = 0
    renumbered: int = 0
    pulled: int = 0
    applied: int = 0
    skipped: int = 0
    by_type: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        text = f"pushed {self.pushed} events (hub accepted through {self.accepted_through}); pulled {self.pulled} events"
        extra = [f"{n} {kind}" for kind, n in sorted(self.by_type.items())]
        if self.skipped:
            extra.append(f"{self.skipped} passed over")
        if self.renumbered:
            extra.append(f"{self.renumbered} renumbered to follow the hub's")
        return text + (f" ({', '.join(extra)})" if extra else "")


# --- HTTP -------------------------------------------------------------------------------------

def _call(hub: Hub, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """(status, JSON answer); Unreachable on any failure to get a complete answer."""
    parts = urlsplit(hub.url)
    base = parts.path.rstrip("/")
    headers = {"Authorization": f"Bearer {hub.token}", "Accept": "application/json", "Accept-Encoding": "gzip",
               "User-Agent": "gerai-sync"}
    payload = None
    if body is not None:
        payload = gzip.compress(json.dumps(body, separators=(",", ":")).encode(), compresslevel=6)
        headers.update({"Content-Type": "application/json", "Content-Encoding": "gzip"})
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=hub.connect_timeout)
    try:
        conn.connect()
        conn.sock.settimeout(hub.read_timeout)
        conn.request(method, base + path, body=payload, headers=headers)
        res = conn.getresponse()
        raw = res.read()
        if res.getheader("Content-Encoding", "").lower() == "gzip":
            raw = gzip.decompress(raw)
        status = res.status
    except (OSError, http.client.HTTPException, EOFError, ssl.SSLError) as err:
        raise Unreachable(f"The hub at {hub.url} could not be reached ({_why(err)}); the events wait and go "
                          "with the next sync.") from None
    finally:
        conn.close()
    try:
        answer = json.loads(raw) if raw else {}
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if status in (401, 403):
        raise Refused(f"The hub refused this shop (HTTP {status}: {answer.get('message') or 'not allowed'}). "
                      "Check GERAI_HUB_TOKEN and GERAI_OUTLET.")
    return status, answer


def _why(err: BaseException) -> str:
    if isinstance(err, socket.timeout):
        return "timed out"
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    if isinstance(err, socket.gaierror):
        return "unknown host"
    return type(err).__name__ if not str(err) else f"{type(err).__name__}: {err}"[:200]


# --- state ------------------------------------------------------------------------------------

def _state(conn: sa.Connection) -> sa.Row:
    outbox.ensure_state(conn)
    return conn.execute(sa.select(outbox.STATE).where(outbox.STATE.c.id == outbox.STATE_ID)).one()


def _update_state(db: Database, **values: Any) -> None:
    with db.session() as s:
        conn = s.connection()
        outbox.ensure_state(conn)
        conn.execute(outbox.STATE.update().where(outbox.STATE.c.id == outbox.STATE_ID).values(**values))
        s.commit()


def _accepted(db: Database, through: int) -> int | None:
    """Trust the hub: the events after what it accepted go (again) next. None when the hub holds more
    of this shop's events than this shop has: it was restored from an older backup (see `_renumber`)."""
    with db.session() as s:
        conn = s.connection()
        outbox.lock(conn)
        if through > outbox.last_seq(conn):
            return None
        kept = through
        outbox.ensure_state(conn)
        conn.execute(outbox.STATE.update().where(outbox.STATE.c.id == outbox.STATE_ID)
                     .values(pushed_through=kept, last_push_at=utcnow()))
        s.commit()
    return kept


def _renumber(db: Database, hub_through: int) -> int:
    """The hub holds events this shop no longer has (it was restored from an older backup): its new
    events took numbers the hub holds with others (409), or it has none yet beyond the hub's. Every
    event after the last one both agree on moves to follow the hub's, in order, and the shop's stock
    as its books now say goes with them (`resync_events`): the hub's stock came from movements
    the shop lost."""
    with db.session() as s:
        conn = s.connection()
        outbox.lock(conn)
        agreed = min(_state(conn).pushed_through, hub_through)
        outbox.emit_many(s, resync_events(conn), utcnow())
        moved = outbox.renumber_after(conn, agreed, hub_through)
        conn.execute(outbox.STATE.update().where(outbox.STATE.c.id == outbox.STATE_ID)
                     .values(pushed_through=hub_through))
        s.commit()
    log.warning("sequence conflict: %d unpushed events renumbered to follow the hub's %d", moved, hub_through)
    return moved


RESYNC = "resync"


def resync_events(conn: sa.Connection) -> list[tuple[str, dict]]:
    """One `movement` per product with a stock level, kind "resync", qty 0, balance_after = the level
    here: the hub's stock (the last balance it heard of per product) becomes the shop's books again."""
    from gerai.numbers import qty_str
    from inventory.models import Product, StockLevel

    at = outbox.iso(utcnow())
    rows = conn.execute(sa.select(Product.sku, Product.name, Product.unit, StockLevel.on_hand)
                        .join(StockLevel, StockLevel.product_id == Product.id).order_by(Product.sku))
    return [("movement", {"movement_id": None, "sku": r.sku, "name": r.name, "unit": r.unit, "kind": RESYNC,
                          "qty": "0.000", "balance_after": qty_str(r.on_hand), "at": at, "source_type": "restore",
                          "source_id": ""}) for r in rows]


# --- push and pull ----------------------------------------------------------------------------

def push(db: Database, hub: Hub, result: RoundResult, batch: int = BATCH) -> None:
    conflicts = stalls = 0
    asked = False
    while True:
        with db.read_session() as s:
            conn = s.connection()
            through = _state(conn).pushed_through
            events = outbox.events_after(conn, through, batch)
        result.accepted_through = through
        if not events:
            if asked:
                return
            # Nothing to send: an empty batch still asks how far the hub has this shop. A hub that lost
            # its last moment (a crash, a restore) answers less, and the events go again; a hub holding
            # more than this shop (the shop was restored) makes the shop renumber and resend its stock.
            asked = True
        status, answer = _call(hub, "POST", "/api/v1/sync/push", {"outlet": hub.outlet, "events": events})
        hub_through = answer.get("accepted_through")
        if not isinstance(hub_through, int) or isinstance(hub_through, bool) or hub_through < 0:
            if status == 200 or answer.get("reason") == "sequence_conflict":
                raise SyncError(f"The hub's answer (HTTP {status}) has no accepted_through; nothing was changed here.")
            raise SyncError(f"The hub refused the events (HTTP {status}: {answer.get('message') or 'no reason given'}).")
        if status == 409 and answer.get("reason") == "sequence_conflict":
            conflicts += 1
            if conflicts > MAX_CONFLICTS:
                raise SyncError("The hub keeps reporting a sequence conflict; ask the hub's administrator.")
            result.renumbered += _renumber(db, hub_through)
            continue
        if status != 200:
            raise SyncError(f"The hub refused the events (HTTP {status}: {answer.get('message') or 'no reason given'}).")
        kept = _accepted(db, hub_through)
        if kept is None:  # the hub is ahead of this shop: restored from an older backup
            conflicts += 1
            if conflicts > MAX_CONFLICTS:
                raise SyncError("The hub holds more of this shop's events than it has; ask the hub's administrator.")
            result.renumbered += _renumber(db, hub_through)
            continue
        taken = sum(1 for e in events if e["seq"] <= hub_through)
        result.pushed += taken
        result.accepted_through = kept
        stalls = 0 if kept > through else stalls + 1
        if stalls >= MAX_STALLS:
            raise SyncError(f"The hub accepted none of the events after {kept} {MAX_STALLS} times in a row.")


def pull(db: Database, hub: Hub, result: RoundResult, tz: ZoneInfo, limit: int = PULL_LIMIT) -> None:
    while True:
        with db.read_session() as s:
            cursor = _state(s.connection()).pull_cursor
        status, answer = _call(hub, "GET", "/api/v1/sync/pull?" + urlencode({"cursor": cursor, "limit": limit}))
        if status != 200:
            raise SyncError(f"The hub refused the pull (HTTP {status}: {answer.get('message') or 'no reason given'}).")
        events, new_cursor = answer.get("events"), answer.get("cursor")
        if not isinstance(events, list) or not isinstance(new_cursor, int) or isinstance(new_cursor, bool):
            raise SyncError("The hub's pull answer is not what this shop understands; nothing was applied.")
        if not events:
            if new_cursor != cursor:
                with db.session() as s:
                    sync_apply.apply_page(s, [], new_cursor, tz)
            return
        with db.session() as s:
            applied = sync_apply.apply_page(s, events, new_cursor, tz)
        result.pulled += len(events)
        result.applied += applied.applied
        result.skipped += applied.skipped
        for kind, n in applied.by_type.items():
            result.by_type[kind] = result.by_type.get(kind, 0) + n


def sync_round(db: Database, hub: Hub, tz: ZoneInfo) -> RoundResult:
    """Push, then pull. The state row records the attempt and, on failure, the error (never the token)."""
    result = RoundResult()
    _update_state(db, last_attempt_at=utcnow())
    with db.session() as s:
        sync_apply.apply_due(s)  # a HET dated ahead takes effect on its day, link or no link
    try:
        push(db, hub, result)
        pull(db, hub, result, tz)
    except SyncError as err:
        _update_state(db, last_error=str(err)[:1000])
        raise
    _update_state(db, last_error=None, last_pull_at=utcnow())  # the time of the last whole round
    return result


# --- status for the dashboard -----------------------------------------------------------------

@dataclass(frozen=True)
class Status:
    configured: bool
    waiting: int
    pushed_through: int
    last_push_at: datetime | None
    last_pull_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None


def status(session, configured: bool) -> Status:
    conn = session.connection()
    row = conn.execute(sa.select(outbox.STATE).where(outbox.STATE.c.id == outbox.STATE_ID)).first()
    through = row.pushed_through if row else 0
    waiting = conn.execute(sa.select(sa.func.count()).select_from(outbox.OUTBOX)
                           .where(outbox.OUTBOX.c.seq > through)).scalar_one()
    return Status(configured, waiting, through, row.last_push_at if row else None, row.last_pull_at if row else None,
                  row.last_attempt_at if row else None, row.last_error if row else None)


# --- the background loop ----------------------------------------------------------------------

MAX_BACKOFF = 15 * 60.0


def backoff(failures: int, interval: float, rng: random.Random = random.Random()) -> float:
    """Seconds to wait after `failures` failed rounds in a row: doubling from the interval, up to
    15 minutes, with "full jitter" so that shops coming back online do not all call at once."""
    if failures <= 0:
        return interval
    ceiling = min(MAX_BACKOFF, interval * 2 ** min(failures, 20))
    return max(1.0, rng.uniform(ceiling / 2, ceiling))


class SyncLoop(threading.Thread):
    """A round every `interval` seconds; failures back off. Nothing it meets stops the server."""

    def __init__(self, db: Database, hub: Hub, tz: ZoneInfo, interval: float = 60.0) -> None:
        super().__init__(name="gerai-sync", daemon=True)
        self.db, self.hub, self.tz, self.interval = db, hub, tz, max(1.0, interval)
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.failures = 0

    def run(self) -> None:
        log.info("sync with %s as %s every %ss", self.hub.url, self.hub.outlet, int(self.interval))
        while not self.stopping.is_set():
            try:
                result = sync_round(self.db, self.hub, self.tz)
                self.failures = 0
                if result.pushed or result.pulled:
                    log.info("sync: %s", result.summary())
            except SyncError as err:
                self.failures += 1
                log.warning("sync failed (%d in a row): %s", self.failures, err)
            except Exception:  # noqa: BLE001 (a bug or a database hiccup must not end the loop or the server)
                self.failures += 1
                log.exception("sync round failed unexpectedly (%d in a row)", self.failures)
            self.wake.wait(backoff(self.failures, self.interval))
            self.wake.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
