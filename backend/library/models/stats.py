"""Statistics kept as the loans happen: loans and returns per day.

Triggers on loan (migration 0013_stats, on both databases) keep loan_day right for every insert, return, change and
delete of a loan, however it is written, so the dashboard's chart reads one row per day instead of counting the
loans of a long period. The same triggers keep copy.last_loaned_at and member.last_borrowed_month.
"""

from datetime import date

from sqlalchemy import Date, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class LoanDay(db.Model):
    """Loans made and loans returned on one UTC day."""

    __tablename__ = "loan_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    loans: Mapped[int] = mapped_column(Integer, default=0)
    returns: Mapped[int] = mapped_column(Integer, default=0)
