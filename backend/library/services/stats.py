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
from ..models import Author, Book, CollectionTally, Copy, Hold, Loan, LoanBookDay, LoanDay, Member, Subject
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

# A period's loans per book, author or subject are added up from the fewest counted rows that cover it exactly: whole
# years and months from loan_tally (one row per book, author or subject; kept by triggers, migration 0021) and the
# days at the edges from loan_book_day (per day and book; migration 0020), each added or taken away. The last 12
# months on 30 November 2026 are that December's month plus this year's year; a period from the 15th of a month to
# the 14th a year later is the year between less the first half of its first month plus the first half of the last.
# Days before the first loan or after the last hold none: a period ending today takes this month and year whole.
SPANS = ("day", "month", "year")
# Rows read per day, month and year of loans, in days' worth of loan_book_day (in a library of 50 000 books lending
# 700 of them a day: 17 000 books lent in a month, 48 000 in a year; 4 000 authors; 100 subjects). Only the choice
# of rows depends on them, never the result.
SPAN_COST = {"titles": (1, 25, 70), "authors": (1.4, 5.5, 6), "subjects": (1.8, 0.15, 0.15)}


@dataclass(frozen=True)
class Term:
    """sign × the counts of [start, end) (end excluded) read at one span: days, months or years."""
    sign: int
    span: str
    start: date
    end: date


def _floor(day: date, span: str) -> date:
    return {"day": day, "month": day.replace(day=1), "year": date(day.year, 1, 1)}[span]


def _ceil(day: date, span: str) -> date:
    floor = _floor(day, span)
    if floor == day:
        return day
    return date(day.year + 1, 1, 1) if span == "year" else month_start(day, -1).date()


def _units(start: date, end: date, span: str) -> int:
    """How many days, months or years from start to end (both at the start of one)."""
    if span == "day":
        return (end - start).days
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if span == "month" else months // 12


def cover(start: date, end: date, kind: str, held: tuple[date, date], span: str = "year") -> tuple[float, list[Term]]:
    """(cost, terms) of the cheapest exact cover of [start, end) by days, months and years up to `span`. held: the
    first day with loans and the day after the last; outside it nothing needs counting."""
    start, end = max(start, held[0]), min(end, held[1])
    if start >= end:
        return 0, []
    costs = dict(zip(SPANS, SPAN_COST[kind]))
    best = (_units(start, end, "day") * costs["day"], [Term(1, "day", start, end)])
    for level in SPANS[1:SPANS.index(span) + 1]:
        lower = SPANS[SPANS.index(level) - 1]
        for first in {_floor(start, level), _ceil(start, level)}:
            for last in {_floor(end, level), _ceil(end, level)}:
                # The whole units from first to last that hold loans, then the edges between them and the period.
                whole = max(first, _floor(held[0], level)), min(last, _ceil(held[1], level))
                if whole[0] >= whole[1]:
                    continue
                cost, terms = _units(*whole, level) * costs[level], [Term(1, level, *whole)]
                for sign, edge in ((1, (start, first)), (-1, (first, start)), (1, (last, end)), (-1, (end, last))):
                    if edge[0] < edge[1]:  # days (or months) the units leave out (+) or take in beyond the period (-)
                        edge_cost, edge_terms = cover(*edge, kind, held, lower)
                        cost += edge_cost
                        terms += [Term(sign * term.sign, term.span, term.start, term.end) for term in edge_terms]
                if cost < best[0]:
                    best = (cost, terms)
    return best


TALLY_KIND = {"titles": "book", "authors": "author", "subjects": "subject"}
# Each term's rows: (id, loans) of a range of days (loan_book_day, each book's authors or subjects from the links'
# (book_id, ...) keys; SQLite is told to walk the days first: CROSS JOIN keeps the order) or of months or years.
DAY_ROWS = {
    "titles": "SELECT d.book_id AS id, {sign}d.loans AS n FROM loan_book_day d WHERE d.day >= :{s} AND d.day < :{e}",
    "authors": "SELECT l.author_id AS id, {sign}d.loans AS n FROM loan_book_day d {then} book_author l "
               "ON l.book_id = d.book_id WHERE d.day >= :{s} AND d.day < :{e}",
    "subjects": "SELECT l.subject_id AS id, {sign}d.loans AS n FROM loan_book_day d {then} book_subject l "
                "ON l.book_id = d.book_id WHERE d.day >= :{s} AND d.day < :{e}",
}
SPAN_ROWS = "SELECT t.key_id AS id, {sign}t.loans AS n FROM loan_tally t WHERE t.kind = '{kind}' " \
    "AND t.span = '{span}' AND t.start >= :{s} AND t.start < :{e}"
TOP_SQL = "SELECT id, sum(n) AS total FROM ({rows}) AS counted GROUP BY id HAVING sum(n) > 0 " \
    "ORDER BY total DESC, id LIMIT :limit"


def _held() -> tuple[date, date] | None:
    """The first day with loans and the day after the last (two ends of loan_book_day's key), or None."""
    first, last = db.session.execute(select(select(func.min(LoanBookDay.day)).scalar_subquery(),
                                            select(func.max(LoanBookDay.day)).scalar_subquery())).one()
    return None if first is None else (first, last + timedelta(days=1))


def _top_counts(kind: str, period: Period, limit: int) -> list[tuple[int, int]]:
    """(loans, id) of the most borrowed of a kind in the period, most loans first, ties by id."""
    held = _held()
    terms = cover(period.start, period.end + timedelta(days=1), kind, held)[1] if held else []
    if not terms:
        return []
    rows, params = [], {"limit": limit}
    for i, term in enumerate(terms):
        names = {"sign": "" if term.sign > 0 else "-", "s": f"s{i}", "e": f"e{i}"}
        if term.span == "day":
            rows.append(DAY_ROWS[kind].format(then="CROSS JOIN" if _sqlite() else "JOIN", **names))
        else:
            rows.append(SPAN_ROWS.format(kind=TALLY_KIND[kind], span=term.span, **names))
        params.update({f"s{i}": term.start, f"e{i}": term.end})
    if not _sqlite():
        # Tens of thousands of rows hashed in one process: PostgreSQL's parallel plan for them took twice as long
        # (its workers' start and the final merge), for this transaction's statements only.
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    statement = text(TOP_SQL.format(rows=" UNION ALL ".join(rows))).bindparams(
        *(bindparam(name, type_=Date) for name in params if name != "limit"))
    return [(n, key) for key, n in db.session.execute(statement, params)]


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
