"""Statistics kept as the loans happen: loans and returns per day.

Triggers on loan (migration 0017_stats, on both databases) keep loan_day right for every insert, return, change and
delete of a loan, however it is written, so the dashboard's chart reads one row per day instead of counting the
loans of a long period. The same triggers keep copy.last_loaned_at and member.last_borrowed_month.

Triggers on loan and copy (migration 0020_loan_book_day) keep loan_book_day, the loans per day and book, the same
way (a copy moved to another book takes its loans' counts along), so the most borrowed of a period read a range of
per-day, per-book counts instead of every loan of the period and its copy. Triggers on loan_book_day, book_author and
book_subject (migration 0021_loan_tally) keep loan_tally from it: the loans per calendar month and year of each book,
author and subject, so a long period adds up a year's or a month's counts (one row per book, author or subject)
instead of every day's.

The collection's copies are counted the same way (collection_tally, migration 0019_collection_tally): triggers on
copy, book and book_subject keep, per dimension (subject, language, decade) and group, the number of copies in the
collection (not lost or withdrawn) by whether they are on loan and the month of their last loan, so the dashboard's
collection panels read a few thousand rows instead of every copy.

A bulk writer (the history generator) pauses all these triggers for its own transaction (pause_stats: a row in
loan_stats_pause, which other transactions do not see) and recounts once at the end (recount_stats).
"""

from datetime import date

from sqlalchemy import (Boolean, CheckConstraint, Column, Connection, Date, ForeignKey, Index, Integer, String, Table,
                        bindparam, delete, insert, text)
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


TALLY_KINDS = ("book", "author", "subject")
TALLY_SPANS = ("month", "year")


class LoanTally(db.Model):
    """Loans made in one calendar month or year (start: its first day) of one book, author or subject (key_id: its
    id), a row only while there is at least one. An author's or a subject's are its books' (as linked now)."""

    __tablename__ = "loan_tally"
    __table_args__ = (CheckConstraint("kind IN ('book', 'author', 'subject')", name="kind_known"),
                      CheckConstraint("span IN ('month', 'year')", name="span_known"),
                      CheckConstraint("loans >= 0", name="loans_not_negative"),
                      Index("ix_loan_tally_key", "key_id", "kind"),
                      {"sqlite_with_rowid": False})

    kind: Mapped[str] = mapped_column(String(7), primary_key=True)
    span: Mapped[str] = mapped_column(String(5), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    key_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loans: Mapped[int] = mapped_column(Integer)


def recount_loan_tally(connection: Connection) -> None:
    """loan_tally from scratch, from loan_book_day (the statements of 0021's backfill)."""
    sqlite = connection.dialect.name == "sqlite"
    month = "substr(day, 1, 8) || '01'" if sqlite else "date_trunc('month', day)::date"
    year = "substr(start, 1, 5) || '01-01'" if sqlite else "date_trunc('year', start)::date"
    connection.execute(delete(LoanTally.__table__))
    connection.execute(text(f"""INSERT INTO loan_tally (kind, span, start, key_id, loans)
        SELECT 'book', 'month', {month}, book_id, sum(loans) FROM loan_book_day
        GROUP BY {month}, book_id ORDER BY 3, 4"""))
    connection.execute(text(f"""INSERT INTO loan_tally (kind, span, start, key_id, loans)
        SELECT 'book', 'year', {year}, key_id, sum(loans) FROM loan_tally WHERE kind = 'book' AND span = 'month'
        GROUP BY {year}, key_id ORDER BY 3, 4"""))
    for kind, table, column in (("author", "book_author", "author_id"), ("subject", "book_subject", "subject_id")):
        connection.execute(text(f"""INSERT INTO loan_tally (kind, span, start, key_id, loans)
            SELECT '{kind}', t.span, t.start, l.{column}, sum(t.loans) FROM loan_tally t
            JOIN {table} l ON l.book_id = t.key_id WHERE t.kind = 'book'
            GROUP BY t.span, t.start, l.{column} ORDER BY 2, 3, 4"""))


NO_GROUP = ""  # collection_tally.grp of books without a language or a year
NEVER_LENT = date(1, 1, 1)  # collection_tally.lent_month of copies never lent


class CollectionTally(db.Model):
    """Copies in the collection of one group (a subject's id, a language code or a decade such as '1990'; NO_GROUP:
    books without one) that are or are not on loan now and were last lent in one month (its first day; NEVER_LENT).
    NO_GROUP and NEVER_LENT stand for "none" because a primary key cannot hold a NULL. Rows may count 0."""

    __tablename__ = "collection_tally"
    __table_args__ = (CheckConstraint("dimension IN ('subject', 'language', 'decade')", name="dimension_known"),)

    dimension: Mapped[str] = mapped_column(String(8), primary_key=True)
    grp: Mapped[str] = mapped_column(String(20), primary_key=True)
    on_loan: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    lent_month: Mapped[date] = mapped_column(Date, primary_key=True)
    copies: Mapped[int] = mapped_column(Integer)


# What each copy in the collection counts in (the triggers of 0019_collection_tally do the same row by row).
TALLY_SOURCES = {  # dimension: (group, what joins the copy c to it)
    "language": ("coalesce(b.language, '')", "book b ON b.id = c.book_id"),
    "decade": ("coalesce(CAST(b.published_year / 10 * 10 AS VARCHAR(4)), '')", "book b ON b.id = c.book_id"),
    "subject": ("CAST(s.subject_id AS VARCHAR(20))", "book_subject s ON s.book_id = c.book_id"),
}


def _count_copies(connection: Connection, which: str) -> str:
    """INSERT of the tally's rows for the copies in the collection that `which` (a condition on copy c) picks."""
    month = "coalesce(date(c.last_loaned_at, 'start of month'), '0001-01-01')" \
        if connection.dialect.name == "sqlite" else \
        "coalesce(date_trunc('month', c.last_loaned_at AT TIME ZONE 'UTC')::date, DATE '0001-01-01')"
    parts = [f"SELECT '{dimension}' AS dimension, {group} AS grp, c.status = 'on_loan' AS on_loan, "
             f"{month} AS lent_month FROM copy c JOIN {source} WHERE c.status NOT IN ('lost', 'withdrawn') AND {which}"
             for dimension, (group, source) in TALLY_SOURCES.items()]
    return ("INSERT INTO collection_tally (dimension, grp, on_loan, lent_month, copies) "
            "SELECT dimension, grp, on_loan, lent_month, count(*) FROM (" + " UNION ALL ".join(parts)
            + ") AS counted GROUP BY dimension, grp, on_loan, lent_month")


def recount_tally(connection: Connection) -> None:
    """collection_tally from scratch, from the copies (no rows of 0 left)."""
    connection.execute(delete(CollectionTally.__table__))
    connection.execute(text(_count_copies(connection, "1 = 1")))


def tally_new_copies(connection: Connection, copy_ids: list[int], chunk: int = 5000) -> None:
    """Add copies just written while the triggers were paused (a bulk import's) to the tally: one grouped INSERT
    instead of the triggers' work for each copy. Ids handed out in one block (bulkload.next_ids) are read as a range:
    no one else's copy can have an id inside it."""
    if not copy_ids:
        return
    add = " ON CONFLICT (dimension, grp, on_loan, lent_month) DO UPDATE SET copies = collection_tally.copies + " \
        "excluded.copies"
    if copy_ids == list(range(copy_ids[0], copy_ids[-1] + 1)):
        connection.execute(text(_count_copies(connection, "c.id BETWEEN :first AND :last") + add),
                           {"first": copy_ids[0], "last": copy_ids[-1]})
        return
    statement = text(_count_copies(connection, "c.id IN :ids") + add).bindparams(bindparam("ids", expanding=True))
    for start in range(0, len(copy_ids), chunk):
        connection.execute(statement, {"ids": copy_ids[start:start + chunk]})


def pause_stats(connection: Connection) -> None:
    """The loan and collection triggers do nothing for the rest of this transaction (call recount_stats before it commits)."""
    connection.execute(insert(loan_stats_pause).values(id=1))


def resume_stats(connection: Connection) -> None:
    """The triggers work again (for a writer that has made their counts itself, as tally_new_copies does)."""
    connection.execute(delete(loan_stats_pause))


def recount_stats(connection: Connection) -> None:
    """Recount from the loans: loan_day, loan_book_day and loan_tally from scratch, each copy's last loan, and each
    member's last month of borrowing where the loans show a later one (anonymised loans no longer show theirs), the
    collection's tally; then resume the triggers."""
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
    recount_loan_tally(connection)
    connection.execute(text("""UPDATE copy SET last_loaned_at = counted.last
        FROM (SELECT copy_id, max(loaned_at) AS last FROM loan GROUP BY copy_id) AS counted
        WHERE copy.id = counted.copy_id AND (copy.last_loaned_at IS NULL OR copy.last_loaned_at <> counted.last)"""))
    connection.execute(text(f"""UPDATE member SET last_borrowed_month = counted.month
        FROM (SELECT member_id, {month} AS month FROM loan WHERE member_id IS NOT NULL GROUP BY member_id) AS counted
        WHERE member.id = counted.member_id
        AND (member.last_borrowed_month IS NULL OR member.last_borrowed_month < counted.month)"""))
    recount_tally(connection)
    connection.execute(delete(loan_stats_pause))
