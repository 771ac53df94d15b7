"""The periodic tasks, pollers and job kinds the worker knows: importing this module registers them (services/jobs.py).

Holds past their pickup date stay on the hold shelf list, marked to clear, until staff clear them, because a person
has to move each copy (services/holdshelf.py); a library that prefers it turns on automatic expiry (the
hold_auto_expire setting), and `flask --app library expire-holds` clears them all from cron.
"""

from datetime import timedelta

from . import imports, jobs  # noqa: F401 - imports registers the import jobs and the clean-up of its files


@jobs.periodic("holds.expire", timedelta(minutes=15))
def expire_holds(now) -> None:
    """When the library turns on automatic expiry (a setting, off by default): ready holds not picked up in time
    are cleared as Clear on the hold shelf list does, each copy passing to the next in line (who is notified) or
    back to the shelf. Off, they wait on the hold shelf list, marked to clear, for staff."""
    from . import circulation, settings

    if settings.current()["hold_auto_expire"]:
        circulation.expire_holds(settings.rules(), now)


@jobs.periodic("notices.due_soon", timedelta(hours=1))
def due_soon_notices(now) -> None:
    """Remind members of loans due in the next few days (a setting)."""
    from . import notices

    notices.due_soon(now)


@jobs.periodic("notices.overdue", timedelta(hours=1))
def overdue_notices(now) -> None:
    """Tell members of overdue loans: after the due date, then every few days, up to a number (settings)."""
    from . import notices

    notices.overdue(now)


@jobs.poller("notices.send")
def send_notices(owner, stopping) -> None:
    """Deliver the outbox by SMTP (nothing at all when no mail server is configured)."""
    from . import mailer

    mailer.send_due(owner, stopping)


@jobs.periodic("sessions.cleanup", timedelta(days=1))
def delete_old_sessions(now) -> None:
    """Delete browser sessions that ended more than a day ago (expired, idle or revoked) and password links
    used or expired more than a day ago: they can never be used again."""
    from sqlalchemy import delete, or_

    from ..extensions import db
    from ..models import PasswordLink, UserSession
    from .auth import SESSION_IDLE

    gone = now - timedelta(days=1)
    db.session.execute(delete(UserSession).where(or_(UserSession.expires_at < gone, UserSession.revoked_at < gone,
                                                     UserSession.last_seen_at < gone - SESSION_IDLE)))
    db.session.execute(delete(PasswordLink).where(or_(PasswordLink.expires_at < gone, PasswordLink.used_at < gone)))
    db.session.commit()


@jobs.poller("catalog.documents")
def write_documents(owner, stopping) -> None:
    """Write the stored book documents that are stale (services/documents.py): after an import, an upgrade, or a
    change that reached many books. One read of the stale index when there are none."""
    from . import documents

    documents.catch_up(stopping)
