"""The Idempotency-Key header on every POST (services/idempotency.py has the rules), as request hooks around the
views: after authz (keys belong to a caller), claim the key or answer for it; after the view, keep the answer.

Anonymous POSTs (the login, "Forgot your password?", a password link's page, signing up) ignore the header:
there is no caller to keep a key for; a retried login just opens another session, and the others answer the same
again or refuse a used link. The catalog import's upload (a streamed body of up to
256 MiB) is fingerprinted by the digest of the file the view stored, not by the body in memory: the view claims
the key itself (claim_streamed).
"""

import logging

from flask import current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..errors import Problem, rollback
from ..services import idempotency
from .base import streams_body

HEADER = "Idempotency-Key"
log = logging.getLogger("library")

_KEY = r"[!#-\[\]-~]{1,%d}" % idempotency.MAX_KEY  # visible ASCII less the quote and the backslash

PARAMETER = {
    "name": HEADER, "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY + 2,
               "pattern": f'^(?:"{_KEY}"|{_KEY})$'},
    "description": "A unique key (e.g. a UUID) for this request: sent again with a retry, the retry gets the first "
                   "answer instead of doing the work twice (kept 24 h, per caller); the same key with another body "
                   "is a 422, and while the first request is still being worked on, a 409. Responses replayed "
                   "from a key carry `Idempotent-Replayed: true`. 1 to 255 visible ASCII characters, optionally "
                   "quoted (a structured-field string).",
}


def register(app):
    app.before_request(claim_key)
    app.after_request(keep_answer)


def claim_key():
    """Before the view (and after authz): do the work, replay the kept answer, or refuse."""
    raw = request.headers.get(HEADER)
    if request.method != "POST" or raw is None or g.principal.user is None or request.url_rule is None:
        return None
    value = idempotency.parse_header(raw)
    if value is None:
        raise Problem(400, "The Idempotency-Key header must be 1 to 255 visible ASCII characters.")
    key = idempotency.key_for(str(g.principal.user.id), value, current_app.config["SECRET_KEY"])
    if streams_body(request.endpoint, request.method):
        g.idempotency_deferred = key  # the view claims it once it has read the body (claim_streamed)
        return None
    return _claim(key, idempotency.fingerprint(request.method, request.full_path, request.get_data(cache=True)))


def claim_streamed(body_sha256: str):
    """For a view that reads its body as a stream (the import's upload, up to 256 MiB, never held in memory):
    claim the request's key, if it sent one, by the digest of the body the view has just stored instead of the
    body itself. None: go on; a response: the kept answer, to send instead; or the Problems of claim_key."""
    key = g.pop("idempotency_deferred", None)
    if key is None:
        return None
    return _claim(key, idempotency.fingerprint(request.method, request.full_path, body_sha256.encode()))


def _claim(key, print_):
    outcome = idempotency.claim(key, print_)
    if outcome.kind == "proceed":
        g.idempotency = key
        return None
    if outcome.kind == "replay":
        response = current_app.response_class(outcome.body, status=outcome.status, headers=outcome.headers)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    if outcome.kind == "mismatch":
        raise Problem(422, "This Idempotency-Key was used for another request; use a new key for a new request.",
                      {HEADER: ["Already used with another request body or target."]})
    if outcome.kind == "committed":
        raise Problem(409, "A request with this Idempotency-Key was carried out, but its answer was lost (the "
                           "server stopped before sending it); look the result up instead of sending it again.")
    raise Problem(409, "A request with this Idempotency-Key is still being processed; retry in a moment.",
                  headers={"Retry-After": "1"})


def keep_answer(response):
    """After the view: keep its answer for retries; on a 5xx before anything was committed, free the key."""
    key = g.pop("idempotency", None)
    if key is None:
        return response
    try:
        if response.status_code >= 500:
            idempotency.release(key)
        else:
            idempotency.keep(key, response.status_code, list(response.headers.items()), response.get_data())
    except DBAPIError:
        rollback()
        log.warning("could not keep the answer for an Idempotency-Key (database unavailable)", exc_info=True)
    return response


@event.listens_for(Session, "before_commit")
def _mark_committed(session):
    """The request's writes and "its key is committed" go into the same transaction."""
    if has_request_context() and (key := g.get("idempotency")) is not None:
        idempotency.mark_committed(session, key.key_hash)
