"""Authentication: login with throttling, server-side sessions, API tokens, CSRF tokens."""

import hashlib
import ipaddress
import math
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import clock
from ..errors import Problem
from ..database import is_write_context
from ..extensions import db
from ..models import ApiToken, LoginThrottle, User, UserSession
from . import audit, passwords

SESSION_IDLE = timedelta(minutes=30)
SESSION_ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at / last_used_at are written at most this often
CSRF_MAX_AGE = 3600
SCOPES = ("read", "write", "admin")
ROLE_SCOPES = {"admin": {"read", "write", "admin"}, "librarian": {"read", "write"}, "member": {"read", "write"}}
# Login throttling, keyed by account and client address (an IPv4 address, or an IPv6 /64: one host's share),
# so that a stranger's failures slow the stranger, not the owner: after FREE_FAILURES from one client the
# wait doubles from 1 s up to MAX_BACKOFF, and at most MAX_FAILURES are evaluated per client in a WINDOW.
# Across all clients an account takes ACCOUNT_MAX_FAILURES failures a WINDOW (a distributed guess); beyond
# that only clients with no failure of their own for it are still heard (the owner, from their usual device).
FREE_FAILURES, MAX_BACKOFF, MAX_FAILURES, WINDOW = 5, 60, 100, timedelta(hours=1)
ACCOUNT_MAX_FAILURES = 1000
ALL_CLIENTS = "*"
BAD_LOGIN = "Incorrect email or password."


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class Principal:
    """Who is calling: a user through a session or a token, or nobody."""

    user: User | None = None
    via: str = "anonymous"  # anonymous | session | token
    scopes: frozenset = field(default_factory=frozenset)
    session: UserSession | None = None
    token: ApiToken | None = None

    @property
    def role(self):
        return self.user.role if self.user else None


# --- login and throttling ---------------------------------------------------------------------------

def client_key(address: str | None) -> str:
    """The throttle's key for a client address: the IPv4 address, or the /64 network of an IPv6 address (a
    host or home network gets a whole /64, so single addresses would cost an attacker nothing)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def _throttle_row(email_key: str, client: str, now) -> LoginThrottle:
    """A counter, locked for this transaction (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(LoginThrottle).values(email_key=email_key, client_key=client, failures=0,
                                                    window_started_at=now, last_failure_at=now).on_conflict_do_nothing())
    row = db.session.scalars(select(LoginThrottle).where(LoginThrottle.email_key == email_key,
                                                         LoginThrottle.client_key == client).with_for_update()).one()
    if now - row.window_started_at >= WINDOW:
        row.failures, row.window_started_at = 0, now
    return row


def _retry_after(row: LoginThrottle, account: LoginThrottle, now) -> int:
    """Seconds this client must wait before its next attempt at this account is evaluated (0: go ahead)."""
    if account.failures >= ACCOUNT_MAX_FAILURES and row.failures > 0:
        wait_until = account.window_started_at + WINDOW
    elif row.failures >= MAX_FAILURES:
        wait_until = row.window_started_at + WINDOW
    elif row.failures >= FREE_FAILURES:
        wait_until = row.last_failure_at + timedelta(seconds=min(2 ** (row.failures - FREE_FAILURES), MAX_BACKOFF))
    else:
        return 0
    return max(0, math.ceil((wait_until - now).total_seconds()))


def _count_failure(row: LoginThrottle, now) -> None:
    if row.failures == 0:
        row.window_started_at = now
    row.failures += 1
    row.last_failure_at = now


def login(email: str, password: str, hash_params: tuple, user_agent: str | None,
          client_address: str | None = None) -> tuple[UserSession, str]:
    """Check the credentials (throttled per account and client address) and open a session; returns it and
    its raw id (the cookie).

    Unknown email, wrong password and a disabled account all answer the same 401 after the same work
    (an Argon2 verify against a dummy hash when there is no user). A client's first failure past its free
    ones (and the account's past its ceiling) is a lockout, recorded in the audit trail.
    """
    key = email.strip().lower()
    client = client_key(client_address)
    now = clock.now()
    # Counters whose window is over hold nothing worth keeping; this keeps the table small.
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - WINDOW,
                                                   LoginThrottle.email_key != key))
    account = _throttle_row(key, ALL_CLIENTS, now)  # always locked first: one lock order, no deadlock
    row = _throttle_row(key, client, now)
    if wait := _retry_after(row, account, now):
        db.session.commit()
        audit.log_auth("login.throttled", f"{key} from {client}")
        raise Problem(429, "Too many failed logins for this account from your address; try again later.",
                      headers={"Retry-After": str(wait)})
    user = db.session.scalar(select(User).where(User.email == key))
    ok = passwords.verify(user.password_hash if user else None, password, hash_params)
    if not ok or not user.is_active:
        _count_failure(row, now)
        _count_failure(account, now)
        audit.record("auth.login_failed", actor=user, actor_label=key[:254], summary={"client": client})
        if row.failures == FREE_FAILURES or account.failures == ACCOUNT_MAX_FAILURES:
            scope = "client" if row.failures == FREE_FAILURES else "account"
            audit.record("auth.lockout", actor=user, actor_label=key[:254], summary={
                "client": client, "scope": scope, "failures": row.failures if scope == "client" else account.failures,
                "retry_after": _retry_after(row, account, now) if scope == "client" else
                math.ceil((account.window_started_at + WINDOW - now).total_seconds())})
        db.session.commit()
        raise Problem(401, BAD_LOGIN)
    row.failures = 0  # this client's slate is clean; the account's count of others' failures stays
    if passwords.needs_rehash(user.password_hash, hash_params):
        user.password_hash = passwords.hash_password(password, hash_params)
    user.last_login_at = now
    session, raw = _open_session(user, now, user_agent)
    audit.record("auth.login", actor=user)
    db.session.commit()
    return session, raw


# --- sessions ---------------------------------------------------------------------------------------

def _open_session(user: User, now, user_agent: str | None) -> tuple[UserSession, str]:
    raw = secrets.token_urlsafe(32)
    session = UserSession(id_hash=digest(raw), user=user, created_at=now, last_seen_at=now,
                          expires_at=now + SESSION_ABSOLUTE, user_agent=(user_agent or "")[:200] or None)
    db.session.add(session)
    return session, raw


def open_session(user: User, user_agent: str | None) -> tuple[UserSession, str]:
    """A fresh session for user (after a password change); the caller commits."""
    return _open_session(user, clock.now(), user_agent)


def session_principal(raw: str) -> Principal | None:
    """The principal of a session cookie, or None when it is unknown, expired, revoked or its user is disabled."""
    now = clock.now()
    row = db.session.scalar(select(UserSession).where(UserSession.id_hash == digest(raw)))
    if (row is None or row.revoked_at is not None or now >= row.expires_at
            or now - row.last_seen_at >= SESSION_IDLE or not row.user.is_active):
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        _touch(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
    return Principal(user=row.user, via="session", scopes=frozenset(ROLE_SCOPES[row.user.role]), session=row)


def _touch(statement) -> None:
    """Record activity. A write request does it in its own transaction (which holds SQLite's write lock
    already); a read request in a separate short one, so its read transaction never upgrades to a write."""
    if is_write_context():
        db.session.execute(statement)
        return
    with db.engine.begin() as connection:
        connection.execute(statement)


def revoke_sessions(user: User, now=None) -> int:
    """End every open session of user (logout everywhere, password change, disable, role change)."""
    result = db.session.execute(
        update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now or clock.now())
    )
    return result.rowcount


def revoke_session(session: UserSession) -> None:
    session.revoked_at = clock.now()


def open_sessions(user: User) -> list[UserSession]:
    now = clock.now()
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
                                  UserSession.expires_at > now, UserSession.last_seen_at > now - SESSION_IDLE)
        .order_by(UserSession.id)
    ))


# --- CSRF -------------------------------------------------------------------------------------------

class _ClockSigner(TimestampSigner):
    def get_timestamp(self):
        return int(clock.now().timestamp())


def _csrf_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="library-csrf", signer=_ClockSigner)


def csrf_token(session: UserSession, secret_key: str) -> str:
    """A signed, timed token bound to one session (what Flask-WTF does, for our server-side sessions)."""
    return _csrf_serializer(secret_key).dumps(session.id)


def check_csrf(token: str | None, session: UserSession, secret_key: str) -> None:
    if not token:
        raise Problem(400, "The CSRF token is missing; send it in the X-CSRFToken header.")
    try:
        bound_to = _csrf_serializer(secret_key).loads(token, max_age=CSRF_MAX_AGE)
    except SignatureExpired:
        raise Problem(400, "The CSRF token has expired; fetch a new one from /api/v1/auth/csrf.") from None
    except BadSignature:
        raise Problem(400, "The CSRF token is invalid.") from None
    if bound_to != session.id:
        raise Problem(400, "The CSRF token is invalid.")


# --- API tokens -------------------------------------------------------------------------------------

def token_principal(raw: str) -> Principal | None:
    now = clock.now()
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    if row is None or row.revoked_at is not None or now >= row.expires_at or not row.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        _touch(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    scopes = frozenset(row.scope_list) & ROLE_SCOPES[row.user.role]  # a demoted user's tokens shrink with them
    return Principal(user=row.user, via="token", scopes=scopes, token=row)


def create_token(user: User, name: str, scopes: list[str], days: int, limit: frozenset) -> tuple[ApiToken, str]:
    """A new token; its scopes may not exceed the owner's role nor the caller's own scopes."""
    allowed = ROLE_SCOPES[user.role] & limit
    if not set(scopes) <= allowed:
        extra = ", ".join(sorted(set(scopes) - allowed))
        raise Problem(422, "The request has invalid fields; see errors.", {"scopes": [f"Not allowed for you: {extra}."]})
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken(token_hash=digest(raw), user=user, name=name, scopes=",".join(s for s in SCOPES if s in scopes),
                     created_at=now, expires_at=now + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    audit.record("auth.token_created", actor=user, resource=token, summary={"name": name, "scopes": token.scopes})
    db.session.commit()
    return token, raw


def revoke_tokens(user: User, now=None) -> int:
    result = db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or clock.now())
    )
    return result.rowcount


def revoke_token(token: ApiToken, actor: User) -> None:
    token.revoked_at = clock.now()
    audit.record("auth.token_revoked", actor=actor, resource=token, summary={"name": token.name})
    db.session.commit()


def active_tokens_query(user: User):
    return (select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
                                   ApiToken.expires_at > clock.now()))


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
