"""A stand-in for the hub's sync endpoints, served over real HTTP (werkzeug), for the shop's client tests.

It implements notes/SYNC.md's push and pull semantics and nothing else, in memory: outlet token
(401) and outlet (403) checks, gzip bodies, accepted_through with duplicates skipped, a gap
stopping the batch, 409 sequence_conflict, an id known under another seq accepted without being
applied, the pull feed by cursor. Faults on demand: cut the connection before or after the hub
has processed a push (`cut_before` / `cut_after` count the next pushes to cut), forget everything
after some seq (a hub restored from a backup: `restore_to`).

KEPT ONLY where the real hub cannot produce the condition: a hub restored from a backup
(`restore_to`: the hub forgets what it accepted after some seq), used by
tests/suppliers/test_sync_client.py::test_a_hub_restored_from_a_backup_gets_the_lost_events_again.
(The real hub losing its last moment is drilled with a real server and a copy of its database put
back in tests/sync_e2e/test_hub_crash.py.) Every other sync-client and sync-page test runs against
the real hub app on PostgreSQL (tests/suppliers/real_hub.py, which uses `Served` below).
"""
from __future__ import annotations

import gzip
import json
import socket
import threading
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class HubDouble:
    outlet: str = "KDMP-0001"
    token: str = "gso_test-token-for-the-double"
    accepted_through: int = 0
    stored: dict[int, str] = field(default_factory=dict)  # seq -> event id
    known: dict[str, int] = field(default_factory=dict)  # event id -> seq
    applied: list[dict] = field(default_factory=list)  # events applied, in order
    feed: list[dict] = field(default_factory=list)  # {"id", "type", "at", "data"}
    cut_before: int = 0
    cut_after: int = 0
    pushes: list[dict] = field(default_factory=list)  # what each push carried: {"gzip", "seqs"}
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- the protocol --------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.route(request)
        except _Cut:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            response = Response(b"", status=200)
        return response(environ, start_response)

    def route(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {self.token}":
            return _json({"code": 401, "status": "Unauthorized", "message": "Unknown outlet token."}, 401)
        if request.path == "/api/v1/sync/push" and request.method == "POST":
            return self.push(request)
        if request.path == "/api/v1/sync/pull" and request.method == "GET":
            return self.pull(request)
        return _json({"code": 404, "status": "Not Found", "message": "No such path."}, 404)

    def push(self, request: Request) -> Response:
        raw = request.get_data()
        zipped = request.headers.get("Content-Encoding") == "gzip"
        body = json.loads(gzip.decompress(raw) if zipped else raw)
        if body.get("outlet") != self.outlet:
            return _json({"code": 403, "status": "Forbidden", "message": "Not your outlet."}, 403)
        events = sorted(body["events"], key=lambda e: e["seq"])
        if len(events) > 1000:
            return _json({"code": 422, "status": "Unprocessable Entity", "message": "Too many events.",
                          "errors": {"json": {"events": ["At most 1000."]}}}, 422)
        self.pushes.append({"gzip": zipped, "seqs": [e["seq"] for e in events]})
        if self.cut_before:
            self.cut_before -= 1
            raise _Cut()
        with self.lock:
            for event in events:
                seq = event["seq"]
                if seq <= self.accepted_through:
                    if self.stored.get(seq) == event["id"]:
                        continue
                    return _json({"code": 409, "status": "Conflict", "message": "Sequence conflict.",
                                  "accepted_through": self.accepted_through, "reason": "sequence_conflict"}, 409)
                if seq != self.accepted_through + 1:
                    break  # a gap: the rest of the batch waits for the missing events
                if event["id"] not in self.known:
                    self.applied.append(event)
                    self.known[event["id"]] = seq
                self.stored[seq] = event["id"]
                self.accepted_through = seq
            through = self.accepted_through
        if self.cut_after:
            self.cut_after -= 1
            raise _Cut()
        return _json({"accepted_through": through})

    def pull(self, request: Request) -> Response:
        cursor = int(request.args.get("cursor", 0))
        limit = min(int(request.args.get("limit", 500)), 1000)
        events = [e for e in self.feed if e["id"] > cursor][:limit]
        return _json({"cursor": events[-1]["id"] if events else cursor, "events": events})

    # --- the test's controls -------------------------------------------------------------

    def add_feed(self, type_: str, data: dict, at: str = "2026-11-20T03:00:00+00:00") -> int:
        feed_id = (self.feed[-1]["id"] if self.feed else 0) + 1
        self.feed.append({"id": feed_id, "type": type_, "at": at, "data": data})
        return feed_id

    def restore_to(self, seq: int) -> None:
        """The hub came back from a backup taken when it had accepted through `seq`."""
        with self.lock:
            for s in [s for s in self.stored if s > seq]:
                event_id = self.stored.pop(s)
                self.known.pop(event_id, None)
            self.applied = [e for e in self.applied if e["id"] in self.known]
            self.accepted_through = seq

    def ids_in_order(self) -> list[str]:
        return [self.stored[s] for s in sorted(self.stored)]


class _Cut(Exception):
    pass


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


class Served:
    """`with Served(app) as url:` the app on a real HTTP server on a free local port."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> str:
        self.thread.start()
        return self.url

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
