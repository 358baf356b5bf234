"""Users, passwords, bearer tokens and sign-in throttling (plain functions, no Flask)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from gerai import audit
from gerai.db import transactional, utcnow
from gerai.errors import Conflict, DomainError, Invalid
from gerai.fastsql import Prepared
from gerai.models import ROLES, LoginFailure, User

TOKEN_TTL = timedelta(hours=12)  # one long shift
THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_MAX_FAILURES = 5
MIN_PASSWORD_LENGTH = 6

# Who may do what; admin may do everything a manager may, a manager everything a cashier may.
CASHIER = ("cashier", "manager", "admin")
MANAGER = ("manager", "admin")
ADMIN = ("admin",)
ANY_ROLE = ROLES

# A hash to check against when the user does not exist, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("gerai-no-such-user")


class BadCredentials(DomainError):
    status = 401
    reason = "bad_credentials"
    template = "Wrong username or password."


class TooManyAttempts(DomainError):
    status = 429
    reason = "too_many_attempts"
    template = "Too many failed sign-ins for this name. Try again in %(minutes)s minutes."


def hash_password(password: str) -> str:
    return generate_password_hash(password)  # scrypt, salted


def _check_new_user(session: Session, username: str, role: str, password: str, supplier: str | None) -> None:
    if not username or len(username) > 64 or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise Invalid("A username is 1-64 letters, digits, '.', '-' or '_'.", field="username")
    if role not in ROLES:
        raise Invalid("Unknown role %(role)s; roles are %(roles)s.", field="role", role=role, roles=", ".join(ROLES))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("A password needs at least %(n)s characters.", field="password", n=MIN_PASSWORD_LENGTH)
    if role == "coordinator" and not supplier:
        raise Invalid("A coordinator belongs to one supplier: give its code.", field="supplier")
    exists = session.scalar(sa.select(User.id).where(sa.func.lower(User.username) == username.lower()))
    if exists:
        raise Conflict("User %(username)s already exists.", field="username", username=username)


@transactional
def create_user(session: Session, username: str, role: str, password: str, *, supplier: str | None = None,
                full_name: str = "", area: str | None = None, actor_id: int | None = None) -> User:
    username = username.strip()
    _check_new_user(session, username, role, password, supplier)
    user = User(username=username, role=role, password_hash=hash_password(password),
                supplier_code=supplier or None, full_name=full_name, area=area)
    session.add(user)
    session.flush()
    audit.record(session, "user_create", username, {"role": role, "supplier": supplier or None, "area": area,
                                                    "full_name": full_name}, user_id=actor_id)
    return user


def _recent_failures(session: Session, username: str, now: datetime) -> list[datetime]:
    return list(session.scalars(
        sa.select(LoginFailure.at).where(LoginFailure.username == username.lower(),
                                         LoginFailure.at > now - THROTTLE_WINDOW).order_by(LoginFailure.at)))


def _any_failure(session: Session, username: str) -> bool:
    return session.scalar(sa.select(LoginFailure.id).where(LoginFailure.username == username.lower()).limit(1)) is not None


def authenticate(session: Session, username: str, password: str, remote_addr: str = "",
                 now: datetime | None = None) -> User:
    """The active user with these credentials; every failure is recorded and throttled.

    The password is checked (scrypt, ~0.15 s) between two short transactions, never inside one:
    on SQLite a transaction that writes holds the shop's one write lock, and a sale must not wait
    for somebody's sign-in. Read the failures and the user; check; then record the failure or
    clear the old ones in a write of its own."""
    now = now or utcnow()
    failures = _recent_failures(session, username, now)
    user = _detached_user(_USER_BY_NAME.all(session.connection(), {"name": username.lower()}))
    clear = bool(failures) or _any_failure(session, username)
    session.commit()  # only read: lets go before the slow part
    if len(failures) >= THROTTLE_MAX_FAILURES:
        wait = failures[-THROTTLE_MAX_FAILURES] + THROTTLE_WINDOW - now
        raise TooManyAttempts(minutes=max(1, int(wait.total_seconds() // 60) + 1))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if not (user and ok and user.active):
        _record_failure(session, username, remote_addr, now)
        raise BadCredentials()
    if clear:
        _clear_failures(session, username)
    return user


@transactional
def _record_failure(session: Session, username: str, remote_addr: str, now: datetime) -> None:
    session.add(LoginFailure(username=username.lower()[:64], remote_addr=remote_addr[:64], at=now))


@transactional
def _clear_failures(session: Session, username: str) -> None:
    session.execute(sa.delete(LoginFailure).where(LoginFailure.username == username.lower()))


@transactional
def set_password(session: Session, username: str, password: str, *, actor_id: int | None = None) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("A password needs at least %(n)s characters.", field="password", n=MIN_PASSWORD_LENGTH)
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise Invalid("No user %(username)s.", field="username", username=username)
    user.password_hash = hash_password(password)
    audit.record(session, "user_password", username, {}, user_id=actor_id)


@transactional
def change_user(session: Session, username: str, *, role: str | None = None, active: bool | None = None,
                actor_id: int | None = None) -> User:
    """A new role, or (de)activation: a deactivated user's session and tokens stop working at once."""
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise Invalid("No user %(username)s.", field="username", username=username)
    if role is not None and role not in ROLES:
        raise Invalid("Unknown role %(role)s; roles are %(roles)s.", field="role", role=role, roles=", ".join(ROLES))
    if role == "coordinator" and not user.supplier_code:
        raise Invalid("A coordinator belongs to one supplier: give its code.", field="supplier")
    before = {"role": user.role, "active": user.active}
    after = {"role": user.role if role is None else role, "active": user.active if active is None else active}
    if after != before:
        user.role, user.active = after["role"], after["active"]
        audit.record(session, "user_change", username, audit.changed(before, after), user_id=actor_id)
    return user


def password_fingerprint(user: User) -> str:
    """Changes when the password changes, so old tokens stop working."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:12]


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="gerai-api-token")


def issue_token(secret_key: str, user: User, now: datetime | None = None) -> tuple[str, datetime]:
    now = now or utcnow()
    token = _serializer(secret_key).dumps({"u": user.id, "f": password_fingerprint(user)})
    return token, now + TOKEN_TTL


_USER_COLUMNS = tuple(User.__table__.c.keys())
_USER_BY_ID = Prepared(sa.select(*User.__table__.c).where(User.__table__.c.id == sa.bindparam("uid")))
_USER_BY_NAME = Prepared(sa.select(*User.__table__.c).where(sa.func.lower(User.__table__.c.username) == sa.bindparam("name")))


def _detached_user(rows: list[tuple]) -> User | None:
    """A user row as a User object in no session: it outlives the transaction that read it."""
    return User(**dict(zip(_USER_COLUMNS, rows[0]))) if rows else None


def user_by_id(session: Session, user_id: int) -> User | None:
    """The user as a detached object, read with one prepared query: every request does this, and
    an ORM identity load costs a good part of a whole sale (DESIGN.md, Targets)."""
    return _detached_user(_USER_BY_ID.all(session.connection(), {"uid": user_id}))


def user_for_token(session: Session, secret_key: str, token: str) -> User | None:
    """The active user a bearer token stands for, or None if it is forged, expired or revoked."""
    try:
        data = _serializer(secret_key).loads(token, max_age=int(TOKEN_TTL.total_seconds()))
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = user_by_id(session, data["u"])
    if user is None or not user.active or password_fingerprint(user) != data.get("f"):
        return None
    return user
