"""Circulation rules: checkout, return, renew, the holds queue; safe under concurrent requests.

How races are decided (SECURITY-CHECKLIST 2.4): a copy is claimed with a conditional UPDATE
(... WHERE status = 'available'; one winner, the others see 0 rows and answer 409); a member's
limits are counted under a lock on the member row (PostgreSQL SELECT ... FOR UPDATE; on SQLite every
write transaction begins IMMEDIATE, which serializes writers); the next hold in a queue is taken with
FOR UPDATE SKIP LOCKED and claimed conditionally. Partial unique indexes back all of it up: a second
active loan for a copy, or a second ready hold for a copy, cannot be written.
"""

import base64
import hashlib
import hmac
import logging
import random
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import aliased

from .. import clock
from ..errors import Conflict, Problem
from ..i18n import label
from ..extensions import db
from ..models import Book, Copy, Hold, Loan, Member, User
from . import audit, notices, privacy


@dataclass(frozen=True)
class Rules:
    loan_days: int
    max_renewals: int
    max_loans: int
    max_holds: int
    hold_pickup_days: int


RETRYABLE_SQLSTATES = {"40001": "a serialization failure", "40P01": "a deadlock"}

log = logging.getLogger("library.circulation")


def retrying(operation, *args, attempts=3):
    """Run a write; PostgreSQL serialization failures and deadlocks are retried (bounded, with jitter).
    Still failing after the last attempt, the error reaches the handler: a 503, never a 500. Each retry is logged
    (a warning): one now and then is the database doing its job; many point at a lock order to fix."""
    for attempt in range(1, attempts + 1):
        try:
            return operation(*args)
        except OperationalError as error:
            sqlstate = getattr(error.orig, "sqlstate", None)
            if sqlstate not in RETRYABLE_SQLSTATES or attempt == attempts:
                raise
            db.session.rollback()
            log.warning("%s met %s; retrying (attempt %d of %d)", operation.__name__.lstrip("_"),
                        RETRYABLE_SQLSTATES[sqlstate], attempt + 1, attempts)
            time.sleep(random.uniform(0.005, 0.03) * attempt)


def invalid(field, message):
    return Problem(422, "The request has invalid fields; see errors.", {field: [message]})


def _lock_member(member_id: int) -> Member:
    """The member row, locked until commit (serializes one member's checkouts and holds on PostgreSQL)."""
    return db.session.scalars(select(Member).where(Member.id == member_id).with_for_update()).one()


def _refuse_inactive(member: Member) -> None:
    """Only active cards borrow and place holds."""
    if member.status == "pending":
        raise Conflict(f"{member.name}'s card is waiting for approval by the library.")
    if member.status != "active":
        raise Conflict(f"{member.name}'s card is suspended.")


def _commit_or_conflict(message: str) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(message) from None


# --- lookups --------------------------------------------------------------------------------------

def resolve_checkout(barcode: str, card_number: str | None, member_id: int | None) -> tuple[Copy, Member]:
    """The copy and the member of a checkout; unknown ones are reported together, per field."""
    errors = {}
    copy = db.session.scalar(select(Copy).where(Copy.barcode == barcode))
    if copy is None:
        errors["barcode"] = [f"No copy with barcode {barcode}."]
    try:
        member = find_member(card_number, member_id)
    except Problem as problem:
        errors.update(problem.errors)
    if errors:
        raise Problem(422, "The request has invalid fields; see errors.", errors)
    return copy, member


def copy_by_barcode(barcode: str) -> Copy:
    copy = db.session.scalar(select(Copy).where(Copy.barcode == barcode))
    if copy is None:
        raise invalid("barcode", f"No copy with barcode {barcode}.")
    return copy


def find_member(card_number: str | None = None, member_id: int | None = None) -> Member:
    if member_id is not None:
        member = db.session.get(Member, member_id)
        if member is None:
            raise invalid("member_id", f"No member with id {member_id}.")
        return member
    member = db.session.scalar(select(Member).where(Member.card_number == card_number))
    if member is None:  # typed in another case: the one card that matches ignoring case
        found = db.session.scalars(select(Member).where(func.lower(Member.card_number) == card_number.lower())
                                   .limit(2)).all()
        member = found[0] if len(found) == 1 else None
    if member is None:
        raise invalid("card_number", f"No member with card {card_number}.")
    return member


def active_loan_count(member_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Loan)
                             .where(Loan.member_id == member_id, Loan.returned_at.is_(None)))


# --- holds ----------------------------------------------------------------------------------------

def expire_holds(rules: Rules, now=None) -> int:
    """Clear every ready hold whose pickup date has passed, as the hold shelf's Clear does (services/holdshelf.py):
    the copy passes to the next in line or goes back to the shelf. For `flask --app library expire-holds` (cron);
    the desk clears them one by one instead, so that each copy is moved as the app says."""
    now = now or clock.now()
    expired = 0
    for hold in db.session.scalars(
        select(Hold).where(Hold.status == "ready", Hold.pickup_by < now).with_for_update(skip_locked=True)
    ).all():
        _close_hold(hold, "expired", now, rules)
        audit.record("hold.expire", resource=hold)
        expired += 1
    if expired:
        db.session.commit()
    return expired


def _close_hold(hold: Hold, status: str, now, rules: Rules) -> None:
    """Close an open hold; a copy it held goes to the next in line, or back to the shelf."""
    copy = hold.copy if hold.status == "ready" else None
    hold.status, hold.closed_at = status, now
    if copy is not None:
        db.session.flush()
        shelve(copy, now, rules)


def shelve(copy: Copy, now, rules: Rules) -> Hold | None:
    """A copy back in the library: captured for the first waiting hold on its book, else available."""
    hold = take_next_hold(copy, now, rules)
    if hold is None:
        copy.status = "available"
    return hold


def take_next_hold(copy: Copy, now, rules: Rules) -> Hold | None:
    """The first waiting hold on the copy's book becomes ready with this copy (the copy goes on the hold shelf),
    or None when nobody waits. The hold is taken with FOR UPDATE SKIP LOCKED and claimed conditionally, so two
    copies coming back at once serve two different holds."""
    hold = db.session.scalars(
        select(Hold).where(Hold.book_id == copy.book_id, Hold.status == "waiting")
        .order_by(Hold.placed_at, Hold.id).limit(1).with_for_update(skip_locked=True)
    ).first()
    if hold is None:
        return None
    claimed = db.session.execute(
        update(Hold).where(Hold.id == hold.id, Hold.status == "waiting")
        .values(status="ready", copy_id=copy.id, pickup_by=now + timedelta(days=rules.hold_pickup_days))
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:  # taken by a concurrent return between our SELECT and UPDATE
        return None
    copy.status = "on_hold_shelf"
    db.session.refresh(hold)
    notices.hold_ready(hold)  # the member is told in the capture's own transaction
    return hold


def place_hold(book_id: int, member: Member, rules: Rules) -> Hold:
    """A new hold waits in the book's queue, also when a copy is on the shelf: staff pull that copy (the pull
    list) and capture it at the desk (services/holdshelf.py), which puts it on the hold shelf."""
    now = clock.now()
    book = db.session.get(Book, book_id)
    if book is None or book.archived_at is not None:
        raise invalid("book_id", f"No book with id {book_id}.")
    member = _lock_member(member.id)
    _refuse_inactive(member)
    open_holds = db.session.scalar(select(func.count()).select_from(Hold)
                                   .where(Hold.member_id == member.id, Hold.status.in_(("waiting", "ready"))))
    if open_holds >= rules.max_holds:
        raise Conflict(f"Limit reached: {rules.max_holds} holds.")
    if db.session.scalar(select(Hold.id).where(Hold.member_id == member.id, Hold.book_id == book_id,
                                                Hold.status.in_(("waiting", "ready")))):
        raise Conflict(f"{member.name} already has a hold on this book.")
    hold = Hold(book_id=book_id, member_id=member.id, placed_at=now, status="waiting")
    db.session.add(hold)
    db.session.flush()
    audit.record("hold.place", resource=hold, summary={"book_id": book_id, "card_number": member.card_number})
    _commit_or_conflict(f"{member.name} already has a hold on this book.")
    db.session.refresh(hold)
    return hold


def cancel_hold(hold: Hold, rules: Rules) -> None:
    if hold.status not in ("waiting", "ready"):
        raise Conflict(f"The hold is already {label('hold status', hold.status)}.")
    _close_hold(hold, "cancelled", clock.now(), rules)
    audit.record("hold.cancel", resource=hold)
    _commit_or_conflict("The hold changed meanwhile; try again.")


def queue_positions(holds: list[Hold]) -> dict[int, int]:
    """1-based place in line of each waiting hold (one query for all)."""
    waiting = [h.id for h in holds if h.status == "waiting"]
    if not waiting:
        return {}
    other = aliased(Hold)
    earlier = (
        select(func.count()).select_from(other)
        .where(other.book_id == Hold.book_id, other.status == "waiting",
               or_(other.placed_at < Hold.placed_at, and_(other.placed_at == Hold.placed_at, other.id < Hold.id)))
        .correlate(Hold).scalar_subquery()
    )
    return {hold_id: count + 1 for hold_id, count in db.session.execute(select(Hold.id, earlier).where(Hold.id.in_(waiting)))}


# --- loans ----------------------------------------------------------------------------------------

def checkout(barcode: str, card_number: str | None, member_id: int | None, rules: Rules) -> Loan:
    """Lend a copy: one on the shelf to anyone (a waiting hold waits for the next copy), one on the hold shelf
    to the member it waits for. A waiting hold of the borrower on the same book is fulfilled by the loan."""
    now = clock.now()
    copy, member = resolve_checkout(barcode, card_number, member_id)
    member = _lock_member(member.id)
    _refuse_inactive(member)
    if active_loan_count(member.id) >= rules.max_loans:
        raise Conflict(f"Limit reached: {member.name} has {rules.max_loans} loans.")
    own_hold = None
    if copy.status == "on_hold_shelf":
        own_hold = db.session.scalar(select(Hold).where(Hold.copy_id == copy.id, Hold.status == "ready"))
        if own_hold is not None and own_hold.member_id != member.id:
            if own_hold.pickup_by is not None and own_hold.pickup_by < now:
                raise Conflict(f"Copy {barcode} waited on the hold shelf for {own_hold.member.name} until "
                               f"{own_hold.pickup_by.date().isoformat()}: clear that hold first (scan the copy "
                               "in return mode, or Clear on the hold shelf list).")
            raise Conflict(f"Copy {barcode} is on the hold shelf for another member.")
        claimed = db.session.execute(
            update(Copy).where(Copy.id == copy.id, Copy.status == "on_hold_shelf").values(status="on_loan")
            .execution_options(synchronize_session=False)
        ).rowcount
    else:
        claimed = db.session.execute(
            update(Copy).where(Copy.id == copy.id, Copy.status == "available").values(status="on_loan")
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:  # the borrower found it on the shelf: their own waiting hold on the book is done
            own_hold = db.session.scalar(select(Hold).where(
                Hold.member_id == member.id, Hold.book_id == copy.book_id, Hold.status == "waiting"))
    if not claimed:
        db.session.rollback()
        raise Conflict(_unavailable(barcode))
    if own_hold is not None:
        own_hold.status, own_hold.closed_at = "fulfilled", now
    now = clock.now()  # after the claim: a return we waited for happened before this loan began
    loan = Loan(copy_id=copy.id, member_id=member.id, loaned_at=now, due_at=now + timedelta(days=rules.loan_days))
    db.session.add(loan)
    db.session.flush()
    audit.record("loan.checkout", resource=loan, summary={"barcode": barcode, "card_number": member.card_number,
                                                          "hold_id": own_hold.id if own_hold else None})
    _commit_or_conflict(f"Copy {barcode} is already on loan.")
    return loan


def _unavailable(barcode: str) -> str:
    status = db.session.scalar(select(Copy.status).where(Copy.barcode == barcode))
    return {
        "on_loan": f"Copy {barcode} is already on loan.",
        "on_hold_shelf": f"Copy {barcode} is on the hold shelf for another member.",
        "lost": f"Copy {barcode} is marked lost.",
        "withdrawn": f"Copy {barcode} is withdrawn.",
    }.get(status, f"Copy {barcode} cannot be lent right now.")


def return_loan(loan: Loan, rules: Rules) -> tuple[Loan, Hold | None]:
    """Close the loan; the copy goes to the first waiting hold (hold shelf) or back on the shelf."""
    now = clock.now()
    closed = db.session.execute(
        update(Loan).where(Loan.id == loan.id, Loan.returned_at.is_(None)).values(returned_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not closed:
        db.session.rollback()
        raise Conflict("This loan is already returned.")
    copy = db.session.scalars(select(Copy).where(Copy.id == loan.copy_id).with_for_update()).one()
    hold = shelve(copy, now, rules)
    audit.record("loan.return", resource=loan, summary={"barcode": copy.barcode, "hold_id": hold.id if hold else None})
    privacy.loan_closed(loan)  # the card number leaves the audit trail; anonymised if the member keeps no history
    _commit_or_conflict("The copy changed meanwhile; try again.")
    db.session.refresh(loan)
    return loan, hold


def renewal(loan: Loan, rules: Rules, waiting: int, now) -> tuple[object, str | None]:
    """(the due date a renewal would give, None) or (None, why it cannot be renewed). A renewal extends the
    current due date by a loan period (the common ILS default), so it always moves the date; one that would
    still leave the loan overdue is refused (return the book instead)."""
    if loan.returned_at is not None:
        return None, "This loan is already returned."
    if loan.member.status != "active":
        return None, f"{loan.member.name}'s card is suspended."
    if loan.renewals >= rules.max_renewals:
        return None, f"Renewal limit reached ({rules.max_renewals})."
    if waiting:
        return None, "Someone is waiting for this book; it cannot be renewed."
    new_due = loan.due_at + timedelta(days=rules.loan_days)
    if new_due <= now:
        return None, "Even renewed, this loan would still be overdue; please return it."
    return new_due, None


def waiting_holds(book_ids) -> dict[int, int]:
    """{book_id: waiting holds} for the given books (one query)."""
    ids = sorted(set(book_ids))
    if not ids:
        return {}
    return dict(db.session.execute(select(Hold.book_id, func.count()).where(
        Hold.book_id.in_(ids), Hold.status == "waiting").group_by(Hold.book_id)).all())


def renew(loan: Loan, rules: Rules) -> Loan:
    now = clock.now()
    new_due, refusal = renewal(loan, rules, waiting_holds([loan.copy.book_id]).get(loan.copy.book_id, 0), now)
    if refusal:
        raise Conflict(refusal)
    renewed = db.session.execute(
        update(Loan).where(Loan.id == loan.id, Loan.renewals == loan.renewals, Loan.due_at == loan.due_at,
                           Loan.returned_at.is_(None))
        .values(renewals=loan.renewals + 1, due_at=new_due)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not renewed:
        db.session.rollback()
        raise Conflict("The loan changed meanwhile; try again.")
    audit.record("loan.renew", resource=loan, summary={"due_at": [loan.due_at.isoformat(), new_due.isoformat()]})
    db.session.commit()
    db.session.refresh(loan)
    return loan


# --- catalog availability -------------------------------------------------------------------------

def availability(book_ids: list[int]) -> dict[int, dict]:
    """{book_id: {"available", "total", "holds"}} for many books in two queries."""
    result = {book_id: {"available": 0, "total": 0, "holds": 0} for book_id in book_ids}
    if not book_ids:
        return result
    for book_id, available, total in db.session.execute(
        select(Copy.book_id, func.sum(case((Copy.status == "available", 1), else_=0)),
               func.sum(case((Copy.status != "withdrawn", 1), else_=0)))
        .where(Copy.book_id.in_(book_ids)).group_by(Copy.book_id)
    ):
        result[book_id].update(available=int(available or 0), total=int(total or 0))
    for book_id, holds in db.session.execute(
        select(Hold.book_id, func.count()).where(Hold.book_id.in_(book_ids), Hold.status == "waiting")
        .group_by(Hold.book_id)
    ):
        result[book_id]["holds"] = holds
    return result


def available_now_condition():
    return select(Copy.id).where(Copy.book_id == Book.id, Copy.status == "available").exists()


# --- copies --------------------------------------------------------------------------------------

def update_copy(copy: Copy, data: dict) -> Copy:
    """Shelf, call number, notes, and the staff's statuses: available (back in service: on the pull list if
    someone waits for the book), lost, withdrawn. A copy on loan or on the hold shelf is checked in first."""
    status = data.pop("status", None)
    if status is not None and status != copy.status:
        if copy.status in ("on_loan", "on_hold_shelf"):
            raise Conflict(f"Copy {copy.barcode} is {label('copy status', copy.status)}; check it in first.")
        claimed = db.session.execute(
            update(Copy).where(Copy.id == copy.id, Copy.status == copy.status).values(status=status)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            db.session.rollback()
            raise Conflict("The copy changed meanwhile; try again.")
        copy.status = status  # (written above) so that the audit trail has it, in one event with the rest
    for key, value in data.items():  # after the status's own UPDATE, which would flush them in an event of their own
        setattr(copy, key, value)
    _commit_or_conflict("The copy changed meanwhile; try again.")
    db.session.refresh(copy)
    return copy


def copy_history(copy_ids) -> set[int]:
    """The copies among these that were ever lent or held (so cannot be deleted, only withdrawn)."""
    ids = sorted(set(copy_ids))
    if not ids:
        return set()
    lent = select(Loan.copy_id).where(Loan.copy_id.in_(ids))
    held = select(Hold.copy_id).where(Hold.copy_id.in_(ids))
    return set(db.session.scalars(lent.union(held)))


def delete_copy(copy: Copy) -> None:
    if copy_history([copy.id]):
        raise Conflict(f"Copy {copy.barcode} has loan or hold history; mark it withdrawn instead.")
    db.session.delete(copy)
    _commit_or_conflict(f"Copy {copy.barcode} is in use; mark it withdrawn instead.")


# --- calendar -------------------------------------------------------------------------------------

def calendar_token(member: Member, secret_key: str) -> str:
    """HMAC of the member id and salt: unguessable without SECRET_KEY, shown again on demand, nothing stored."""
    mac = hmac.new(secret_key.encode(), f"calendar:{member.id}:{member.calendar_salt or ''}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def reset_calendar_token(member: Member, secret_key: str) -> str:
    """A new calendar token; the old URL stops working."""
    member.calendar_salt = secrets.token_hex(16)
    db.session.commit()
    return calendar_token(member, secret_key)


def member_by_calendar_token(member_id: int, token: str, secret_key: str) -> Member | None:
    """The member whose feed this is, or None: unknown member, wrong token, a suspended card or a disabled
    linked account (the feed ends with the card's or the account's rights; it works again once restored)."""
    member = db.session.get(Member, member_id)
    if member is None or member.status != "active":
        return None
    if member.user_id is not None and not db.session.scalar(select(User.is_active).where(User.id == member.user_id)):
        return None
    # Bytes, not str: compare_digest refuses str with non-ASCII characters (a TypeError, a 500).
    expected = calendar_token(member, secret_key).encode()
    return member if hmac.compare_digest(expected, token.encode("utf-8", "surrogatepass")) else None


def icalendar(member: Member, loans: list[Loan], host: str) -> bytes:
    """An RFC 5545 calendar with one all-day event per due date."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Library//due dates//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Library loans: {member.name}")
    stamp = clock.now()
    for loan in loans:
        event = Event()
        event.add("uid", f"loan-{loan.id}-{loan.renewals}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", loan.due_at.date())
        event.add("summary", f"Due: {loan.copy.book.title}")
        event.add("description", f"Return or renew {loan.copy.book.title} (barcode {loan.copy.barcode}).")
        cal.add_component(event)
    return cal.to_ical()
