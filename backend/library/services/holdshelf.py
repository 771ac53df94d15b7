"""Holds as a library runs them: the pull list, capturing a pulled copy at the desk, the hold shelf and
clearing what was not picked up in time.

A new hold waits in its book's queue, even when a copy is on the open shelf. The pull list pairs the waiting
holds with the copies on the shelf that can fill them (the first in line with the first copy, and so on), so
staff know what to fetch. Scanning a fetched copy at the desk (return mode) captures it: it goes on the hold
shelf for the first in line, with a pickup date, as a returned copy does. Until then the copy is an ordinary
copy on the shelf that anyone may borrow; the hold then waits for the next one. A ready hold whose pickup date
has passed stays on the hold shelf list, marked to clear, until staff clear it (the copy then goes to the next
in line or back to the shelf): the app never moves a copy that someone has to move by hand.

Races are decided as in services/circulation.py: the copy is claimed with a conditional UPDATE, the hold is
taken with FOR UPDATE SKIP LOCKED and claimed conditionally, and the partial unique index on ready holds per
copy backs both up.
"""

from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select, update

from .. import clock
from ..errors import Conflict
from ..i18n import label
from ..extensions import db
from ..models import Book, Copy, Hold, Loan, Member
from . import audit
from .circulation import Rules, _commit_or_conflict, shelve, copy_by_barcode, return_loan, take_next_hold


@dataclass
class Scan:
    """What a scan at the desk in return mode did: returned (a loan), captured (a pulled copy for a hold) or
    cleared (an expired hold); `hold` is the hold the copy now waits for on the hold shelf, if any."""

    action: str
    copy: Copy
    loan: Loan | None = None
    hold: Hold | None = None
    cleared: Hold | None = None


def scan_in(barcode: str, rules: Rules) -> Scan:
    """The desk's return mode: check the copy in, capture it for a hold, or clear its expired hold."""
    copy = copy_by_barcode(barcode)
    if copy.status == "on_loan":
        loan = db.session.scalar(select(Loan).where(Loan.copy_id == copy.id, Loan.returned_at.is_(None)))
        if loan is not None:
            loan, hold = return_loan(loan, rules)
            return Scan("returned", copy, loan=loan, hold=hold)
    elif copy.status == "available":
        if db.session.scalar(select(Hold.id).where(Hold.book_id == copy.book_id, Hold.status == "waiting").limit(1)) is None:
            raise Conflict(f"Copy {barcode} is not on loan, and nobody is waiting for its book: it belongs on its shelf.")
        copy, hold = capture(barcode, rules)
        return Scan("captured", copy, hold=hold)
    elif copy.status == "on_hold_shelf":
        ready = db.session.scalar(select(Hold).where(Hold.copy_id == copy.id, Hold.status == "ready"))
        if ready is not None and ready.pickup_by < clock.now():
            cleared, copy, hold = clear(ready, rules)
            return Scan("cleared", copy, hold=hold, cleared=cleared)
        if ready is not None:
            raise Conflict(f"Copy {barcode} is on the hold shelf for {ready.member.name} until "
                           f"{ready.pickup_by.date().isoformat()}.")
    raise Conflict(f"Copy {barcode} is not on loan ({label('copy status', copy.status)}).")


def capture(barcode: str, rules: Rules) -> tuple[Copy, Hold]:
    """A copy pulled from the shelf goes on the hold shelf for the first in line of its book's queue."""
    now = clock.now()
    copy = copy_by_barcode(barcode)
    claimed = db.session.execute(
        update(Copy).where(Copy.id == copy.id, Copy.status == "available").values(status="on_hold_shelf")
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        status = db.session.scalar(select(Copy.status).where(Copy.id == copy.id))
        raise Conflict(f"Copy {barcode} is not on the shelf ({label('copy status', status)}).")
    hold = take_next_hold(copy, now, rules)
    if hold is None:
        db.session.rollback()
        raise Conflict(f"Nobody is waiting for this book: put copy {barcode} back on the shelf.")
    audit.record("hold.capture", resource=hold, summary={"barcode": barcode, "member_id": hold.member_id})
    _commit_or_conflict(f"Copy {barcode} changed meanwhile; scan it again.")
    db.session.refresh(hold)
    return copy, hold


def clear(hold: Hold, rules: Rules) -> tuple[Hold, Copy, Hold | None]:
    """A ready hold past its pickup date expires; its copy goes to the next in line (it stays on the hold shelf,
    for them) or back to the shelf. Returns the cleared hold, the copy and the hold it now serves, if any."""
    now = clock.now()
    if hold.status != "ready":
        raise Conflict(f"The hold is {label('hold status', hold.status)}, not on the hold shelf.")
    if hold.pickup_by >= now:
        raise Conflict(f"The hold waits until {hold.pickup_by.date().isoformat()}; to end it sooner, cancel it.")
    closed = db.session.execute(
        update(Hold).where(Hold.id == hold.id, Hold.status == "ready").values(status="expired", closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not closed:
        db.session.rollback()
        raise Conflict("The hold changed meanwhile; look at the hold shelf again.")
    db.session.flush()
    copy = db.session.scalars(select(Copy).where(Copy.id == hold.copy_id).with_for_update()).one()
    copy.status = "on_hold_shelf"  # shelve decides from here: the next hold, or back to the shelf
    next_hold = shelve(copy, now, rules)
    audit.record("hold.expire", resource=hold, summary={"barcode": copy.barcode,
                                                        "next_hold_id": next_hold.id if next_hold else None})
    _commit_or_conflict("The copy changed meanwhile; look at the hold shelf again.")
    db.session.refresh(hold)
    return hold, copy, next_hold


# --- the lists --------------------------------------------------------------------------------------

def _nulls_last(column):
    return [column.is_(None), column]


PULL_SORTS = ("placed_at", "shelf", "title", "call_number")
SHELF_SORTS = ("pickup_by", "-pickup_by", "member", "title")


def member_has_email():
    """Whether notices can reach the member: an e-mail on the card or a linked account (whose login is one),
    as services/notices.address_of decides."""
    return case((or_(Member.email.is_not(None), Member.user_id.is_not(None)), True), else_=False).label(
        "member_has_email")


def pull_list(sort: str = "placed_at"):
    """Waiting holds that a copy on the shelf can fill: the n-th in a book's line with the book's n-th copy on
    the shelf (by shelf, call number, id). A SELECT of rows with the columns of PullItem."""
    queue = (select(Hold.id, Hold.book_id, Hold.member_id, Hold.placed_at,
                    func.row_number().over(partition_by=Hold.book_id, order_by=(Hold.placed_at, Hold.id)).label("n"))
             .where(Hold.status == "waiting").cte("queue"))
    wanted = select(Hold.book_id).where(Hold.status == "waiting")
    shelf = (select(Copy.id, Copy.book_id, Copy.barcode, Copy.location, Copy.call_number,
                    func.row_number().over(partition_by=Copy.book_id,
                                           order_by=(Copy.location.is_(None), Copy.location, Copy.call_number.is_(None),
                                                     Copy.call_number, Copy.id)).label("n"))
             .where(Copy.status == "available", Copy.book_id.in_(wanted)).cte("shelf"))
    query = (select(queue.c.id.label("hold_id"), queue.c.placed_at, queue.c.n.label("position"),
                    Book.id.label("book_id"), Book.title.label("book_title"),
                    Member.id.label("member_id"), Member.name.label("member_name"), Member.card_number,
                    member_has_email(),
                    shelf.c.id.label("copy_id"), shelf.c.barcode, shelf.c.location, shelf.c.call_number)
             .join(shelf, and_(shelf.c.book_id == queue.c.book_id, shelf.c.n == queue.c.n))
             .join(Book, Book.id == queue.c.book_id).join(Member, Member.id == queue.c.member_id))
    order = {
        "placed_at": [queue.c.placed_at, queue.c.id],
        "shelf": [*_nulls_last(shelf.c.location), *_nulls_last(shelf.c.call_number), func.lower(Book.title), queue.c.id],
        "title": [func.lower(Book.title), queue.c.placed_at, queue.c.id],
        "call_number": [*_nulls_last(shelf.c.call_number), func.lower(Book.title), queue.c.id],
    }[sort]
    return query, order


def hold_shelf(sort: str = "pickup_by", expired: bool | None = None):
    """Ready holds (the copies on the hold shelf), with whether their pickup date has passed."""
    now = clock.now()
    is_expired = case((Hold.pickup_by < now, True), else_=False).label("expired")
    query = (select(Hold.id.label("hold_id"), Hold.placed_at, Hold.pickup_by, is_expired,
                    Book.id.label("book_id"), Book.title.label("book_title"),
                    Member.id.label("member_id"), Member.name.label("member_name"), Member.card_number,
                    member_has_email(),
                    Copy.id.label("copy_id"), Copy.barcode, Copy.location, Copy.call_number)
             .join(Copy, Copy.id == Hold.copy_id).join(Book, Book.id == Hold.book_id)
             .join(Member, Member.id == Hold.member_id).where(Hold.status == "ready"))
    if expired is not None:
        query = query.where(Hold.pickup_by < now if expired else Hold.pickup_by >= now)
    order = {
        "pickup_by": [Hold.pickup_by, Hold.id],
        "-pickup_by": [Hold.pickup_by.desc(), Hold.id.desc()],
        "member": [func.lower(Member.name), Hold.pickup_by, Hold.id],
        "title": [func.lower(Book.title), Hold.pickup_by, Hold.id],
    }[sort]
    return query, order
