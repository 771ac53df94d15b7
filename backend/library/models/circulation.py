"""Circulation: copies of books, members (library cards), loans and holds.

Invariants the database enforces on both engines (partial unique indexes, Evergreen's pattern):
at most one active loan per copy, at most one open hold per member and book, at most one hold
waiting on the shelf (ready) per copy. A closed loan or hold may have no member: it was anonymised
(services/privacy.py); an open one always has one (check constraints).
"""

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .catalog import Book, Timestamped
from .types import UTCDateTime, utcnow

COPY_STATUSES = ("available", "on_loan", "on_hold_shelf", "lost", "withdrawn")
MEMBER_STATUSES = ("active", "suspended", "pending")  # pending: signed up, waiting for staff to approve
HOLD_STATUSES = ("waiting", "ready", "fulfilled", "cancelled", "expired")
OPEN_HOLD = "status IN ('waiting', 'ready')"
CLOSED_HOLD = "status IN ('fulfilled', 'cancelled', 'expired')"
BARCODE_MAX, CARD_MAX, LOCATION_MAX, CALL_NUMBER_MAX, NOTES_MAX = 50, 50, 100, 50, 1000
MEMBER_NAME_MAX, PHONE_MAX = 200, 50


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Copy(Timestamped, db.Model):
    __tablename__ = "copy"
    __table_args__ = (
        CheckConstraint(_in("status", COPY_STATUSES), name="status_known"),
        Index("ix_copy_book_status", "book_id", "status", "last_loaned_at"),  # availability; the collection's use
        Index("ix_copy_status_last_loaned", "status", "last_loaned_at", "id", "created_at"),  # the weeding list
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("book.id", ondelete="RESTRICT"))
    barcode: Mapped[str] = mapped_column(String(BARCODE_MAX), unique=True)
    location: Mapped[str | None] = mapped_column(String(LOCATION_MAX))
    call_number: Mapped[str | None] = mapped_column(String(CALL_NUMBER_MAX))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="available")
    # When the copy was last lent: kept by a trigger on loan (migration 0017), for the weeding list.
    last_loaned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    book: Mapped[Book] = relationship()


class Member(Timestamped, db.Model):
    """A library card holder; optionally linked to a user account (then they see their own loans).
    A pending member (self-registration) has no card number until staff approve them."""

    __tablename__ = "member"
    __table_args__ = (CheckConstraint(_in("status", MEMBER_STATUSES), name="status_known"),
                      CheckConstraint("status = 'pending' OR card_number IS NOT NULL", name="card_unless_pending"),
                      CheckConstraint("language IN ('en', 'fr', 'es')", name="language_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    card_number: Mapped[str | None] = mapped_column(String(CARD_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(MEMBER_NAME_MAX))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(PHONE_MAX))
    status: Mapped[str] = mapped_column(String(20), default="active")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), unique=True)
    # The private calendar URL is an HMAC of the member id and this salt (a new salt: a new URL).
    calendar_salt: Mapped[str | None] = mapped_column(String(32))
    # The language of the member's notices (en, fr, es); NULL: the library's default language (a setting).
    language: Mapped[str | None] = mapped_column(String(2))
    # Reading history: kept for the member unless they turn it off; then each loan is anonymised as it closes.
    keep_history: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The first day of the month of the member's last checkout (kept by a trigger on loan): counts them as an
    # active member (borrowed in the last 12 months) without keeping what or exactly when they borrowed.
    last_borrowed_month: Mapped[date | None] = mapped_column(Date)


class Loan(db.Model):
    __tablename__ = "loan"
    __table_args__ = (
        Index("uq_loan_one_active_per_copy", "copy_id", unique=True,
              sqlite_where=text("returned_at IS NULL"), postgresql_where=text("returned_at IS NULL")),
        Index("ix_loan_member_active", "member_id", "returned_at"),
        Index("ix_loan_due_active", "due_at", sqlite_where=text("returned_at IS NULL"),
              postgresql_where=text("returned_at IS NULL")),
        # Statistics (services/stats.py): loans by copy over a period; a copy's loans by date.
        Index("ix_loan_loaned_at_copy", "loaned_at", "copy_id"),
        Index("ix_loan_copy_loaned_at", "copy_id", "loaned_at"),
        CheckConstraint("member_id IS NOT NULL OR returned_at IS NOT NULL", name="member_while_active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    copy_id: Mapped[int] = mapped_column(ForeignKey("copy.id", ondelete="RESTRICT"))
    # None once the loan is closed and anonymised: the loan still counts, nobody is named.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="RESTRICT"))
    loaned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    renewals: Mapped[int] = mapped_column(Integer, default=0)

    copy: Mapped[Copy] = relationship()
    member: Mapped[Member | None] = relationship()

    # Not stored: the member a loan was just returned from, for the desk's answer (services/privacy.loan_closed),
    # since the row may be anonymised in the same transaction.
    returned_from = None


class Hold(db.Model):
    """A member's place in a book's queue: waiting, then ready (a copy on the hold shelf), then closed."""

    __tablename__ = "hold"
    __table_args__ = (
        CheckConstraint(_in("status", HOLD_STATUSES), name="status_known"),
        Index("uq_hold_one_open_per_member_book", "member_id", "book_id", unique=True,
              sqlite_where=text(OPEN_HOLD), postgresql_where=text(OPEN_HOLD)),
        Index("uq_hold_one_ready_per_copy", "copy_id", unique=True,
              sqlite_where=text("status = 'ready'"), postgresql_where=text("status = 'ready'")),
        Index("ix_hold_book_queue", "book_id", "status", "placed_at"),
        CheckConstraint(f"member_id IS NOT NULL OR {CLOSED_HOLD}", name="member_while_open"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("book.id", ondelete="RESTRICT"))
    # None once the hold is closed and anonymised.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="RESTRICT"), index=True)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    copy_id: Mapped[int | None] = mapped_column(ForeignKey("copy.id", ondelete="RESTRICT"))
    pickup_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    book: Mapped[Book] = relationship()
    member: Mapped[Member | None] = relationship()
    copy: Mapped[Copy | None] = relationship()
