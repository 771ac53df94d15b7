"""Notices: writing e-mails to the outbox in the transaction of their event, and the scheduled ones.

Event notices (hold_ready, password_reset) are added to the caller's session: they commit or roll back with
the capture or the reset request. Scheduled notices (due_soon, overdue) are made by periodic tasks of the
worker, once per dedupe key (a unique column), so a task run twice or on two machines makes each once.
A notice for a member who turned its kind off, or who has no address, is written as suppressed (with the
reason), so staff can see that the member was not told. Sending is services/mailer.py's.
"""

import math
from datetime import datetime, timedelta
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import clock, i18n
from ..errors import Conflict
from ..i18n import label
from ..extensions import db
from ..models import Copy, Hold, Loan, Member, Notice, NoticePreference, User
from ..models.notices import MEMBER_CHOICE_KINDS
from . import notice_templates, settings

NO_ADDRESS = "No e-mail address: the member was not told."
TURNED_OFF = "Turned off by the member."
NO_MAIL_SERVER = "Not sent: no mail server is configured."
BATCH = 500


# --- addresses, links, words ----------------------------------------------------------------------

def public_url() -> str:
    """The app's address for links in e-mails: LIBRARY_PUBLIC_URL (config.check settles it), never a Host header."""
    return current_app.config["LIBRARY_PUBLIC_URL"]


def account_url() -> str:
    return f"{public_url()}/#/me"


def address_of(member: Member) -> str | None:
    """Where a member's notices go: the card's e-mail, else the linked account's (a login is an address)."""
    if member.email:
        return member.email
    if member.user_id is not None:
        return db.session.scalar(select(User.email).where(User.id == member.user_id))
    return None


def reachable(member_ids) -> dict[int, bool]:
    """{member id: has an address} for many members in one query (staff see who will not be told)."""
    ids = list(set(member_ids))
    if not ids:
        return {}
    rows = db.session.execute(select(Member.id, Member.email, User.email).outerjoin(User, User.id == Member.user_id)
                              .where(Member.id.in_(ids)))
    return {member_id: bool(card or account) for member_id, card, account in rows}


def day_text(moment: datetime, language: str = "en") -> str:
    """"Friday 11 December 2026", or "vendredi 11 décembre 2026" in French."""
    return i18n.day_text(moment, language)


def language_of(member: Member | None, default: str | None = None) -> str:
    """The language of a member's notices: theirs, else the library's default (a setting)."""
    if member is not None and member.language:
        return member.language
    return default or settings.get("default_language")


def _member_of_user(user: User) -> Member | None:
    return db.session.scalar(select(Member).where(Member.user_id == user.id))


def _message_id() -> str:
    sender = current_app.config.get("LIBRARY_MAIL_FROM") or ""
    domain = sender.rpartition("@")[2] or public_url().split("://", 1)[-1].split("/")[0].split(":")[0] or "library"
    return make_msgid(domain=domain)


def _insert():
    return pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert


# --- members' choices -----------------------------------------------------------------------------

def choices(member: Member) -> dict[str, bool]:
    stored = dict(db.session.execute(select(NoticePreference.kind, NoticePreference.enabled)
                                     .where(NoticePreference.member_id == member.id)).all())
    return {kind: stored.get(kind, True) for kind in MEMBER_CHOICE_KINDS}


def open_holds(member: Member) -> int:
    return db.session.scalar(select(func.count()).select_from(Hold)
                             .where(Hold.member_id == member.id, Hold.status.in_(("waiting", "ready"))))


def set_choices(member: Member, changes: dict[str, bool]) -> dict[str, bool]:
    """Save a member's choices (commits). Hold-ready notices stay on while the member has an open hold."""
    if changes.get("hold_ready") is False and open_holds(member):
        raise Conflict("Hold-ready e-mails cannot be turned off while you have a hold open: the library must be "
                       "able to tell you when it is ready.", {"hold_ready": ["You have an open hold."]})
    for kind, enabled in changes.items():
        row = db.session.get(NoticePreference, (member.id, kind))
        if row is None:
            db.session.add(NoticePreference(member_id=member.id, kind=kind, enabled=enabled))
        else:
            row.enabled = enabled
    db.session.commit()
    return choices(member)


def _suppressed_because(member: Member | None, kind: str, address: str | None) -> str | None:
    if not address:
        return NO_ADDRESS
    if member is not None and kind in MEMBER_CHOICE_KINDS:
        row = db.session.get(NoticePreference, (member.id, kind))
        if row is not None and not row.enabled:
            return TURNED_OFF
    return None


# --- making notices -------------------------------------------------------------------------------

def _values(kind: str, *, member: Member | None, user: User | None, address: str | None, name: str,
            values: dict, now, language: str, dedupe_key: str | None = None, template: dict | None = None,
            library_name: str | None = None) -> dict:
    """The columns of one notice, rendered now in the language from the template in force."""
    reason = _suppressed_because(member, kind, address)
    context = {"library_name": library_name or settings.get("library_name"), "name": name,
               "account_url": account_url(), **values}
    message = notice_templates.render_notice(kind, context, template, language)
    return {"kind": kind, "state": "suppressed" if reason else "queued", "reason": reason,
            "member_id": member.id if member is not None else None, "user_id": user.id if user is not None else None,
            "to_address": address, "to_name": name[:200], "message_id": _message_id(), "dedupe_key": dedupe_key,
            "attempts": 0, "next_attempt_at": now, "created_at": now, **message}


def hold_ready(hold: Hold) -> Notice:
    """A hold was captured (its copy is on the hold shelf): tell the member, in the capture's transaction."""
    member = hold.member
    notice = Notice(**_values("hold_ready", member=member, user=None, address=address_of(member), name=member.name,
                              values={"title": hold.book.title, "pickup_by": hold.pickup_by},
                              now=clock.now(), language=language_of(member)))
    db.session.add(notice)
    return notice


def password_reset(user: User, link: str, expires_in: timedelta = timedelta(hours=1)) -> Notice:
    """A password reset link asked for: e-mail it, in the reset request's transaction, in the language of the
    user's library card (staff without a card: the library's default). The link is a secret: the stored bodies
    are blanked once the notice is sent or has failed (services/mailer.py)."""
    notice = Notice(**_values("password_reset", member=None, user=user, address=user.email,
                              name=user.display_name or user.email,
                              values={"reset_url": link, "expires_in": expires_in}, now=clock.now(),
                              language=language_of(_member_of_user(user))))
    db.session.add(notice)
    return notice


def _add_scheduled(candidates: list[tuple[str, Loan, dict]], kind: str, now) -> int:
    """Insert the notices whose key is new (ON CONFLICT DO NOTHING: a concurrent run cannot double them)."""
    if not candidates:
        return 0
    keys = [key for key, _loan, _values in candidates]
    existing = set(db.session.scalars(select(Notice.dedupe_key).where(Notice.dedupe_key.in_(keys))))
    templates = {language: notice_templates.current(kind, language) for language in i18n.LANGUAGES}
    library_name, default = settings.get("library_name"), settings.get("default_language")
    made = 0
    for key, loan, values in candidates:
        if key in existing:
            continue
        member = loan.member
        language = language_of(member, default)
        row = _values(kind, member=member, user=None, address=address_of(member), name=member.name,
                      values={"title": loan.copy.book.title, **values}, now=now, language=language, dedupe_key=key,
                      template=templates[language], library_name=library_name)
        made += db.session.execute(_insert()(Notice).values(**row).on_conflict_do_nothing(index_elements=["dedupe_key"])
                                   .returning(Notice.id)).first() is not None
    db.session.commit()
    return made


def _active_loans(*conditions):
    """Active loans matching conditions, in batches, with their member, copy and book loaded."""
    from sqlalchemy.orm import joinedload

    last_id = 0
    while True:
        batch = db.session.scalars(
            select(Loan).where(Loan.returned_at.is_(None), Loan.id > last_id, *conditions).order_by(Loan.id)
            .limit(BATCH).options(joinedload(Loan.member), joinedload(Loan.copy).joinedload(Copy.book))
        ).all()
        if not batch:
            return
        yield batch
        last_id = batch[-1].id


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M")


def due_soon(now=None) -> int:
    """Remind members of loans due within the setting's days (once per loan and due date; a renewal's new due
    date gets its own reminder). Loans shorter than the reminder window get none."""
    now = now or clock.now()
    days = settings.get("notice_due_soon_days")
    if not days:
        return 0
    window = timedelta(days=days)
    made = 0
    for batch in _active_loans(Loan.due_at > now, Loan.due_at <= now + window):
        made += _add_scheduled([
            (f"due_soon:{loan.id}:{_stamp(loan.due_at)}", loan,
             {"due_date": loan.due_at, "days_left": max(1, math.ceil((loan.due_at - now) / timedelta(days=1)))})
            for loan in batch if loan.loaned_at <= loan.due_at - window], "due_soon", now)
    return made


def overdue(now=None) -> int:
    """Tell members of overdue loans: the first notice once the due date has passed, then one every N days,
    up to M per loan and due date (settings). A worker that was stopped for a while sends only the latest."""
    now = now or clock.now()
    every, most = settings.get("notice_overdue_every_days"), settings.get("notice_overdue_max")
    if not most:
        return 0
    made = 0
    for batch in _active_loans(Loan.due_at < now):
        candidates = []
        for loan in batch:
            late = now - loan.due_at
            number = min(most, 1 + late // timedelta(days=every))
            candidates.append((f"overdue:{loan.id}:{_stamp(loan.due_at)}:{number}", loan,
                               {"due_date": loan.due_at, "days_overdue": late.days,
                                "notice_number": number}))
        made += _add_scheduled(candidates, "overdue", now)
    return made


# --- what staff see -------------------------------------------------------------------------------

def mail_server() -> dict:
    config = current_app.config
    return {"configured": bool(config["LIBRARY_SMTP_HOST"]), "host": config["LIBRARY_SMTP_HOST"] or None,
            "port": config["LIBRARY_SMTP_PORT"], "security": config["LIBRARY_SMTP_SECURITY"],
            "from_address": config["LIBRARY_MAIL_FROM"] or None}


def status(now=None) -> dict:
    """The mail server's configuration and how sending goes, from the outbox itself (nothing extra is written):
    failing when the latest attempt failed after the latest success."""
    now = now or clock.now()
    server = mail_server()
    counts = dict(db.session.execute(select(Notice.state, func.count()).group_by(Notice.state)).all())
    last_sent = db.session.scalar(select(func.max(Notice.sent_at)))
    last_failure = db.session.execute(
        select(Notice.last_attempt_at, Notice.reason)
        .where(Notice.state.in_(("queued", "failed")), Notice.reason.is_not(None), Notice.last_attempt_at.is_not(None))
        .order_by(Notice.last_attempt_at.desc()).limit(1)).first()
    oldest = db.session.scalar(select(func.min(Notice.created_at)).where(Notice.state.in_(("queued", "sending"))))
    failed_day = db.session.scalar(select(func.count()).select_from(Notice)
                                   .where(Notice.state == "failed", Notice.last_attempt_at >= now - timedelta(days=1)))
    failing = bool(last_failure and (last_sent is None or last_failure[0] > last_sent))
    return {"mail_server": server, "failing": failing and server["configured"],
            "last_sent_at": last_sent, "last_failure_at": last_failure[0] if last_failure else None,
            "last_error": last_failure[1] if last_failure else None,
            "queued": counts.get("queued", 0) + counts.get("sending", 0), "oldest_queued_at": oldest,
            "failed": counts.get("failed", 0), "failed_last_day": failed_day, "sent": counts.get("sent", 0),
            "suppressed": counts.get("suppressed", 0)}


def resend(notice: Notice) -> Notice:
    """Queue a failed notice again, from a fresh count of tries (commits)."""
    if notice.state != "failed":
        raise Conflict(f"Only a failed notice can be sent again; this one is {label('notice state', notice.state)}.")
    if notice.kind == "password_reset":
        raise Conflict("A password reset link is not kept once its e-mail failed; ask for a new link.")
    from . import audit

    notice.state, notice.attempts, notice.next_attempt_at, notice.lease_owner = "queued", 0, clock.now(), None
    notice.reason = None
    audit.record("notice.resend", summary={"notice_id": notice.id, "kind": notice.kind, "to": notice.to_address})
    db.session.commit()
    return notice
