"""The fuzz run's settings, its shop, the ledger digest and the request tally (used by conftest.py and the tests).

Settings come from the environment:
- GERAI_FUZZ_EXAMPLES: examples per operation and role in schemathesis' fuzzing phase (default 12).
- GERAI_FUZZ_SEED: unset = deterministic (the same cases on every run, as in CI); an integer = that seed;
  `random` = a fresh seed each run (exploration; the seed is printed in the summary).
"""
from __future__ import annotations

import atexit
import hashlib
import os
import random
import re
import shutil
import sqlite3
import tempfile
import uuid
from collections import Counter, defaultdict
from pathlib import Path

from gerai.app import create_app
from gerai.config import load_config

DEFAULT_EXAMPLES = 12
ROLES = ("cashier", "manager", "admin", "coordinator", "monitor")

# The operations fuzzed, by path prefix (after /api/v1). The hub's sync endpoints join here when they land
# on main (add "/sync"); anything not listed is left out, so a new blueprint is a deliberate addition.
OPERATION_PREFIXES = (
    "/auth", "/products", "/suppliers", "/stock", "/restock", "/restock-requests", "/shifts", "/sales",
    "/members", "/lpg", "/settings", "/qris", "/audit",
)

# A refused write may leave these behind on purpose (a failed sign-in is counted for throttling).
NOT_IN_DIGEST = {"login_failures", "alembic_version"}


def _make_app():
    """The fuzzed shop's app, made at import so schemathesis can read its OpenAPI document while collecting
    the tests; its instance folder is empty until the `fuzz_app` fixture puts a migrated database there."""
    inst = Path(tempfile.mkdtemp(prefix="gerai-fuzz-"))
    atexit.register(shutil.rmtree, inst, ignore_errors=True)
    app = create_app(load_config({}, instance=str(inst), secret_key="fuzz-" + uuid.uuid4().hex, timezone="Asia/Jakarta"))
    app.config.update(TESTING=True)
    return app


FUZZ_APP = _make_app()


def _roles_by_operation(app) -> dict[tuple[str, str], tuple[str, ...] | None]:
    """(OpenAPI path, METHOD) -> the roles its view allows (None: public), read from the views' @roles."""
    out = {}
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if view_class is None or not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            func = getattr(view_class, method.lower(), None)
            public = getattr(view_class, "gerai_public", False) or getattr(func, "gerai_public", False)
            out[(path, method)] = None if public else tuple(getattr(func, "gerai_roles", ROLES))
    return out


ROLES_BY_OPERATION = _roles_by_operation(FUZZ_APP)


def examples() -> int:
    return int(os.environ.get("GERAI_FUZZ_EXAMPLES") or DEFAULT_EXAMPLES)


def seed() -> int | None:
    """None = deterministic (derandomized); otherwise the seed to use."""
    raw = (os.environ.get("GERAI_FUZZ_SEED") or "").strip()
    if not raw:
        return None
    if raw == "random":
        return random.SystemRandom().getrandbits(64)
    return int(raw)


SEED = seed()


class LedgerWatch:
    """The shop's digest: a hash over every table but those in NOT_IN_DIGEST (the ledger tables among them),
    read on a connection of its own. SQLite's `PRAGMA data_version` on that connection changes whenever another
    connection commits, so the digest is only read again after something committed: a refused request that
    committed nothing at all needs no second read (and one that did is compared in full)."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._version: int | None = None
        self._digest = ""
        self.reads = 0

    def close(self) -> None:
        self.conn.close()

    def digest(self) -> str:
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            self._version, self._digest = version, self._read()
        return self._digest

    def sums(self) -> dict[str, tuple]:
        """Per ledger table: row count and the sums that matter (for a readable failure message)."""
        sql = {"stock_levels": "SELECT count(*), COALESCE(SUM(on_hand), 0) FROM stock_levels",
               "stock_movements": "SELECT count(*), COALESCE(SUM(qty), 0) FROM stock_movements",
               "sales": "SELECT count(*), COALESCE(SUM(total), 0) FROM sales",
               "restock_requests": "SELECT count(*) FROM restock_requests"}
        return {name: self.conn.execute(q).fetchone() for name, q in sql.items()}

    def _read(self) -> str:
        self.reads += 1
        h = hashlib.sha256()
        self.conn.execute("BEGIN")  # one snapshot for all tables
        try:
            tables = [r[0] for r in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            for name in tables:
                if name in NOT_IN_DIGEST:
                    continue
                rows = self.conn.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall()
                h.update(f"{name}:{len(rows)}:{rows!r}".encode())
        finally:
            self.conn.execute("COMMIT")
        return h.hexdigest()


class Tally:
    """Requests sent, per role and per status class; printed at the end of the run."""

    def __init__(self) -> None:
        self.by_role: Counter[str] = Counter()
        self.by_status: dict[str, Counter[str]] = defaultdict(Counter)
        self.refused_writes = 0
        self.unnamed: set[str] = set()

    def add(self, role: str, status: int) -> None:
        self.by_role[role] += 1
        self.by_status[role][f"{status // 100}xx"] += 1

    @property
    def total(self) -> int:
        return sum(self.by_role.values())

    def lines(self) -> list[str]:
        if not self.total:
            return []
        mode = "deterministic" if SEED is None else f"seed {SEED}"
        out = [f"gerai fuzz: {self.total} requests ({examples()} fuzzing examples per operation, each sent as every "
               f"role allowed and one refused; {mode}); {self.refused_writes} refused writes, each with the ledger "
               f"digest unchanged"]
        for role, n in sorted(self.by_role.items()):
            classes = ", ".join(f"{k} {v}" for k, v in sorted(self.by_status[role].items()))
            out.append(f"gerai fuzz:   {role}: {n} requests ({classes})")
        out += [f"gerai fuzz:   422 without a field: {u}" for u in sorted(self.unnamed)]
        return out


TALLY = Tally()
