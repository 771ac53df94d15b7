"""Operations: answers kept for POSTs retried with the same Idempotency-Key (services/idempotency.py)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime

IDEMPOTENCY_STATES = ("in_flight", "committed", "done")


class IdempotencyKey(db.Model):
    """One client's key: in flight (claimed by a worker), committed (its writes committed, the answer not yet
    kept) or done (the answer kept, encrypted with a key only the client's Idempotency-Key opens)."""

    __tablename__ = "idempotency_key"
    __table_args__ = (
        CheckConstraint("state IN ('in_flight', 'committed', 'done')", name="state_known"),
        CheckConstraint("(state = 'done') = (status IS NOT NULL AND response IS NOT NULL)", name="done_has_response"),
    )

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the caller and the key
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the method, target and body
    state: Mapped[str] = mapped_column(String(10))
    owner_host: Mapped[str] = mapped_column(String(255))  # the worker that claimed it, to tell a dead one
    owner_pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(Text)
