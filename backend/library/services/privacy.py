"""Reading-history privacy: who may see what a member borrowed, and anonymising it (README, "Privacy").

- A closed loan or hold names its member only to that member: staff see a member's current loans and open holds,
  and closed ones without the member (a copy's history); statistics never name anyone.
- When a loan closes, the member's card number (or member id) leaves the audit trail's entries about it (and about
  the member's closed holds): the trail keeps who at the desk did what, not who read what.
- A member who does not keep their history (keep_history false) has each loan anonymised as it closes, and
  everything already closed when they turn it off or clear it: the row stays, so every count stays right, and
  its member_id is cleared (the database's checks allow that only for closed loans and holds).
- A member's last month of borrowing stays on the member (a trigger keeps it; it counts active members), not what
  or exactly when.
"""

from datetime import date

from sqlalchemy import String, cast, or_, select, update

from ..extensions import db
from ..models import AuditEvent, Hold, Loan, Member
from . import audit

CLOSED_HOLD_STATUSES = ("fulfilled", "cancelled", "expired")
BORROWER_KEYS = {"card_number", "member_id"}  # what names the borrower in an audit entry's summary
CHUNK = 500


def loan_closed(loan: Loan) -> None:
    """A loan has just been returned (inside the return's transaction): keep who returned it for the desk's answer
    (loan.returned_from), take the card number out of the audit trail, and anonymise it if the member asked."""
    member = loan.member
    loan.returned_from = member
    _scrub_audit("loan", [loan.id])
    if member is None:
        return
    if member.keep_history:
        _scrub_audit("hold", db.session.scalars(select(Hold.id).where(
            Hold.member_id == member.id, Hold.status.in_(CLOSED_HOLD_STATUSES))).all())
    else:
        forget(member.id)


def forget(member_id: int) -> int:
    """Anonymise every closed loan and hold of a member (without committing); returns how many loans."""
    loans = db.session.scalars(select(Loan.id).where(Loan.member_id == member_id, Loan.returned_at.is_not(None))).all()
    holds = db.session.scalars(select(Hold.id).where(Hold.member_id == member_id,
                                                     Hold.status.in_(CLOSED_HOLD_STATUSES))).all()
    for ids, model in ((loans, Loan), (holds, Hold)):
        for start in range(0, len(ids), CHUNK):
            db.session.execute(update(model).where(model.id.in_(ids[start:start + CHUNK])).values(member_id=None)
                               .execution_options(synchronize_session=False))
    _scrub_audit("loan", loans)
    _scrub_audit("hold", holds)
    return len(loans)


def _scrub_audit(resource_type: str, ids) -> None:
    """Remove the borrower (card number, member id) from the audit events about these loans or holds."""
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        for event in db.session.scalars(select(AuditEvent).where(
                AuditEvent.resource_type == resource_type, AuditEvent.resource_id.in_(ids[start:start + CHUNK]))):
            if BORROWER_KEYS & set(event.summary or {}):
                event.summary = {key: value for key, value in event.summary.items() if key not in BORROWER_KEYS}


def set_keep_history(member: Member, keep: bool) -> int:
    """Turn a member's history on or off (audited as a member change); off forgets what is closed already.
    Commits; returns how many loans were anonymised."""
    member.keep_history = keep
    forgotten = 0 if keep else forget(member.id)
    db.session.commit()
    return forgotten


def clear_history(member: Member) -> int:
    """Forget a member's closed loans and holds now, whatever their setting; commits; returns how many loans."""
    forgotten = forget(member.id)
    audit.record("member.history_clear", resource=member, summary={"loans": forgotten})
    db.session.commit()
    return forgotten


def sweep() -> tuple[int, int]:
    """For cron (`flask --app library forget-history`): anonymise what members who keep no history still have linked
    (e.g. holds that expired or were cancelled since), and take card numbers out of the audit trail's entries about
    closed loans and holds. Commits; returns (members, loans) anonymised."""
    members = db.session.scalars(select(Member.id).where(Member.keep_history.is_(False), or_(
        select(Loan.id).where(Loan.member_id == Member.id, Loan.returned_at.is_not(None)).exists(),
        select(Hold.id).where(Hold.member_id == Member.id, Hold.status.in_(CLOSED_HOLD_STATUSES)).exists(),
    ))).all()
    loans = sum(forget(member_id) for member_id in members)
    closed_loans = select(Loan.id).where(Loan.returned_at.is_not(None))
    closed_holds = select(Hold.id).where(Hold.status.in_(CLOSED_HOLD_STATUSES))
    for resource_type, closed in (("loan", closed_loans), ("hold", closed_holds)):
        _scrub_audit(resource_type, db.session.scalars(select(AuditEvent.resource_id).where(
            AuditEvent.resource_type == resource_type,
            or_(*(cast(AuditEvent.summary, String).like(f'%"{key}"%') for key in sorted(BORROWER_KEYS))),
            AuditEvent.resource_id.in_(closed))).all())
    db.session.commit()
    return len(members), loans


def history_query(member_id: int):
    """A member's closed loans, newest first (their reading history; theirs only)."""
    return select(Loan).where(Loan.member_id == member_id, Loan.returned_at.is_not(None))


def active_since(today: date) -> date:
    """The first month that counts for "active members": the 12 months up to and including this one."""
    month = today.month - 11
    return date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
