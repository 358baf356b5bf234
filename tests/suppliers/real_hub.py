"""The REAL hub (GERAI_ROLE=hub on PostgreSQL) served in this process over real HTTP (werkzeug in a
thread) for the shop's sync-client tests, with the controls those tests need around it: what each
push carried (`pushes`), connections cut before the hub sees a push or after it answered one
(`cut_before` / `cut_after`, a WSGI wrapper shutting the socket), feed rows added as the hub's own
code adds them (`add_feed`), and what the hub holds (`accepted_through`, `event_ids`)."""
from __future__ import annotations

import gzip
import io
import json
import socket
import threading
from dataclasses import dataclass, field

import sqlalchemy as sa

from gerai.app import create_app
from gerai.config import load_config
from hub_double import Served
from suppliers.hub import feed
from suppliers.hub.outlets import add_outlet


@dataclass
class RealHub:
    app: object
    outlet: str = "KDMP-0001"
    token: str = ""
    outlet_id: int = 0
    url: str = ""
    cut_before: int = 0
    cut_after: int = 0
    pushes: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def db(self):
        return self.app.extensions["gerai_db"]

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != "/api/v1/sync/push":
            return self.app(environ, start_response)
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)
        zipped = environ.get("HTTP_CONTENT_ENCODING") == "gzip"
        try:
            body = json.loads(gzip.decompress(raw) if zipped else raw)
            self.pushes.append({"gzip": zipped, "seqs": sorted(e["seq"] for e in body["events"]), "body": body})
        except (ValueError, KeyError, TypeError, OSError):
            pass
        with self.lock:
            before, self.cut_before = self.cut_before > 0, max(0, self.cut_before - 1)
        if before:
            return self._cut(environ, start_response)
        kept = []
        answer = b"".join(self.app(environ, lambda status, headers, exc_info=None: kept.append((status, headers))))
        with self.lock:
            after, self.cut_after = self.cut_after > 0, max(0, self.cut_after - 1)
        if after:  # the hub did the work; the shop never hears of it
            return self._cut(environ, start_response)
        start_response(*kept[0])
        return [answer]

    @staticmethod
    def _cut(environ, start_response):
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    # --- what the hub holds ---------------------------------------------------------------------

    @property
    def accepted_through(self) -> int:
        with self.db.engine.connect() as conn:
            return conn.execute(sa.text("SELECT accepted_through FROM hub_outlets WHERE id = :o"),
                                {"o": self.outlet_id}).scalar_one()

    def event_ids(self) -> list[str]:
        """The ids the hub recorded for this outlet, by seq (each once: unique per outlet)."""
        with self.db.engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT event_id FROM hub_events WHERE outlet_id = :o ORDER BY seq"),
                                     {"o": self.outlet_id}).scalars())

    def add_feed(self, type_: str, data: dict) -> int:
        """A feed row as the hub's code writes one: a dispatch for this outlet, anything else for all (or a zone)."""
        with self.db.session() as s:
            feed.append(s, type_, data, outlet_id=self.outlet_id if type_ == "dispatch" else None,
                        zone=data.get("zone") if type_ == "het" else None)
            s.commit()
            return s.scalar(sa.text("SELECT max(id) FROM hub_feed"))


def serve_real_hub(instance, pg_url: str, zone: str = "1"):
    """A context: the hub app on `pg_url` with outlet KDMP-0001 registered, served on a free port."""
    settings = load_config({}, instance=str(instance), secret_key="real-hub-secret", role="hub",
                           timezone="Asia/Jakarta", database_url=pg_url)
    app = create_app(settings)
    hub = RealHub(app)
    with hub.db.session() as s:
        outlet, hub.token = add_outlet(s, hub.outlet, "Gerai Satu", kabupaten="Kabupaten Sleman", zone=zone)
        hub.outlet_id = outlet.id
    return hub, Served(hub)
