"""Online backup and restore of the shop's SQLite database (PostgreSQL: use pg_dump)."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

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
