"""The desk's counters: the next automatic copy barcode and card number (services/barcodes.py)."""

from sqlalchemy import BigInteger, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

SEQUENCE_KINDS = ("copy", "card")


class BarcodeSequence(db.Model):
    """One counter per kind; each allocation takes the current value and increments it in one UPDATE."""

    __tablename__ = "barcode_sequence"
    __table_args__ = (
        CheckConstraint("kind IN ('copy', 'card')", name="kind_known"),
        CheckConstraint("next_value >= 1", name="next_value_positive"),
    )

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    next_value: Mapped[int] = mapped_column(BigInteger)
