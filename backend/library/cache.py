"""A per-process cache of public catalog responses that is never stale.

Each entry is the body of a 200 response to a GET (book lists, searches, book pages), stored under
its full URL with a *database version* read before the response was computed. An entry is served
only while the version is unchanged, so a read after any commit (from any process) computes afresh:

- PostgreSQL: the current snapshot (`pg_current_snapshot()`: xmin, xmax and the transactions in
  progress). Two equal snapshots see exactly the same committed data; any commit changes it. It is
  read on a connection of this process's own in autocommit mode, outside the request's session, so a
  hit costs one round trip and no pool checkout, transaction or rollback.
- SQLite: `PRAGMA data_version` on a connection of this process's own that never writes; SQLite
  changes it whenever another connection (any process) commits.

The cost of a hit is one tiny query, instead of the queries and the serialisation of a page; writes
pay nothing. Any write anywhere invalidates everything, which is right for a catalog that is read far
more than it is written. LIBRARY_RESPONSE_CACHE sets the number of entries (0 turns it off).
"""

import os
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from .extensions import db

MAX_BODY = 256 * 1024  # larger bodies are not kept
KEPT_HEADERS = ("Content-Type", "Link", "ETag")


@dataclass
class Entry:
    version: object
    body: bytes
    headers: list


class ResponseCache:
    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.lock = threading.Lock()
        self._sqlite = None  # (pid, connection)
        self._postgres = None  # (pid, psycopg connection from the engine, detached from its pool)
        self._hooked = set()  # ids of the engines whose disposal closes it

    def version(self):
        """The database version now; None when it cannot be known (then nothing is cached)."""
        engine = db.engine
        if engine.dialect.name == "postgresql":
            return self._postgres_version(engine)
        path = engine.url.database
        if not path or path == ":memory:":
            return None
        with self.lock:
            if self._sqlite is None or self._sqlite[0] != os.getpid():  # a fork never shares it
                self._sqlite = (os.getpid(), sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                                             check_same_thread=False))
            return self._sqlite[1].execute("PRAGMA data_version").fetchone()[0]

    def _postgres_version(self, engine):
        with self.lock:
            try:
                if self._postgres is None or self._postgres[0] != os.getpid():  # a fork never shares it
                    pooled = engine.raw_connection()
                    connection = pooled.dbapi_connection  # psycopg's own connection
                    pooled.detach()  # ours alone, closed when the engine is disposed
                    connection.autocommit = True
                    if id(engine) not in self._hooked:
                        event.listen(engine, "engine_disposed", self._close_postgres)
                        self._hooked.add(id(engine))
                    self._postgres = (os.getpid(), connection)
                cursor = self._postgres[1].execute("SELECT pg_current_snapshot()::text")
                return cursor.fetchone()[0]
            except (DBAPIError, engine.dialect.loaded_dbapi.Error):
                # A lost connection: nothing is cached for this request, and the next one reconnects.
                self._close_postgres()
                return None

    def _close_postgres(self, engine=None):
        postgres, self._postgres = self._postgres, None
        if postgres is not None and postgres[0] == os.getpid():
            postgres[1].close()  # psycopg's close() never raises

    def get(self, key: str, version) -> Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry.version != version:
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: str, version, response) -> None:
        body = response.get_data()
        if version is None or len(body) > MAX_BODY:
            return
        headers = [(name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers]
        with self.lock:
            self.entries[key] = Entry(version, body, headers)
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)


def init_app(app) -> None:
    size = app.config.get("LIBRARY_RESPONSE_CACHE", 0)
    app.extensions["response_cache"] = ResponseCache(size) if size > 0 else None


def response_cache() -> ResponseCache | None:
    return current_app.extensions.get("response_cache")
