"""The request's database session and the app's Database, reached through Flask's globals."""
from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy.orm import Session

from gerai.config import Settings
from gerai.db import Database


def database() -> Database:
    return current_app.extensions["gerai_db"]


def settings() -> Settings:
    return current_app.extensions["gerai_settings"]


def db_session() -> Session:
    """One session per request: read-only (never takes SQLite's write lock) for GET and HEAD; for
    other methods it reads until a service writes, and reads again once the service is done
    (`gerai.db.writing`): the write lock is held for the service alone."""
    if "db_session" not in g:
        db = database()
        g.db_session = db.read_session() if request.method in ("GET", "HEAD") else db.request_session()
    return g.db_session


def close_db_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()  # rolls back anything a service did not commit
