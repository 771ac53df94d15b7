"""The sender: delivers the outbox by SMTP (smtplib), called by the worker every round (services/tasks.py).

Nothing is lost and nothing is sent twice but in one case:
1. claim: a conditional UPDATE leases a few due notices to this worker (state sending, a lease until), committed;
2. send one by SMTP;
3. mark it sent, only if this worker still holds the lease, committed; then the next.
A worker killed between 1 and 3 leaves the notice with a lease that runs out; the next claim sends it again
with the same Message-ID, so the one possible duplicate (a kill after 2, before 3: one message per kill) is
collapsed by mail clients. Two workers never hold one lease, so they never send one notice at the same time.

Failures: a refusal with a 5xx code is permanent (failed at once, with the server's reason); anything else
(no connection, a timeout, a 4xx) is tried again with back-off, and failed after MAX_TRIES with the last
reason. When the server itself is unreachable this process rests (30 s doubling to 10 min, in memory) rather
than trying the next notice at once. With no mail server configured nothing is read or written: notices wait.
An idle round is one SELECT that finds nothing, so it writes nothing.
"""

import logging
import smtplib
import ssl
from collections.abc import Callable
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app
from sqlalchemy import select, text, update

from .. import clock
from ..extensions import db
from ..models import Notice
from . import settings

log = logging.getLogger("library.mailer")
MAX_TRIES = 8
BACKOFF_FIRST, BACKOFF_MAX = timedelta(minutes=1), timedelta(hours=1)  # 1, 2, 4 ... 60 min: about 2 h in all
REST_FIRST, REST_MAX = timedelta(seconds=30), timedelta(minutes=10)
ROUND_LIMIT = 200  # notices per round, so that jobs get their turn
CLAIM_BATCH = 5  # notices leased at once (one commit); a killed worker's unsent ones wait for the lease
REDACTED = "(Not kept: this message held a password reset link.)"
_rest = {"until": None, "length": timedelta(0)}  # this process's pause after the server could not be reached


class ServerDown(Exception):
    """The server could not be reached or dropped us: try later, and rest a while."""


class Refused(Exception):
    """The server refused this message: permanent (5xx) or temporary (4xx)."""

    def __init__(self, reason: str, permanent: bool):
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


def lease_length(config) -> timedelta:
    """Time for a claimed batch: a sender gives back what it has not tried once fewer than 4 timeouts (one
    message's SMTP steps) are left, so a live sender never loses its lease to another."""
    return timedelta(seconds=max(10.0, CLAIM_BATCH * 2 * config["LIBRARY_SMTP_TIMEOUT"]))


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def reset_rest() -> None:
    _rest.update(until=None, length=timedelta(0))


# --- the outbox -----------------------------------------------------------------------------------

DUE = text("notice.state IN ('queued', 'sending')")  # literal, so SQLite can use the partial index ix_notice_due


def claim(owner: str, now, lease: timedelta, size: int = 1) -> list[Notice]:
    """Up to size due notices (queued ones whose time has come, or ones whose sender's lease ran out), leased to
    owner and committed, oldest first; [] when there is none (then nothing was written)."""
    candidates = list(db.session.scalars(select(Notice.id).where(DUE, Notice.next_attempt_at <= now)
                                         .order_by(Notice.next_attempt_at, Notice.id).limit(size)
                                         .with_for_update(skip_locked=True)))
    if not candidates:
        db.session.commit()
        return []
    claimed = set(db.session.scalars(
        update(Notice).where(Notice.id.in_(candidates), DUE, Notice.next_attempt_at <= now)
        .values(state="sending", lease_owner=owner, next_attempt_at=now + lease, attempts=Notice.attempts + 1,
                last_attempt_at=now)
        .returning(Notice.id).execution_options(synchronize_session=False)))
    notices = db.session.scalars(select(Notice).where(Notice.id.in_(claimed))
                                 .execution_options(populate_existing=True)).all()
    db.session.expunge_all()  # snapshots: no transaction (SQLite's write lock) held while sending
    db.session.commit()
    return sorted(notices, key=lambda n: candidates.index(n.id))


def release(notices: list[Notice], owner: str) -> None:
    """Give back claimed notices that were not tried (the worker is stopping, or the server went away)."""
    if notices:
        db.session.execute(
            update(Notice).where(Notice.id.in_([n.id for n in notices]), Notice.lease_owner == owner,
                                 Notice.state == "sending")
            .values(state="queued", lease_owner=None, next_attempt_at=clock.now(), attempts=Notice.attempts - 1)
            .execution_options(synchronize_session=False))
        db.session.commit()


def _finish(notice: Notice, owner: str, **values) -> bool:
    """Record the outcome if this worker still holds the lease (else another worker has taken it over)."""
    if notice.kind == "password_reset" and values.get("state") in ("sent", "failed"):
        values.update(body_text=REDACTED, body_html=f"<p>{REDACTED}</p>")
    done = db.session.execute(
        update(Notice).where(Notice.id == notice.id, Notice.lease_owner == owner, Notice.state == "sending")
        .values(lease_owner=None, **values).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(done)


def mark_sent(notice: Notice, owner: str, now) -> bool:
    return _finish(notice, owner, state="sent", sent_at=now, reason=None)


def mark_failed(notice: Notice, owner: str, reason: str, now, permanent: bool = False) -> bool:
    reason = reason[:2000]
    if permanent or notice.attempts >= MAX_TRIES:
        tries = "" if permanent else f" (after {notice.attempts} tries)"
        return _finish(notice, owner, state="failed", reason=f"{reason}{tries}")
    return _finish(notice, owner, state="queued", reason=reason, next_attempt_at=now + backoff(notice.attempts))


# --- SMTP -----------------------------------------------------------------------------------------

def build_message(notice: Notice, config, library_name: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = Address(display_name=library_name, addr_spec=config["LIBRARY_MAIL_FROM"])
    message["To"] = Address(display_name=notice.to_name or "", addr_spec=notice.to_address)
    message["Subject"] = notice.subject
    message["Date"] = format_datetime(notice.created_at)  # the event's time: a resend is the same message
    message["Message-ID"] = notice.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message["X-Library-Notice"] = notice.kind
    message.set_content(notice.body_text)
    message.add_alternative(notice.body_html, subtype="html")
    return message


def connect(config) -> smtplib.SMTP:
    """An SMTP connection as configured (none, STARTTLS or TLS; a login when a user is set). ServerDown if not."""
    host, port, timeout = config["LIBRARY_SMTP_HOST"], config["LIBRARY_SMTP_PORT"], config["LIBRARY_SMTP_TIMEOUT"]
    security = config["LIBRARY_SMTP_SECURITY"]
    try:
        if security == "tls":
            server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        try:
            if security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if config["LIBRARY_SMTP_USER"]:
                server.login(config["LIBRARY_SMTP_USER"], config["LIBRARY_SMTP_PASSWORD"])
        except BaseException:
            server.close()
            raise
        return server
    except smtplib.SMTPAuthenticationError as error:
        raise ServerDown(f"The mail server refused the login: {_reply(error.smtp_code, error.smtp_error)}") from None
    except (OSError, smtplib.SMTPException) as error:
        raise ServerDown(f"Could not talk to the mail server {host}:{port}: {_describe(error)}") from None


def _reply(code, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return _reply(error.smtp_code, error.smtp_error)
    return str(error) or error.__class__.__name__


def deliver(server: smtplib.SMTP, message: EmailMessage) -> None:
    """Send one message; Refused for the server's refusal of it, ServerDown when the connection broke."""
    try:
        refused = server.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        code, text_ = next(iter(error.recipients.values()))
        raise Refused(_reply(code, text_), permanent=code >= 500) from None
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
        if error.smtp_code == 421:
            raise ServerDown(_reply(error.smtp_code, error.smtp_error)) from None
        raise Refused(_reply(error.smtp_code, error.smtp_error), permanent=error.smtp_code >= 500) from None
    except (OSError, smtplib.SMTPException) as error:
        raise ServerDown(f"The mail server connection failed: {_describe(error)}") from None
    if refused:  # only some recipients refused; we send to one, so this is the same as all
        code, text_ = next(iter(refused.values()))
        raise Refused(_reply(code, text_), permanent=code >= 500)


def _close(server) -> None:
    if server is None:
        return
    try:
        server.quit()
    except (OSError, smtplib.SMTPException):
        server.close()


def send_due(owner: str, stopping: Callable[[], bool] = lambda: False, limit: int = ROUND_LIMIT) -> int:
    """Send the due notices (up to limit) over one connection, claimed a few at a time; returns how many were sent."""
    config = current_app.config
    if not config["LIBRARY_SMTP_HOST"]:
        return 0  # notices stay queued: "not sent: no mail server"
    if _rest["until"] is not None and clock.now() < _rest["until"]:
        return 0
    lease, timeout = lease_length(config), timedelta(seconds=config["LIBRARY_SMTP_TIMEOUT"])
    server, library_name, sent, tried = None, None, 0, 0
    try:
        while tried < limit:
            claimed_at = clock.now()
            batch = claim(owner, claimed_at, lease, min(CLAIM_BATCH, limit - tried))
            if not batch:
                break
            while batch:
                # Stop in time: a stopping worker, or a lease too short for one more message, gives the rest back.
                if stopping() or clock.now() > claimed_at + lease - 4 * timeout:
                    release(batch, owner)
                    return sent
                notice = batch.pop(0)
                tried += 1
                try:
                    library_name = library_name or settings.get("library_name")
                    try:
                        message = build_message(notice, config, library_name)
                    except (ValueError, TypeError) as error:  # an address the mail format cannot carry
                        raise Refused(f"Not a deliverable address: {error}", permanent=True) from None
                    if server is None:
                        server = connect(config)
                    deliver(server, message)
                except Refused as refusal:
                    log.warning("notice %s refused: %s", notice.id, refusal.reason)
                    mark_failed(notice, owner, refusal.reason, clock.now(), permanent=refusal.permanent)
                    continue
                except ServerDown as down:
                    _close(server)
                    server = None
                    mark_failed(notice, owner, str(down), clock.now())
                    release(batch, owner)
                    length = min(max(_rest["length"] * 2, REST_FIRST), REST_MAX)
                    _rest.update(until=clock.now() + length, length=length)
                    log.warning("mail server unavailable (%s); resting %s", down, length)
                    return sent
                if mark_sent(notice, owner, clock.now()):
                    sent += 1
                reset_rest()
    finally:
        _close(server)
    return sent
