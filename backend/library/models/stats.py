"""Statistics kept as the loans happen: loans and returns per day.

Triggers on loan (migration 0017_stats, on both databases) keep loan_day right for every insert, return, change and
delete of a loan, however it is written, so the dashboard's chart reads one row per day instead of counting the
loans of a long period. The same triggers keep copy.last_loaned_at and member.last_borrowed_month.

Triggers on loan and copy (migration 0020_loan_book_day) keep loan_book_day, the loans per day and book, the same
way (a copy moved to another book takes its loans' counts along), so the most borrowed of a period read a range of
per-day, per-book counts instead of every loan of the period and its copy.

A bulk writer (the history generator) pauses the triggers for its own transaction (pause_stats: a row in
loan_stats_pause, which other transactions do not see) and recounts once at the end (recount_stats).
"""

from datetime import date

from sqlalchemy import (CheckConstraint, Column, Connection, Date, ForeignKey, Index, Integer, Table, delete, insert,
                        text)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

loan_stats_pause = Table("loan_stats_pause", db.metadata, Column("id", Integer, primary_key=True))


class LoanDay(db.Model):
    """Loans made and loans returned on one UTC day."""

    __tablename__ = "loan_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    loans: Mapped[int] = mapped_column(Integer, default=0)
    returns: Mapped[int] = mapped_column(Integer, default=0)


class LoanBookDay(db.Model):
    """Loans of one book made on one UTC day (a row only while there is at least one)."""

    __tablename__ = "loan_book_day"
    __table_args__ = (CheckConstraint("loans > 0", name="loans_positive"),
                      Index("ix_loan_book_day_book", "book_id", "day"),
                      {"sqlite_with_rowid": False})

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("book.id"), primary_key=True)
    loans: Mapped[int] = mapped_column(Integer)


def pause_stats(connection: Connection) -> None:
    """The loan triggers do nothing for the rest of this transaction (call recount_stats before it commits)."""
    connection.execute(insert(loan_stats_pause).values(id=1))


def recount_stats(connection: Connection) -> None:
    """Recount from the loans: loan_day and loan_book_day from scratch, each copy's last loan, and each member's last
    month of borrowing where the loans show a later one (anonymised loans no longer show theirs); then resume the
    triggers."""
    sqlite = connection.dialect.name == "sqlite"

    def day(column):
        return f"substr({column}, 1, 10)" if sqlite else f"({column} AT TIME ZONE 'UTC')::date"

    month = "date(max(loaned_at), 'start of month')" if sqlite else \
        "date_trunc('month', max(loaned_at) AT TIME ZONE 'UTC')::date"
    connection.execute(delete(LoanDay.__table__))
    connection.execute(text(f"""INSERT INTO loan_day (day, loans, returns)
        SELECT day, sum(loans), sum(returns) FROM (
            SELECT {day('loaned_at')} AS day, 1 AS loans, 0 AS returns FROM loan
            UNION ALL SELECT {day('returned_at')}, 0, 1 FROM loan WHERE returned_at IS NOT NULL) AS counted
        GROUP BY day"""))
    connection.execute(delete(LoanBookDay.__table__))
    connection.execute(text(f"""INSERT INTO loan_book_day (day, book_id, loans)
        SELECT {day('loan.loaned_at')}, copy.book_id, count(*) FROM loan JOIN copy ON copy.id = loan.copy_id
        GROUP BY 1, 2 ORDER BY 1, 2"""))
    connection.execute(text("""UPDATE copy SET last_loaned_at = counted.last
        FROM (SELECT copy_id, max(loaned_at) AS last FROM loan GROUP BY copy_id) AS counted
        WHERE copy.id = counted.copy_id AND (copy.last_loaned_at IS NULL OR copy.last_loaned_at <> counted.last)"""))
    connection.execute(text(f"""UPDATE member SET last_borrowed_month = counted.month
        FROM (SELECT member_id, {month} AS month FROM loan WHERE member_id IS NOT NULL GROUP BY member_id) AS counted
        WHERE member.id = counted.member_id
        AND (member.last_borrowed_month IS NULL OR member.last_borrowed_month < counted.month)"""))
    connection.execute(delete(loan_stats_pause))
