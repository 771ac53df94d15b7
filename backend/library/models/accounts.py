"""Accounts: users, their browser sessions and API tokens, login throttling, password links, and the audit trail."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .catalog import Timestamped
from .types import UTCDateTime, utcnow

ROLES = ("admin", "librarian", "member")
EMAIL_MAX = 254
DISPLAY_NAME_MAX = 100
TOKEN_NAME_MAX = 100


class User(Timestamped, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)  # stored lower-cased
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX))
    role: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A temporary password set by staff: until the user chooses their own, only that is allowed (authz.py).
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The user asked for a new password ("Forgot your password?") and no link has been made since.
    password_reset_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sessions: Mapped[list["UserSession"]] = relationship(back_populates="user", passive_deletes=True)
    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user", passive_deletes=True)


class UserSession(db.Model):
    """A browser session; the cookie holds a random id, the table only its SHA-256."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship(back_populates="sessions")


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored (the token has 256 random bits)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(TOKEN_NAME_MAX))
    scopes: Mapped[str] = mapped_column(String(50))  # comma-separated: read,write,admin
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")

    @property
    def scope_list(self):
        return [s for s in self.scopes.split(",") if s]


class LoginThrottle(db.Model):
    """Failed logins per account (by lower-cased email, known or not) and client address, shared by every
    worker; client_key "*" counts the account's failures from every address."""

    __tablename__ = "login_throttle"
    __table_args__ = (CheckConstraint("failures >= 0", name="failures_not_negative"),)

    email_key: Mapped[str] = mapped_column(String(EMAIL_MAX), primary_key=True)
    client_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


LINK_PURPOSES = ("welcome", "reset")


class PasswordLink(db.Model):
    """A one-time link to set a password: a new account's first (welcome) or a forgotten one (reset).

    Only the SHA-256 of the link's secret is stored; a user has at most one open (unused) link, so a
    new link replaces the last one."""

    __tablename__ = "password_link"
    __table_args__ = (
        CheckConstraint("purpose IN ('welcome', 'reset')", name="purpose_known"),
        Index("uq_password_link_one_open_per_user", "user_id", unique=True,
              sqlite_where=text("used_at IS NULL"), postgresql_where=text("used_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AccountRequest(db.Model):
    """A public request (a password reset, a sign-up) by the email and address it came with, known account
    or not: the throttle counts them (services/throttle.py), and they are forgotten after its window."""

    __tablename__ = "account_request"
    __table_args__ = (Index("ix_account_request_kind_email", "kind", "email_key"),
                      Index("ix_account_request_kind_address", "kind", "remote_addr"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # reset | register
    email_key: Mapped[str] = mapped_column(String(EMAIL_MAX))
    remote_addr: Mapped[str] = mapped_column(String(45))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AuditEvent(db.Model):
    """Who did what, when: every write to audited records and every authentication event."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_resource", "resource_type", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(EMAIL_MAX))  # email or "system", kept if the user goes
    action: Mapped[str] = mapped_column(String(50), index=True)
    resource_type: Mapped[str | None] = mapped_column(String(30))
    resource_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
