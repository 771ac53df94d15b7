"""The audit trail: every write to audited records, recorded in the same transaction, and auth events.

Writes are captured from the ORM session (after_flush), so no view or service can forget them; the
actor is the request's principal (flask.g.principal) or "system" for the command line.
"""

import logging
from contextlib import contextmanager
from contextvars import ContextVar

from flask import g, has_request_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from .. import metrics
from ..models import ApiToken, AuditEvent, Author, Book, Copy, Hold, Loan, Member, User

log = logging.getLogger("library.audit")
AUDITED = {Book: "book", Author: "author", User: "user", Copy: "copy", Member: "member"}  # captured on flush
RESOURCE_TYPES = {**AUDITED, ApiToken: "token", Loan: "loan", Hold: "hold"}  # circulation records its own events
SECRET_FIELDS = {"password_hash", "token_hash", "id_hash"}
LABELS = {"author_links": "authors", "subjects": "subjects", "isbn_links": "other_isbns"}
SKIP_FIELDS = {"id", "created_at", "updated_at", "last_login_at", "book_links", "sessions", "tokens", "calendar_salt",
               "book", "password_reset_requested_at"}
_acting_as = ContextVar("audit_acting_as", default=None)


@contextmanager
def acting_as(user):
    """Record what happens inside as done by `user` (e.g. a visitor signing up: their new account)."""
    reset = _acting_as.set(user)
    try:
        yield
    finally:
        _acting_as.reset(reset)


def current_actor():
    """The user behind this request, or None (anonymous, or the command line)."""
    if (acting := _acting_as.get()) is not None:
        return acting
    principal = g.get("principal") if has_request_context() else None
    return principal.user if principal is not None else None


def _label(obj):
    if isinstance(obj, str):
        return obj
    return (getattr(obj, "name", None) or getattr(getattr(obj, "author", None), "name", None)
            or getattr(obj, "isbn", None) or str(obj))


def _value(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_label(v) for v in value]
    return str(value)


def _changes(obj, created: bool) -> dict:
    """{field: new value} for a new record, {field: [old, new]} for a changed one; secrets only named."""
    summary = {}
    state = inspect(obj)
    for attr in state.mapper.attrs:
        key = attr.key
        if key in SKIP_FIELDS:
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        if key in SECRET_FIELDS:
            summary[key.removesuffix("_hash")] = "changed"
            continue
        if key in LABELS:  # collections: the whole list before and after
            new, old = [*history.unchanged, *history.added], [*history.unchanged, *history.deleted]
        else:
            new = history.added[0] if history.added else None
            old = history.deleted[0] if history.deleted else None
        summary[LABELS.get(key, key)] = _value(new) if created else [_value(old), _value(new)]
    return summary


def record(action, actor=None, actor_label=None, resource=None, summary=None, session=None, level=logging.INFO):
    """Add an audit event to the current transaction (and a log line without secrets, at level)."""
    from ..extensions import db

    actor = actor if actor is not None else current_actor()
    resource_type = RESOURCE_TYPES.get(type(resource))
    label = (actor.email if actor is not None else actor_label) or "system"
    event_row = AuditEvent(
        actor=label,
        actor_id=actor.id if actor is not None else None,
        action=action,
        resource_type=resource_type,
        resource_id=getattr(resource, "id", None),
        summary=summary or {},
    )
    session = session or db.session
    session.add(event_row)
    metrics.note_event(session, action)
    log.log(level, "%s by %s %s:%s", action, label, resource_type or "-", event_row.resource_id or "-")
    return event_row


def log_auth(action, who):
    if action == "login.throttled":
        metrics.login_throttled()
    log.info("%s for %s", action, who)


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context):
    """Record creates, updates and deletes of audited records in the same transaction."""
    for objects, verb in ((session.new, "create"), (session.dirty, "update"), (session.deleted, "delete")):
        for obj in list(objects):
            kind = AUDITED.get(type(obj))
            if kind is None or (verb == "update" and not session.is_modified(obj)):
                continue
            if verb == "delete":
                summary = {"title": obj.title} if isinstance(obj, Book) else {"name": getattr(obj, "name", None) or getattr(obj, "email", None)}
            else:
                summary = _changes(obj, created=verb == "create")
                if not summary:
                    continue
            # DEBUG: the trail in the database has them in full, and a bulk load (the demo data on the first
            # start, an import) would otherwise print a line per record.
            record(f"{kind}.{verb}", resource=obj, summary=summary, session=session, level=logging.DEBUG)
