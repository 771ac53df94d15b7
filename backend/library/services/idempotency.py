"""Idempotency-Key for POSTs (IETF httpapi draft "The Idempotency-Key HTTP Header Field"): a retry with the same
key and body gets the first answer instead of doing the work again; with another body, 422; while the first is
still being worked on, 409. Keys are kept KEEP (24 h), per caller.

A key moves through three states, in the database so every worker and app server agrees:

- in_flight: claimed (committed at once) by one worker, whose host and pid are kept. A retry finding it answers
  409, unless that worker is gone (its pid is dead on this host, or LEASE has passed) or is this very process,
  which is no longer working on it (its request ended without committing or freeing the key: the database went
  away before the release, say): then the retry takes it over, which is safe because nothing of the first attempt
  was committed (see committed).
- committed: set in the same transaction as the request's own writes (mark_committed, from the session's
  before_commit), so "the work is done" and the work itself commit together or not at all. A crash between
  that commit and keeping the answer leaves it here: a retry then answers 409 saying so, rather than doing the
  work twice.
- done: the answer (status, headers, body) is kept, encrypted with a key derived from the server's secret and
  the client's Idempotency-Key (which is stored only hashed), so the table alone reveals no answer (a token's
  secret, say).
"""

import base64
import hashlib
import hmac
import json
import os
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..extensions import db
from ..models import IdempotencyKey

KEEP = timedelta(hours=24)
LEASE = timedelta(seconds=60)  # longer than gunicorn's 30 s worker timeout: a claim this old has no worker
MAX_KEY = 255
KEPT_HEADERS = ("Content-Type", "Location", "ETag", "Link", "Retry-After", "Set-Cookie", "WWW-Authenticate",
                "Cache-Control")
HOST = socket.gethostname()[:255]
# The keys this process's requests are working on (claiming, or claimed and not yet kept or released), counted
# per request: an in_flight claim of this process whose key no other request of it is working on was left behind.
_working: Counter = Counter()
_working_lock = threading.Lock()


@dataclass
class Key:
    """A caller's key, as the server knows it: the hash that names the row and the cipher for its answer."""

    key_hash: str
    cipher: Fernet


@dataclass
class Outcome:
    """What claim() decided: proceed (do the work), replay (answer with status/headers/body), or refuse with
    409 (in_flight, or committed without a kept answer) or 422 (mismatch)."""

    kind: str  # proceed | replay | in_flight | committed | mismatch
    status: int | None = None
    headers: list | None = None
    body: bytes | None = None


def parse_header(value: str) -> str | None:
    """The key from an Idempotency-Key header: a structured-field string ("..."), or the bare value clients such as
    Stripe's send; 1 to 255 visible ASCII characters. None when it is not one."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not 1 <= len(value) <= MAX_KEY or any(not 0x21 <= ord(c) <= 0x7E or c in '"\\' for c in value):
        return None
    return value


def key_for(owner: str, raw_key: str, secret: str) -> Key:
    digest = hashlib.sha256(f"{owner}\n{raw_key}".encode()).hexdigest()
    derived = hmac.new(secret.encode(), f"idempotency\n{owner}\n{raw_key}".encode(), hashlib.sha256).digest()
    return Key(digest, Fernet(base64.urlsafe_b64encode(derived)))


def fingerprint(method: str, target: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + target.encode() + b"\n" + body).hexdigest()


def _pid_gone(row: IdempotencyKey) -> bool:
    if row.owner_host != HOST:
        return False  # another app server: only the lease tells
    try:
        os.kill(row.owner_pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def claim(key: Key, print_: str) -> Outcome:
    """Claim key for this request, or say why not; commits (the claim must be seen by every other worker). A
    claim this returns "proceed" for ends with keep() or release()."""
    with _working_lock:
        _working[key.key_hash] += 1  # before the claim commits, so that no other request of ours takes it over
    try:
        outcome = _claim(key, print_)
    except BaseException:
        _done_with(key)
        raise
    if outcome.kind != "proceed":
        _done_with(key)
    return outcome


def _done_with(key: Key) -> None:
    with _working_lock:
        _working[key.key_hash] -= 1
        if _working[key.key_hash] <= 0:
            del _working[key.key_hash]


def _left_here(row: IdempotencyKey) -> bool:
    """An in_flight claim of this process that no request of it but the one asking is working on: its request
    ended without keeping an answer or freeing the key (the database was down when it tried)."""
    with _working_lock:
        return row.owner_host == HOST and row.owner_pid == os.getpid() and _working[row.key_hash] <= 1


def _claim(key: Key, print_: str) -> Outcome:
    now = clock.now()
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < now))
    row = db.session.get(IdempotencyKey, key.key_hash)
    if row is None:
        db.session.add(IdempotencyKey(key_hash=key.key_hash, fingerprint=print_, state="in_flight", owner_host=HOST,
                                      owner_pid=os.getpid(), started_at=now, expires_at=now + KEEP))
        try:
            db.session.commit()
            return Outcome("proceed")
        except IntegrityError:  # another request with the same key claimed it first
            db.session.rollback()
            row = db.session.get(IdempotencyKey, key.key_hash)
            if row is None:
                return _claim(key, print_)
    outcome = _decide(row, key, print_, now)
    db.session.commit()
    return outcome


def _decide(row: IdempotencyKey, key: Key, print_: str, now) -> Outcome:
    if row.fingerprint != print_:
        return Outcome("mismatch")
    if row.state == "done":
        try:
            kept = json.loads(key.cipher.decrypt(row.response.encode()))
        except InvalidToken:  # SECRET_KEY changed since: the answer cannot be read, so say what is known
            return Outcome("committed")
        return Outcome("replay", row.status, kept["headers"], base64.b64decode(kept["body"]))
    if row.state == "committed":
        return Outcome("committed")
    if _pid_gone(row) or _left_here(row) or now - row.started_at >= LEASE:
        taken = db.session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key_hash == row.key_hash, IdempotencyKey.state == "in_flight",
                   IdempotencyKey.owner_pid == row.owner_pid, IdempotencyKey.started_at == row.started_at)
            .values(owner_host=HOST, owner_pid=os.getpid(), started_at=now)
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            return Outcome("proceed")
    return Outcome("in_flight")


def mark_committed(session, key_hash: str) -> None:
    """In the request's own transaction, just before it commits: its work is done (see the module docstring)."""
    session.execute(update(IdempotencyKey)
                    .where(IdempotencyKey.key_hash == key_hash, IdempotencyKey.state == "in_flight")
                    .values(state="committed").execution_options(synchronize_session=False))


def keep(key: Key, status: int, headers: list, body: bytes) -> None:
    """Keep the answer of a claimed key (encrypted), and commit."""
    try:
        kept = json.dumps({"headers": [[k, v] for k, v in headers if k in KEPT_HEADERS],
                           "body": base64.b64encode(body).decode()})
        db.session.execute(update(IdempotencyKey).where(IdempotencyKey.key_hash == key.key_hash)
                           .values(state="done", status=status, response=key.cipher.encrypt(kept.encode()).decode())
                           .execution_options(synchronize_session=False))
        db.session.commit()
    finally:
        _done_with(key)


def release(key: Key) -> None:
    """Forget a claim whose request failed before committing anything (a 5xx), so a retry does the work."""
    try:
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.key_hash == key.key_hash,
                                                        IdempotencyKey.state == "in_flight"))
        db.session.commit()
    finally:
        _done_with(key)  # freed or not: this process works on it no more, and a retry here may take it over


def stored_state(key_hash: str) -> str | None:
    return db.session.scalar(select(IdempotencyKey.state).where(IdempotencyKey.key_hash == key_hash))
