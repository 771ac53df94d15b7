"""One-time password links and "Forgot your password?" requests; every way a password is set ends in set_password().

A link carries a random secret (256 bits) in the single-page app's address (#/reset-password?token=...): the
fragment never reaches a server log, and only the secret's SHA-256 is stored. A link works once, until it
expires, and only while its account is active. A user has at most one open link (a partial unique index): a
new one replaces it, and a password set by any path closes it.
"""

import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from .. import clock
from ..errors import Problem
from ..extensions import db
from ..models import PasswordLink, User
from . import audit, auth, passwords, throttle

# welcome: a new account's first password (the member may set it up at home); reset: a forgotten one.
LIFETIMES = {"welcome": timedelta(days=7), "reset": timedelta(hours=24)}
SPA_ROUTE = "#/reset-password?token="
INVALID = "This link does not work: it may have been mistyped or replaced by a newer one. Ask the library for a new one."


def link_url(base_url: str, raw: str) -> str:
    """The address of the app's set-a-password page for a link's secret; base_url is the app's own."""
    return f"{base_url.rstrip('/')}/{SPA_ROUTE}{raw}"


def make_link(user: User, purpose: str, created_by: User | None = None) -> tuple[PasswordLink, str]:
    """A new link for user (replacing an open one), and its secret; the caller commits."""
    now = clock.now()
    db.session.execute(delete(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None)))
    raw = secrets.token_urlsafe(32)
    link = PasswordLink(token_hash=auth.digest(raw), user_id=user.id, purpose=purpose, created_at=now,
                        expires_at=now + LIFETIMES[purpose], created_by_id=created_by.id if created_by else None)
    db.session.add(link)
    user.password_reset_requested_at = None  # the request is answered
    db.session.flush()
    audit.record("auth.password_link_created", actor=created_by, resource=user,
                 summary={"purpose": purpose, "expires_at": link.expires_at.isoformat()})
    return link, raw


def open_link(raw: str) -> PasswordLink:
    """The link with this secret, if it can still be used; otherwise a 404 saying why."""
    link = db.session.scalar(select(PasswordLink).where(PasswordLink.token_hash == auth.digest(raw)))
    if link is None or not link.user.is_active:
        raise Problem(404, INVALID)
    if link.used_at is not None:
        raise Problem(404, "This link has been used already: it works only once. Log in with your password, or "
                           "ask the library for a new link.")
    if clock.now() >= link.expires_at:
        raise Problem(404, "This link has expired. Ask the library for a new one.")
    return link


def use_link(raw: str, new_password: str, hash_params: tuple) -> User:
    """Set the password of a link's account and use the link up (once, also under concurrent use); the caller
    opens a session and commits."""
    link = open_link(raw)
    if problems := passwords.problems(new_password):
        raise Problem(422, "The request has invalid fields; see errors.", {"new_password": problems})
    now = clock.now()
    claimed = db.session.execute(
        update(PasswordLink).where(PasswordLink.id == link.id, PasswordLink.used_at.is_(None),
                                   PasswordLink.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        raise Problem(404, "This link has been used already: it works only once.")
    user = link.user
    set_password(user, new_password, hash_params)
    audit.record("auth.password_set_by_link", actor=user, resource=user, summary={"purpose": link.purpose})
    return user


def set_password(user: User, password: str, hash_params: tuple) -> None:
    """A new password, by any path (the user's change, a link, the command line): every session and token of
    the user ends, open links close, and a temporary password counts as changed. The caller commits."""
    user.password_hash = passwords.hash_password(password, hash_params)
    user.must_change_password = False
    user.password_reset_requested_at = None
    auth.revoke_sessions(user)
    auth.revoke_tokens(user)
    db.session.execute(delete(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None)))


def request_reset(email: str, remote_addr: str | None, mail_base_url: str | None = None) -> None:
    """"Forgot your password?": throttled per email and address; the caller answers the same whatever the email.

    An active account gets flagged for the admins (the users page lists who asked). With a mail server
    (mail_base_url given: the app's public address), the user is also e-mailed a reset link at once, written to
    the outbox in this transaction (services/notices.py). Unknown emails and disabled accounts leave nothing
    behind but the throttle's count.
    """
    throttle.admit("reset", email, remote_addr)
    user = auth.user_by_email(email)
    if user is not None and user.is_active:
        user.password_reset_requested_at = clock.now()
        audit.record("auth.password_reset_requested", actor=user, resource=user, summary={"address": remote_addr})
        if mail_base_url:
            from . import notices

            _link, raw = make_link(user, "reset")
            notices.password_reset(user, link_url(mail_base_url, raw), "24 hours")
            user.password_reset_requested_at = clock.now()  # still listed for the admins until the password is set
    db.session.commit()
