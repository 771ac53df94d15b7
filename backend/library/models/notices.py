"""Notices: the outbox of e-mails to members and users, the admins' templates, and members' choices.

A notice row is written in the same transaction as the event that causes it (a hold captured, a reset link
asked for, a loan due soon), so it exists exactly when its event committed. The sender (services/mailer.py)
leases a row, sends it and marks it; a lease that ran out means the sender died, and the row is sent again
with the same Message-ID (the one duplicate allowed).
"""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .circulation import Member
from .types import UTCDateTime, utcnow

NOTICE_KINDS = ("hold_ready", "due_soon", "overdue", "password_reset")
MEMBER_CHOICE_KINDS = ("hold_ready", "due_soon", "overdue")  # members may turn these off (hold_ready: not while a hold is open)
NOTICE_STATES = ("queued", "sending", "sent", "failed", "suppressed")
OPEN_STATES = "state IN ('queued', 'sending')"
SUBJECT_MAX, TEMPLATE_MAX = 300, 20_000


class Notice(db.Model):
    """One message in the outbox: rendered when its event happened, sent (and re-sent) exactly as stored."""

    __tablename__ = "notice"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'sending', 'sent', 'failed', 'suppressed')", name="state_known"),
        CheckConstraint("kind IN ('hold_ready', 'due_soon', 'overdue', 'password_reset')", name="kind_known"),
        CheckConstraint("state = 'suppressed' OR to_address IS NOT NULL", name="has_address"),
        # The sender's queue: open notices by the time to look at them next (a retry's or a lease's end).
        Index("ix_notice_due", "next_attempt_at", "id", sqlite_where=text(OPEN_STATES),
              postgresql_where=text(OPEN_STATES)),
        Index("ix_notice_member", "member_id", "id"),
        Index("ix_notice_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20), default="queued")
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    to_address: Mapped[str | None] = mapped_column(String(254))
    to_name: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    # Scheduled notices (due soon, overdue) are made once per key (e.g. "overdue:12:2026-12-01:2"): a task that
    # runs twice, or on two workers, cannot make a second one. NULL for notices made by an event.
    dedupe_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)  # why suppressed or failed, or the last attempt's error
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    member: Mapped[Member | None] = relationship()


class NoticeTemplate(db.Model):
    """An admin's version of a kind's template; without a row the built-in one is used."""

    __tablename__ = "notice_template"
    __table_args__ = (
        CheckConstraint("kind IN ('hold_ready', 'due_soon', 'overdue', 'password_reset')", name="kind_known"),
    )

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class NoticePreference(db.Model):
    """A member's choice for one kind of notice; without a row the kind is on."""

    __tablename__ = "notice_preference"
    __table_args__ = (
        CheckConstraint("kind IN ('hold_ready', 'due_soon', 'overdue')", name="kind_known"),
    )

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
