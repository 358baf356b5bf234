"""Is the database file sound? SQLite's own checks, and the shop's refusal to sell on a damaged file.

`check_database` runs `PRAGMA integrity_check` (every page, every index against its table) and
`PRAGMA foreign_key_check`, or the cheaper `PRAGMA quick_check` (the pages and b-trees, no index
cross-check) at start-up. PostgreSQL keeps its own pages sound: there is nothing to check and the
ledger sums (`gerai check-ledger`) are the whole proof.

The app checks once per process (`gerai serve` before it serves, otherwise the first request that
writes or shows a page): on a damaged file the till refuses every write with 503
`database_damaged`, and every page shows a banner saying to restore the last backup.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, current_app, request
from flask_babel import gettext

from gerai.db import READ_ONLY, Database, is_busy, utcnow

HEALTH = "gerai_health"
DAMAGED_REASON = "database_damaged"


def N_(text: str) -> str:  # noqa: N802 (gettext's marker name: Babel extracts these strings)
    return text


DAMAGED_MESSAGE = N_("The shop's database is damaged, so the till will not sell or change stock. Restore "
                               "the last backup with `gerai restore` (backups are in the instance folder's "
                               "backups/ folder), then start the shop again.")
MAX_PROBLEMS = 20
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_lock = threading.Lock()


@dataclass(frozen=True)
class Health:
    problems: tuple[str, ...]
    how: str  # "integrity_check", "quick_check", or "none" (PostgreSQL)
    seconds: float
    at: datetime = field(default_factory=utcnow)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_database(db: Database, *, quick: bool = False) -> Health:
    """SQLite's checks of the live file; a file SQLite cannot even open counts as damaged."""
    if db.dialect != "sqlite":
        return Health((), "none", 0.0)
    how = "quick_check" if quick else "integrity_check"
    started = time.perf_counter()
    problems: list[str] = []
    try:
        with db.engine.execution_options(**{READ_ONLY: True}).connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql(f"PRAGMA {how}({MAX_PROBLEMS})")]
            if rows != ["ok"]:
                problems += rows
            if not quick:
                for table, rowid, parent, _fk in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchmany(MAX_PROBLEMS):
                    problems.append(f"{table} row {rowid} refers to a missing {parent} row")
    except (sa.exc.DBAPIError, sqlite3.DatabaseError) as err:
        if is_busy(err):
            raise  # locked is not damaged: answered as busy (503, try again), and checked again next time
        orig = getattr(err, "orig", None) or err
        problems.append(f"SQLite cannot read the database: {orig}")
    return Health(tuple(problems), how, time.perf_counter() - started)


def health(app: Flask | None = None) -> Health:
    """This process's check of the database, run (quick) the first time it is asked for."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(HEALTH)
    if found is None:
        with _lock:
            found = app.extensions.get(HEALTH)
            if found is None:
                found = app.extensions[HEALTH] = check_database(app.extensions["gerai_db"], quick=True)
                if not found.ok:
                    app.logger.error("the database is damaged (%s): %s", found.how, "; ".join(found.problems))
    return found


def _refuse_writes_on_damage():
    """before_request (after the guard): check once; on a damaged database refuse every write."""
    if request.endpoint == "static" or (request.path.startswith("/api/") and request.method not in _WRITES):
        return None  # reads of the API and static files never trigger the check
    if health().ok or request.method not in _WRITES:
        return None
    from gerai.guard import current_user

    if current_user() is None:
        return None  # signing in (and out) still works; the guard has refused everything else
    from gerai.api import _page_error, error_body

    message = gettext(DAMAGED_MESSAGE)
    if request.path.startswith("/api/"):
        return error_body(503, message, DAMAGED_REASON), 503
    return _page_error(503, message)


def last_backup() -> dict | None:
    """For the stock page: when the newest daily backup was written (SQLite shops only)."""
    from gerai import backup
    from gerai.extensions import database, settings

    if database().dialect != "sqlite":
        return None
    try:
        p = backup.policy(settings())
    except backup.BackupError:
        return None
    at = backup.newest(p)
    return {"at": at, "stale": at is None or utcnow() - at > 2 * backup.MAX_AGE}


def install(app: Flask) -> None:
    app.before_request(_refuse_writes_on_damage)
    app.jinja_env.globals["last_backup"] = last_backup

    @app.context_processor
    def _database_health():
        found = app.extensions.get(HEALTH)
        return {"database_damaged": gettext(DAMAGED_MESSAGE) if found is not None and not found.ok else None}
