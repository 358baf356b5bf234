"""Online backup and restore of the shop's SQLite database (PostgreSQL: use pg_dump), and the daily
backup that `gerai serve` (or `gerai backup --auto` from cron / Task Scheduler) keeps in the instance
folder's backups/ folder."""
from __future__ import annotations

import logging
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from gerai.config import Settings
from gerai.db import Database
from gerai.migrate import known_revisions

REQUIRED_TABLES = {"alembic_version", "users", "products", "stock_levels", "stock_movements"}


class BackupError(Exception):
    """The message says what to do."""


def _sqlite_path(db: Database) -> Path:
    if db.dialect != "sqlite":
        raise BackupError("this database is PostgreSQL: back it up with pg_dump and restore with pg_restore")
    path = db.engine.url.database
    if not path or path == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(path)


def _copy(src: sqlite3.Connection, dst: sqlite3.Connection) -> None:
    """SQLite's online backup API: a consistent snapshot even while the till is selling."""
    src.backup(dst, pages=4096)


def backup(db: Database, target: Path) -> None:
    source = _sqlite_path(db)
    target = Path(target)
    if target.resolve() == source.resolve():
        raise BackupError("the backup file cannot be the live database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
        _copy(src, dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    src.close()
    dst.close()
    check_backup_file(partial)
    partial.replace(target)  # atomic: a half-written backup never carries the final name


def check_backup_file(path: Path) -> None:
    """Refuse anything that is not a sound Gerai database."""
    try:
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise BackupError(f"{path} is not a Gerai backup (not an SQLite database)")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not REQUIRED_TABLES <= tables:
                raise BackupError(f"{path} is not a Gerai backup (tables missing: "
                                  f"{', '.join(sorted(REQUIRED_TABLES - tables))})")
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} is damaged (SQLite integrity check failed)")
            revisions = {r[0] for r in conn.execute("SELECT version_num FROM alembic_version")}
            if not revisions or not revisions <= known_revisions():
                raise BackupError(f"{path} has database revision {', '.join(sorted(revisions)) or 'none'}, which this "
                                  "version of Gerai does not know: restore it with the version that wrote it")
        finally:
            conn.close()
    except (OSError, sqlite3.DatabaseError) as err:
        raise BackupError(f"{path} cannot be read as a Gerai backup: {err}") from None


def restore(db: Database, backup_file: Path) -> Path:
    """Put a backup in place through the backup API (safe with WAL); return where the old copy went."""
    check_backup_file(backup_file)
    live = _sqlite_path(db)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    kept = live.with_name(f"{live.stem}.before-restore-{stamp}{live.suffix}")
    db.dispose()
    if live.exists():
        backup(db, kept)
    with sqlite3.connect(backup_file) as src, sqlite3.connect(live) as dst:
        _copy(src, dst)
    src.close()
    dst.close()
    db.dispose()
    return kept


# --- the daily backup: instance/backups/gerai-YYYYMMDD-HHMM.db, the newest GERAI_BACKUP_KEEP kept --------

BACKUP_PATTERN = re.compile(r"^gerai-(\d{8})-(\d{4})\.db$")
DEFAULT_HOUR, DEFAULT_KEEP = 21, 14
MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True)
class Policy:
    folder: Path
    hour: int  # local hour of the daily backup
    keep: int
    tz: ZoneInfo


def policy(settings: Settings) -> Policy:
    """GERAI_BACKUP_HOUR (0-23, default 21, the shop's local time) and GERAI_BACKUP_KEEP (default 14)."""
    def number(name: str, default: int, low: int, high: int) -> int:
        raw = settings.extra.get(name, "").strip()
        if not raw:
            return default
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise BackupError(f"{name} must be a whole number from {low} to {high}, not {raw!r}")
        return int(raw)

    return Policy(settings.instance_path / "backups", number("GERAI_BACKUP_HOUR", DEFAULT_HOUR, 0, 23),
                  number("GERAI_BACKUP_KEEP", DEFAULT_KEEP, 1, 3650), settings.tz)


def backups(folder: Path, tz: ZoneInfo) -> list[tuple[datetime, Path]]:
    """The daily backups in the folder, oldest first, with the local time in their names."""
    found = []
    for path in folder.glob("gerai-*.db") if folder.is_dir() else ():
        m = BACKUP_PATTERN.match(path.name)
        if m:
            try:
                found.append((datetime.strptime(m[1] + m[2], "%Y%m%d%H%M").replace(tzinfo=tz), path))
            except ValueError:
                continue
    return sorted(found)


def newest(p: Policy) -> datetime | None:
    found = backups(p.folder, p.tz)
    return found[-1][0] if found else None


def run_scheduled(db: Database, p: Policy, now: datetime | None = None) -> Path:
    """One scheduled backup: write it (verified before it takes its name), then keep the newest `keep`."""
    now = (now or datetime.now(timezone.utc)).astimezone(p.tz)
    target = p.folder / now.strftime("gerai-%Y%m%d-%H%M.db")
    backup(db, target)
    for _, old in backups(p.folder, p.tz)[:-p.keep]:
        old.unlink(missing_ok=True)
    return target


def next_run(p: Policy, now: datetime, last: datetime | None) -> datetime:
    """Now if there is no backup or the newest is 24 h old or more; otherwise the next GERAI_BACKUP_HOUR."""
    now = now.astimezone(p.tz)
    if last is None or now - last >= MAX_AGE:
        return now
    at = now.replace(hour=p.hour, minute=0, second=0, microsecond=0)
    return at if at > now else at + timedelta(days=1)  # (a day with a DST change shifts it by its hour; none in Indonesia)


class Scheduler(threading.Thread):
    """`gerai serve`'s background thread: a backup at start-up if the newest is 24 h old, then one a day."""

    def __init__(self, db: Database, p: Policy, log: logging.Logger, clock=lambda: datetime.now(timezone.utc)) -> None:
        super().__init__(name="gerai-backup", daemon=True)
        self.db, self.policy, self.log, self.clock = db, p, log, clock
        self.stopped = threading.Event()
        self.runs: list[Path] = []

    def run(self) -> None:
        while not self.stopped.is_set():
            due = next_run(self.policy, self.clock(), newest(self.policy))
            wait = (due - self.clock()).total_seconds()
            if wait > 0:
                self.stopped.wait(min(wait, 600))  # wake now and then: the clock may have been set
                continue
            try:
                path = run_scheduled(self.db, self.policy, self.clock())
                self.runs.append(path)
                self.log.info("backup written and verified: %s", path)
            except (BackupError, OSError, sqlite3.Error) as err:
                self.log.error("the daily backup failed: %s", err)
                self.stopped.wait(600)  # try again in ten minutes

    def stop(self) -> None:
        self.stopped.set()
