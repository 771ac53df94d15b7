"""Connection set-up: the SQLite profile on every connection, immediate write transactions."""

import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context, request
from sqlalchemy import Engine, event

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_reading = ContextVar("library.reading", default=False)


@contextmanager
def reading():
    """Mark work outside a request context as a read (library/fastpath.py answers GETs without one), so that its
    SQLite transactions begin with a plain BEGIN and take no write lock."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def is_write_context() -> bool:
    """Requests with a non-safe method, and everything outside a request (CLI, scripts) unless marked reading(),
    write."""
    if _reading.get():
        return False
    return not (has_request_context() and request.method in READ_METHODS)


_busy_timeout_ms = 5000


def _connect(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(_busy_timeout_ms)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.close()


def _begin(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if is_write_context() else "BEGIN")


def configure_sqlite(busy_timeout_ms: int) -> None:
    """Every SQLite connection: WAL, foreign keys, a busy timeout; writers take the lock at BEGIN.

    pysqlite's own transaction handling is switched off (isolation_level=None) so that we emit BEGIN
    ourselves: BEGIN IMMEDIATE for writes, so concurrent writers queue on the busy timeout instead of
    failing with "database is locked" when a read lock cannot be upgraded. Registered once per process.
    """
    global _busy_timeout_ms
    _busy_timeout_ms = busy_timeout_ms
    if not event.contains(Engine, "connect", _connect):
        event.listen(Engine, "connect", _connect)
        event.listen(Engine, "begin", _begin)
