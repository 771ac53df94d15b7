"""The staff's lists of loans and holds: filters, sort orders, and the rows of their CSV downloads.

Each list is one SELECT built here, paged by the API for the screen and streamed whole for the CSV, so the two
always agree. Sorts end with the id, so pages never repeat or skip a row.

Reading-history privacy (services/privacy.py): a closed loan or hold may have no member (anonymised), so members
are outer-joined; staff filtering by member get that member's open loans and holds only, and a CSV names the
member of open ones only. own=True is a member's own list, where their closed ones are theirs to see.
"""

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import contains_eager

from .. import clock
from ..extensions import db
from ..models import Book, Copy, Hold, Loan, Member

LOAN_SORTS = ("due_at", "-due_at", "loaned_at", "-loaned_at", "returned_at", "-returned_at", "title", "member")
HOLD_SORTS = ("placed_at", "-placed_at", "title", "member", "status")
OPEN_HOLD_STATUSES = ("waiting", "ready")


def _desc(*columns):
    return [column.desc() for column in columns]


def _loan_filters(args: dict, own: bool = False) -> list:
    conditions = []
    if args.get("member_id") and not own:  # staff see a member's current loans, not their reading history
        conditions.append(Loan.returned_at.is_(None))
    if args.get("active") is not None:
        conditions.append(Loan.returned_at.is_(None) if args["active"] else Loan.returned_at.is_not(None))
    if args.get("overdue"):
        conditions += [Loan.returned_at.is_(None), Loan.due_at < clock.now()]
    for key, column in (("member_id", Loan.member_id), ("copy_id", Loan.copy_id), ("book_id", Copy.book_id)):
        if args.get(key):
            conditions.append(column == args[key])
    return conditions


def _loan_order(sort: str | None) -> list:
    if sort is None:  # on loan first, by due date; then returned ones
        return [Loan.returned_at.is_not(None), Loan.due_at, Loan.id]
    return {
        "due_at": [Loan.due_at, Loan.id],
        "-due_at": _desc(Loan.due_at, Loan.id),
        "loaned_at": [Loan.loaned_at, Loan.id],
        "-loaned_at": _desc(Loan.loaned_at, Loan.id),
        "returned_at": [Loan.returned_at.is_(None), Loan.returned_at, Loan.id],
        "-returned_at": [Loan.returned_at.is_(None), Loan.returned_at.desc(), Loan.id.desc()],
        "title": [func.lower(Book.title), Loan.due_at, Loan.id],
        "member": [func.lower(case((Loan.returned_at.is_(None), Member.name))), Loan.due_at, Loan.id],  # open ones
    }[sort]


def _joined_loans(*columns):
    return (select(*columns).join(Copy, Copy.id == Loan.copy_id).join(Book, Book.id == Copy.book_id)
            .outerjoin(Member, Member.id == Loan.member_id))


def loans(args: dict, own: bool = False):
    """(SELECT of Loan objects with their copy, book and member loaded, ORDER BY keys) for the filters in args;
    own: a member's own list."""
    query = _joined_loans(Loan).where(*_loan_filters(args, own)).options(
        contains_eager(Loan.copy).contains_eager(Copy.book), contains_eager(Loan.member))
    return query, _loan_order(args.get("sort"))


LOAN_CSV_HEADER = ["loaned_at", "due_at", "returned_at", "overdue", "days_overdue", "renewals", "title", "barcode",
                   "member", "card_number", "email", "phone"]


def loan_csv_rows(args: dict):
    now = clock.now()
    query = _joined_loans(Loan.loaned_at, Loan.due_at, Loan.returned_at, Loan.renewals, Book.title, Copy.barcode,
                          Member.name, Member.card_number, Member.email, Member.phone).where(*_loan_filters(args))
    for row in db.session.execute(query.order_by(*_loan_order(args.get("sort"))).execution_options(yield_per=500)):
        overdue = row.returned_at is None and row.due_at < now
        member = [row.name, row.card_number, row.email, row.phone] if row.returned_at is None else [None] * 4
        yield [row.loaned_at.isoformat(), row.due_at.date().isoformat(),
               row.returned_at.isoformat() if row.returned_at else None, overdue,
               (now - row.due_at).days if overdue else None, row.renewals, row.title, row.barcode, *member]


def _hold_filters(args: dict, own: bool = False) -> list:
    conditions = [column == args[key] for key, column in
                  (("status", Hold.status), ("book_id", Hold.book_id), ("member_id", Hold.member_id)) if args.get(key)]
    if args.get("member_id") and not own:  # staff see a member's open holds only
        conditions.append(Hold.status.in_(OPEN_HOLD_STATUSES))
    return conditions


def _hold_order(sort: str | None) -> list:
    return {
        None: [Hold.placed_at, Hold.id],
        "placed_at": [Hold.placed_at, Hold.id],
        "-placed_at": _desc(Hold.placed_at, Hold.id),
        "title": [func.lower(Book.title), Hold.placed_at, Hold.id],
        "member": [func.lower(case((Hold.status.in_(OPEN_HOLD_STATUSES), Member.name))), Hold.placed_at, Hold.id],
        "status": [Hold.status, Hold.placed_at, Hold.id],
    }[sort]


def _joined_holds(*columns):
    return select(*columns).join(Book, Book.id == Hold.book_id).outerjoin(Member, Member.id == Hold.member_id)


def holds(args: dict, own: bool = False):
    query = _joined_holds(Hold).where(*_hold_filters(args, own)).options(contains_eager(Hold.book),
                                                                         contains_eager(Hold.member))
    return query, _hold_order(args.get("sort"))


HOLD_CSV_HEADER = ["placed_at", "status", "title", "member", "card_number", "copy_barcode", "pickup_by", "closed_at"]


def hold_csv_rows(args: dict):
    query = (_joined_holds(Hold.placed_at, Hold.status, Book.title, Member.name, Member.card_number, Copy.barcode,
                           Hold.pickup_by, Hold.closed_at)
             .outerjoin(Copy, Copy.id == Hold.copy_id).where(*_hold_filters(args)))
    for row in db.session.execute(query.order_by(*_hold_order(args.get("sort"))).execution_options(yield_per=500)):
        member = [row.name, row.card_number] if row.status in OPEN_HOLD_STATUSES else [None, None]  # closed: nobody
        yield [row.placed_at.isoformat(), row.status, row.title, *member, row.barcode,
               row.pickup_by.date().isoformat() if row.pickup_by else None,
               row.closed_at.isoformat() if row.closed_at else None]


def member_lookup(q: str):
    """Members for the desk's card field: the card number in any case first, then cards starting with it, then
    names starting with it, then the other members whose name or card has every word of q."""
    from .catalog import like_pattern

    term = q.strip().lower()
    card, name = func.lower(Member.card_number), func.lower(Member.name)
    words = term.split()
    conditions = [or_(name.like(like_pattern(word), escape="\\"), card.like(like_pattern(word), escape="\\"))
                  for word in words]
    starts = like_pattern(term)[1:]  # "term%": the pattern without its leading %
    rank = case((card == term, 0), (card.like(starts, escape="\\"), 1), (name.like(starts, escape="\\"), 2), else_=3)
    return select(Member).where(*conditions), [rank, name, Member.id]
