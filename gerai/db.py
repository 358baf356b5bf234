"""Database plumbing: declarative base, engines with durable SQLite settings, sessions.

SQLite (the shop): WAL, synchronous=FULL (a sale the till was told about survives a power
cut), foreign keys on, a busy timeout, and `BEGIN IMMEDIATE` for every writing transaction so
that a reader that later writes never meets SQLITE_BUSY halfway. Read-only work uses
`Database.read_session()`, which begins a deferred transaction and never blocks a sale.

A web request that may write uses `Database.request_session()`: it reads (deferred BEGIN) until
a service starts (`@transactional`, or `writing(session)` for a service that commits itself),
which ends the read and begins its own BEGIN IMMEDIATE; once the service is done the session
reads again. SQLite has one write lock for the whole shop: a request holds it only while its
service runs, never while it checks a password or builds its answer.
"""
from __future__ import annotations

import functools
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterator, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import immutabledict

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
READ_ONLY = "gerai_read_only"
READS_UNTIL_WRITE = "gerai_reads_until_write"  # session.info: a request's session (SQLite), see writing()
SERVICE_DEPTH = "gerai_service_depth"  # session.info: services running on the session, outermost first
_READING = immutabledict({READ_ONLY: True})
_WRITING = immutabledict({READ_ONLY: False})
SQLITE_BUSY_TIMEOUT_MS = 15000


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on every engine."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _sqlite_on_connect(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, see _sqlite_on_begin
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.close()


def _sqlite_on_begin(conn) -> None:
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    # Straight on the driver: every write request begins here, and Core's execute path costs
    # ten times what SQLite does for a BEGIN.
    conn.connection.driver_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs) -> sa.Engine:
    """An engine with the project's settings; SQLite gets the durability recipe above.

    SQL parameters stay out of logs and error messages (`hide_parameters`): they carry usernames,
    password hashes and buyers' NIK hashes."""
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """Engine and session factories for one database; built by the app factory or a CLI command."""

    def __init__(self, url: str, *, timezone: str = "Asia/Jakarta", **engine_kwargs) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        # Every session carries the shop's time zone (its local day), the listeners that
        # packages built on `inventory` registered at app start (see inventory.events), and a
        # cache shared by this database's sessions for read models derived from the past.
        self.session_info: dict = {"timezone": timezone, "listeners": {}, "cache": {}}
        self._write = sessionmaker(self.engine, expire_on_commit=False, info=self.session_info)
        self._read = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False,
                                  info=self.session_info)
        sqlite = self.dialect == "sqlite"
        self._request = sessionmaker(self.engine, expire_on_commit=False, info={**self.session_info,
                                     READS_UNTIL_WRITE: sqlite}, execution_options=_READING if sqlite else None)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        """A session whose transaction may write (BEGIN IMMEDIATE on SQLite)."""
        return self._write()

    def read_session(self) -> Session:
        """A session for reading only: on SQLite it never takes the write lock."""
        return self._read()

    def request_session(self) -> Session:
        """A session that reads until a service writes (see the module docstring and `writing`)."""
        return self._request()

    def dispose(self) -> None:
        self.engine.dispose()


P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def writing(session: Session) -> Iterator[Session]:
    """Run a service's writes: count it (only the outermost service commits) and, on a request's
    session, end the read transaction first so that the writes begin with their own BEGIN
    IMMEDIATE; once the outermost service is done, the session reads again (deferred BEGIN).

    Objects read before the service are expired, so the service sees them as they are under the
    write lock, not as they were when read. The caller commits or rolls back (`@transactional`)."""
    depth = session.info.get(SERVICE_DEPTH, 0)
    switch = depth == 0 and session.info.get(READS_UNTIL_WRITE, False)
    session.info[SERVICE_DEPTH] = depth + 1
    try:
        if switch:
            session.execution_options = _WRITING  # a transaction begun from now on: BEGIN IMMEDIATE
            if session.in_transaction():
                _read_to_write(session)  # may wait for the lock, and give up: busy (gerai.api answers 503)
            session.expire_all()
        yield session
    finally:
        session.info[SERVICE_DEPTH] = depth
        if switch:
            session.execution_options = _READING  # from the next transaction on: the answer only reads


def _read_to_write(session: Session) -> None:
    """End the session's read transaction and begin a writing one on the same connection.

    Only reads ran, so ending the read loses nothing; the writes must not be made inside it
    (SQLite would refuse them with SQLITE_BUSY_SNAPSHOT, waiting for nothing, if another writer
    committed since the read began). Done on the driver: through the Session it cost a pool
    check-in and check-out, twice what the statements do, on every sale."""
    if session.new or session.dirty or session.deleted:
        session.commit()  # (not expected: a view left changes before its service) let the service start clean
        return
    driver = session.connection().connection.driver_connection
    driver.execute("COMMIT")
    driver.execute("BEGIN IMMEDIATE")


def transactional(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a service in one transaction on its first argument (a Session): commit or roll back.

    A service called by another service joins the caller's transaction: only the outermost one
    commits (or rolls back), so a refusal late in the outer service undoes the inner one's work too."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session: Session = args[0]  # type: ignore[assignment]
        if session.info.get(SERVICE_DEPTH, 0):
            return fn(*args, **kwargs)
        with writing(session):
            try:
                result = fn(*args, **kwargs)
                session.commit()
                return result
            except BaseException:
                session.rollback()
                raise

    return wrapper


# PostgreSQL: serialization_failure, deadlock_detected (the transaction was rolled back; a retry may succeed)
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def is_busy(err: BaseException) -> bool:
    """The database could not do it now, and did nothing: SQLite's lock stayed taken past the busy
    timeout (`database is locked`), or PostgreSQL gave up a transaction in a serialization failure
    or a deadlock. Raised through SQLAlchemy (`DBAPIError.orig`) or straight from the driver (the
    BEGIN IMMEDIATE of `_sqlite_on_begin`)."""
    orig = err.orig if isinstance(err, sa.exc.DBAPIError) else err
    if isinstance(orig, sqlite3.OperationalError):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return (code & 0xFF) in (_SQLITE_BUSY, _SQLITE_LOCKED)  # extended codes: SQLITE_BUSY_SNAPSHOT...
        return str(orig).startswith(("database is locked", "database table is locked"))
    return getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES  # psycopg 3


def lock_rows(stmt: sa.Select, session: Session) -> sa.Select:
    """`SELECT ... FOR UPDATE` where the engine has row locks (SQLite already holds the write lock)."""
    return stmt if session.get_bind().dialect.name == "sqlite" else stmt.with_for_update()
