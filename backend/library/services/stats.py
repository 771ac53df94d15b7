"""Statistics for the staff dashboard, counted by the database from the loan history. Loans and returns over time
come from loan_day (per-day counts that triggers on loan keep), so a year's chart reads 365 rows; the most borrowed
add up loan_book_day (per-day, per-book counts kept by triggers on loan and copy, migration 0020); the collection
reads the tally of copies by group, loan and month of last loan (collection_tally, kept by triggers on copies, books
and subject links: migration 0019_collection_tally); the weeding list reads copies by their last loan (kept by the
loan triggers). Nothing here names a member: loans are counted, never who made them, so anonymised loans count like
any other.

Periods are whole days in UTC, both ends included. The comparison period is a year earlier: 52 weeks for days and
weeks (so Mondays meet Mondays), the same calendar months for months.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Date, bindparam, func, select, text
from sqlalchemy.orm import selectinload

from .. import clock
from ..extensions import db
from ..models.types import UTCDateTime
from ..models import Author, Book, CollectionTally, Copy, Hold, Loan, LoanDay, Member, Subject
from ..models.stats import NO_GROUP
from .privacy import active_since

GROUPS = ("day", "week", "month")
TOP_KINDS = ("titles", "authors", "subjects")
COLLECTION_BY = ("subject", "language", "decade")
MAX_BUCKETS = 400
MAX_DAYS = 3660  # a period of at most about ten years
IN_COLLECTION = ("available", "on_loan", "on_hold_shelf")  # lost and withdrawn copies are not on the shelves


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as UTC datetimes: from the start's midnight to the midnight after the end."""
        return (datetime.combine(self.start, time(), tzinfo=timezone.utc),
                datetime.combine(self.end + timedelta(days=1), time(), tzinfo=timezone.utc))


def default_period(today: date | None = None) -> Period:
    """The last 30 days, today included."""
    today = today or clock.now().date()
    return Period(today - timedelta(days=29), today)


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def year_earlier(period: Period, group: str) -> Period:
    if group == "month":
        return Period(_year_before(period.start), _year_before(period.end))
    return Period(period.start - timedelta(weeks=52), period.end - timedelta(weeks=52))


def _next_bucket(day: date, group: str) -> date:
    """The first day of the bucket after the one holding day."""
    if group == "day":
        return day + timedelta(days=1)
    if group == "week":
        return day + timedelta(days=7 - day.weekday())
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def buckets(period: Period, group: str) -> list[tuple[date, date]]:
    """The period cut into days, weeks (Monday to Sunday) or calendar months, the first and last cut at its ends."""
    out, day = [], period.start
    while day <= period.end:
        end = min(_next_bucket(day, group) - timedelta(days=1), period.end)
        out.append((day, end))
        day = end + timedelta(days=1)
    return out


def bucket_count(period: Period, group: str) -> int:
    if group == "day":
        return period.days
    if group == "week":
        mondays = [day - timedelta(days=day.weekday()) for day in (period.start, period.end)]
        return (mondays[1] - mondays[0]).days // 7 + 1
    return (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1


# --- loans and returns over time --------------------------------------------------------------------

def _series(period: Period, group: str) -> list[dict]:
    """Loans and returns per bucket, from the per-day counts (loan_day, one row per day with any)."""
    days = {(day if isinstance(day, date) else date.fromisoformat(day)): (loans, returns) for day, loans, returns in
            db.session.execute(select(LoanDay.day, LoanDay.loans, LoanDay.returns)
                               .where(LoanDay.day >= period.start, LoanDay.day <= period.end))}
    out = []
    for start, end in buckets(period, group):
        counts = [days.get(start + timedelta(days=n), (0, 0)) for n in range((end - start).days + 1)]
        out.append({"start": start, "end": end, "loans": sum(c[0] for c in counts),
                    "returns": sum(c[1] for c in counts)})
    return out


def circulation(period: Period, group: str) -> dict:
    """Loans and returns per bucket of the period, beside the same buckets a year earlier."""
    previous = year_earlier(period, group)
    now, then = _series(period, group), _series(previous, group)
    items = [{**bucket, "previous_start": old["start"], "previous_end": old["end"], "previous_loans": old["loans"],
              "previous_returns": old["returns"]} for bucket, old in zip(now, then)]
    totals = {key: sum(item[key] for item in items)
              for key in ("loans", "returns", "previous_loans", "previous_returns")}
    return {"from": period.start, "to": period.end, "group": group, "previous_from": previous.start,
            "previous_to": previous.end, "totals": totals, "items": items}


# --- now ------------------------------------------------------------------------------------------------

def current() -> dict:
    """What is true right now: members, what is on loan and overdue, holds, copies in the collection. Each count
    reads an index (the active loans' partial one, copies by status)."""
    now = clock.now()
    # Both counts read the active loans' partial index (SQLite, untold, would scan a whole index instead).
    on_loan, overdue = db.session.execute(text(
        f"SELECT count(*), count(*) FILTER (WHERE due_at < :now) FROM loan {_indexed_by('ix_loan_due_active')} "
        "WHERE returned_at IS NULL").bindparams(bindparam("now", type_=UTCDateTime)), {"now": now}).one()
    holds = dict(db.session.execute(select(Hold.status, func.count()).where(Hold.status.in_(("waiting", "ready")))
                                    .group_by(Hold.status)).all())
    members, active = db.session.execute(
        select(func.count(), func.count().filter(Member.last_borrowed_month >= active_since(now.date())))
        .where(Member.status == "active")).one()
    copies = dict(db.session.execute(select(Copy.status, func.count()).group_by(Copy.status)).all())
    return {"at": now, "members": members, "active_members": active, "on_loan": on_loan, "overdue": overdue,
            "holds_waiting": holds.get("waiting", 0), "holds_ready": holds.get("ready", 0),
            "copies": sum(copies.get(status, 0) for status in IN_COLLECTION),
            "copies_available": copies.get("available", 0)}


# --- the most borrowed ------------------------------------------------------------------------------

# The loans per day and book of the period (loan_book_day, kept by triggers on loan and copy): one range of its
# (day, book_id) key, then each book's authors or subjects from the links' (book_id, ...) keys. SQLite is told to walk
# the counts first (CROSS JOIN keeps the order), as the collection's queries are.
TOP_SQL = """
SELECT {key} AS id, sum(d.loans) AS n
FROM loan_book_day d {links}
WHERE d.day >= :start AND d.day <= :end
GROUP BY {key}
ORDER BY n DESC, id
LIMIT :limit"""
TOP_LINKS = {  # kind: (key, links; {then} is the join, CROSS JOIN on SQLite)
    "titles": ("d.book_id", ""),
    "authors": ("ba.author_id", "{then} book_author ba ON ba.book_id = d.book_id"),
    "subjects": ("bs.subject_id", "{then} book_subject bs ON bs.book_id = d.book_id"),
}


def _top_counts(kind: str, period: Period, limit: int) -> list[tuple[int, int]]:
    """(loans, id) of the most borrowed of a kind in the period, most loans first, ties by id."""
    key, links = TOP_LINKS[kind]
    statement = text(TOP_SQL.format(key=key, links=links.format(then="CROSS JOIN" if _sqlite() else "JOIN")))
    statement = statement.bindparams(bindparam("start", type_=Date), bindparam("end", type_=Date))
    rows = db.session.execute(statement, {"start": period.start, "end": period.end, "limit": limit})
    return [(n, key) for key, n in rows]


def top(kind: str, period: Period, limit: int) -> list[dict]:
    """The most borrowed titles, authors or subjects of the period, most loans first (ties by id)."""
    counted = _top_counts(kind, period, limit)
    keys = [key for _, key in counted]
    if kind == "titles":
        books = {book.id: book for book in db.session.scalars(
            select(Book).where(Book.id.in_(keys)).options(selectinload(Book.author_links)))}
        return [{"id": key, "name": books[key].title, "authors": [a.name for a in books[key].authors],
                 "loans": n} for n, key in counted]
    model = Author if kind == "authors" else Subject
    names = dict(db.session.execute(select(model.id, model.name).where(model.id.in_(keys))).all())
    return [{"id": key, "name": names[key], "authors": None, "loans": n} for n, key in counted]


# --- the collection and how it circulates -------------------------------------------------------------

def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _indexed_by(name: str) -> str:
    return f"INDEXED BY {name}" if _sqlite() else ""


def month_start(day: datetime, months_back: int = 0) -> datetime:
    """Midnight UTC on the first day of the month `months_back` calendar months before day's."""
    month = day.month - months_back
    return datetime(day.year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=timezone.utc)


def collection(by: str, months: int) -> dict:
    """Copies in the collection (not lost or withdrawn) by subject, language or decade of publication, with how
    many are on loan now and how many were lent since the first day of the month `months` months before this one
    (whole months: on 30 November with 12, since 1 November a year earlier); the largest groups first. A book with
    two subjects counts in both; books without a language or a year form a group of their own (null).

    One GROUP BY over the tally the triggers keep (collection_tally: per group, on loan or not, month of the last
    loan), a few thousand rows, instead of every copy."""
    since = month_start(clock.now(), months)
    lent = CollectionTally.lent_month >= since.date()
    rows = db.session.execute(
        select(CollectionTally.grp, func.sum(CollectionTally.copies),
               func.coalesce(func.sum(CollectionTally.copies).filter(CollectionTally.on_loan), 0),
               func.coalesce(func.sum(CollectionTally.copies).filter(lent), 0))
        .where(CollectionTally.dimension == by).group_by(CollectionTally.grp)
        .having(func.sum(CollectionTally.copies) > 0)).all()
    names = dict(db.session.execute(select(Subject.id, Subject.name)).all()) if by == "subject" else {}
    items = [{"group": names.get(int(group)) if by == "subject" else (None if group == NO_GROUP else group),
              "copies": copies, "on_loan": on_loan, "lent": lent} for group, copies, on_loan, lent in rows]
    items.sort(key=lambda item: (-item["copies"], item["group"] is None, item["group"] or ""))
    return {"by": by, "months": months, "since": since, "items": items}


# --- weeding candidates -------------------------------------------------------------------------------

def months_before(day: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (31 March less one month is 28 or 29 February)."""
    month = day.month - months
    year, month = day.year + (month - 1) // 12, (month - 1) % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _weeding(months: int):
    """(never lent, lent before) queries of the copies on the shelf, in the library for longer than `months` months
    and not lent since; rows: Copy, Book, loans ever. Each is a range of the copies' (status, last_loaned_at, id)
    index, in its order."""
    cutoff = months_before(clock.now(), months)
    ever = select(func.count()).where(Loan.copy_id == Copy.id).correlate(Copy).scalar_subquery()
    base = (select(Copy, Book, ever.label("loans")).join(Book, Book.id == Copy.book_id)
            .where(Copy.status == "available", Copy.created_at < cutoff))
    return (base.where(Copy.last_loaned_at.is_(None)).order_by(Copy.id),
            base.where(Copy.last_loaned_at < cutoff).order_by(Copy.last_loaned_at, Copy.id))


def _count(query) -> int:
    counted = query.with_only_columns(Copy.id).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(counted))


def weeding_count(months: int) -> int:
    return sum(_count(query) for query in _weeding(months))


def weeding(months: int, offset: int = 0, limit: int | None = None):
    """Weeding candidates as (Copy, Book, loans ever) rows: never lent first (the oldest acquisitions first), then
    the longest idle. offset and limit page through the whole list; without a limit, rows are streamed."""
    for query in _weeding(months):
        if limit is not None and limit <= 0:
            return
        if offset:
            skipped = _count(query)
            if offset >= skipped:
                offset -= skipped
                continue
        page = query.offset(offset or None).limit(limit)
        offset = 0
        for row in db.session.execute(page):
            yield row
            limit = None if limit is None else limit - 1
