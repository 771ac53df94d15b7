"""Plausible loan history, so the statistics have something to show: for the demo (`flask --app library
seed-demo --history`) and for the benchmark's stats scenario (bench/loans.py, a million loans).

Loans over the days up to now follow a library's week (closed on Sundays, busy on Saturdays) and year (a summer
reading peak, a quiet December), grow a little from year to year, go to books by a skewed popularity (a few
favourites, a long tail never lent: the weeding candidates), are returned mostly on time, some renewed, some late;
the youngest are still out (some overdue). A copy is never lent twice at once and a member never holds more than
`max_loans` at the end. Members who do not keep their history get their closed loans anonymised, as returns do.
Deterministic: the same inputs and seed give the same loans. Rows are written with Core inserts in batches.
"""

import bisect
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from itertools import accumulate

from sqlalchemy import bindparam, insert, select, update

from ..extensions import db
from ..models import Copy, Loan, Member
from ..models import stats
from . import privacy

SEED = 20261130
WEEKDAY = (1.0, 0.95, 1.1, 1.0, 1.15, 1.35, 0.0)  # Monday .. Sunday (closed)
MONTH = (1.0, 0.95, 1.0, 1.0, 0.95, 1.05, 1.3, 1.25, 0.95, 1.0, 1.05, 0.8)  # January .. December
GROWTH_PER_YEAR = 0.06
OPENS, CLOSES = 9, 19  # opening hours (UTC), for the times of checkouts and returns
BATCH = 5_000


@dataclass(frozen=True)
class Plan:
    loans: int  # about how many loans to make (a few fewer when no copy is free)
    days: int  # over this many days, ending now
    loan_days: int = 21
    max_loans: int = 5
    seed: int = SEED


@dataclass
class Made:
    loans: int = 0
    active: int = 0
    overdue: int = 0
    anonymised: int = 0


def day_counts(plan: Plan, today: date) -> list[tuple[date, int]]:
    """How many loans each day gets: the weights of its weekday, month and trend, rounded so the sum is exact."""
    first = today - timedelta(days=plan.days - 1)
    days = [first + timedelta(days=n) for n in range(plan.days)]
    weights = [WEEKDAY[d.weekday()] * MONTH[d.month - 1] * (1 + GROWTH_PER_YEAR * n / 365) for n, d in enumerate(days)]
    total = sum(weights) or 1.0
    counts, carried, given = [], 0.0, 0
    for day, weight in zip(days, weights):
        carried += plan.loans * weight / total
        count = round(carried) - given
        given += count
        counts.append((day, count))
    return counts


class _Weighted:
    """Skewed choice: item k of a seeded shuffle has weight 1 / (k + shift)."""

    def __init__(self, items: Sequence, rng: random.Random, shift: float):
        self.items = list(items)
        rng.shuffle(self.items)
        self.cumulative = list(accumulate(1.0 / (rank + shift) for rank in range(len(self.items))))

    def pick(self, rng: random.Random):
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


def _at(day: date, rng: random.Random) -> datetime:
    """A moment in opening hours on day."""
    opening = datetime.combine(day, time(OPENS), tzinfo=timezone.utc)
    return opening + timedelta(seconds=rng.random() * (CLOSES - OPENS) * 3600)


def _terms(loaned: datetime, plan: Plan, rng: random.Random) -> tuple[datetime, datetime, int]:
    """(due, returned, renewals) of one loan: most back before the due date, some renewed, some late."""
    period = timedelta(days=plan.loan_days)
    r = rng.random()
    renewals = 0
    if r < 0.30:
        kept = rng.uniform(2, plan.loan_days * 0.6)
    elif r < 0.76:
        kept = rng.uniform(plan.loan_days * 0.6, plan.loan_days - 0.5)
    elif r < 0.88:
        renewals, kept = 1, rng.uniform(plan.loan_days, 2 * plan.loan_days - 1.5)
    elif r < 0.91:
        renewals, kept = 2, rng.uniform(2 * plan.loan_days, 3 * plan.loan_days - 2.5)
    else:
        kept = plan.loan_days + rng.uniform(1, 25)  # late
    due = loaned + period * (renewals + 1) - timedelta(days=renewals)  # each renewal: a period from about then
    back_day = (loaned + timedelta(days=kept)).date()
    if back_day.weekday() == 6:  # closed on Sundays: back on Monday
        back_day += timedelta(days=1)
    returned = max(_at(back_day, rng), loaned + timedelta(hours=1))
    return due, returned, renewals


def plan_loans(copies: Sequence[tuple[int, int]], members: Sequence[int], plan: Plan, now: datetime,
               rng: random.Random) -> Iterator[dict]:
    """The loans, oldest first, as rows for the loan table. copies: (copy_id, book_id) pairs."""
    by_book: dict[int, list[int]] = {}
    for copy_id, book_id in copies:
        by_book.setdefault(book_id, []).append(copy_id)
    books = _Weighted(sorted(by_book), rng, shift=8)
    readers = _Weighted(members, rng, shift=max(3, len(members) / 20))
    all_copies = [copy_id for copy_id, _ in copies]
    free_at: dict[int, datetime] = {}
    out_at_end: dict[int, int] = {}  # member -> loans still out now
    never = datetime.max.replace(tzinfo=timezone.utc)
    for day, count in day_counts(plan, now.date()):
        for loaned in sorted(_at(day, rng) for _ in range(count)):
            if loaned >= now:
                continue
            copy_id = _free_copy(by_book, books, all_copies, free_at, loaned, rng)
            if copy_id is None:
                continue
            due, returned, renewals = _terms(loaned, plan, rng)
            member = readers.pick(rng)
            if returned >= now:  # still out: within the member's limit, else it came back yesterday
                renewals = 0 if loaned + timedelta(days=plan.loan_days - 1) > now else renewals
                due = loaned + timedelta(days=plan.loan_days) * (renewals + 1) - timedelta(days=renewals)
                if out_at_end.get(member, 0) < plan.max_loans:
                    out_at_end[member] = out_at_end.get(member, 0) + 1
                    returned = None
                else:
                    returned = max(loaned + timedelta(hours=1), now - timedelta(days=1))
                    if returned >= now:
                        continue
            free_at[copy_id] = never if returned is None else returned + timedelta(hours=2)
            yield {"copy_id": copy_id, "member_id": member, "loaned_at": loaned, "due_at": due,
                   "returned_at": returned, "renewals": renewals}


def _free_copy(by_book, books, all_copies, free_at, when, rng):
    """A copy of a popular book that is on the shelf at `when`; failing that, any copy that is."""
    for _ in range(4):
        for copy_id in by_book[books.pick(rng)]:
            if free_at.get(copy_id, when) <= when:
                return copy_id
    for _ in range(40):
        copy_id = all_copies[int(rng.random() * len(all_copies))]
        if free_at.get(copy_id, when) <= when:
            return copy_id
    return None


def _there_before(model, ids, start: datetime, rng: random.Random) -> None:
    """Copies lent and members borrowing in the history were there before it began: date their creation up to
    three years before its start (only those created later than that)."""
    rows = [{"key": key, "since": start - timedelta(days=rng.uniform(1, 3 * 365))} for key in ids]
    column = model.__table__.c
    for first in range(0, len(rows), BATCH):
        db.session.execute(update(model.__table__).where(column.id == bindparam("key"),
                                                         column.created_at > bindparam("since"))
                           .values(created_at=bindparam("since")), rows[first:first + BATCH])


def add_history(copy_ids: Sequence[int] | None, member_ids: Sequence[int] | None, plan: Plan,
                now: datetime) -> Made:
    """Write the planned loans for these copies and members (None: all copies on the shelf, all active members):
    the copies still out are set on loan, the copies and members are dated as there before the history, the loan
    triggers' counts (days, copies' last loans, members' last month) are made once for all, and the closed loans of
    members who keep no history are anonymised. Commits."""
    rng = random.Random(plan.seed)
    copy_query = select(Copy.id, Copy.book_id).where(Copy.status == "available").order_by(Copy.id)
    if copy_ids is not None:
        copy_query = copy_query.where(Copy.id.in_(copy_ids))
    member_query = select(Member.id, Member.keep_history).where(Member.status == "active").order_by(Member.id)
    if member_ids is not None:
        member_query = member_query.where(Member.id.in_(member_ids))
    copies = db.session.execute(copy_query).all()
    members = dict(db.session.execute(member_query).all())
    made = Made()
    if not copies or not members:
        return made
    forget = {member for member, keep in members.items() if not keep}
    connection = db.session.connection()
    stats.pause_stats(connection)  # one recount at the end instead of the triggers' work for each loan
    out: list[int] = []
    batch: list[dict] = []
    for row in plan_loans(copies, sorted(members), plan, now, rng):
        made.loans += 1
        if row["returned_at"] is None:
            out.append(row["copy_id"])
            made.active += 1
            made.overdue += row["due_at"] < now
        elif row["member_id"] in forget:
            made.anonymised += 1
        batch.append(row)
        if len(batch) == BATCH:
            db.session.execute(insert(Loan.__table__), batch)
            batch = []
    if batch:
        db.session.execute(insert(Loan.__table__), batch)
    for start in range(0, len(out), BATCH):
        db.session.execute(update(Copy).where(Copy.id.in_(out[start:start + BATCH])).values(status="on_loan")
                           .execution_options(synchronize_session=False))
    _there_before(Copy, [copy_id for copy_id, _ in copies], now - timedelta(days=plan.days), rng)
    _there_before(Member, sorted(members), now - timedelta(days=plan.days), rng)
    stats.recount_stats(connection)
    for member_id in sorted(forget):  # as their returns would have: closed loans anonymised
        privacy.forget(member_id)
    db.session.commit()
    return made
