"""A per-process cache of public catalog responses that is never stale.

Each entry is the body of a 200 response to a GET (book lists, searches, book pages), stored under
its URL (cache_key) with a *database version* read before the response was computed. An entry is served
only while the version is unchanged, so a read after any commit (from any process) computes afresh:

- PostgreSQL: the current snapshot (`pg_current_snapshot()`: xmin, xmax and the transactions in
  progress). Two equal snapshots see exactly the same committed data; any commit changes it. It is
  read on a connection of this process's own in autocommit mode, outside the request's session, so a
  hit costs one round trip and no pool checkout, transaction or rollback.
- SQLite: `PRAGMA data_version` on a connection of this process's own that never writes; SQLite
  changes it whenever another connection (any process) commits. Its count is the connection's own, so
  reopening that connection empties the cache.

The lean lane (library/fastpath.py) reads the version in the statement of a page or a book it computes for a
URL with nothing kept (on PostgreSQL one round trip fewer).

The cost of a hit is one tiny query, instead of the queries and the serialisation of a page; writes
pay nothing. Any write anywhere invalidates everything, which is right for a catalog that is read far
more than it is written. LIBRARY_RESPONSE_CACHE sets the number of entries (0 turns it off).
"""

import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from werkzeug.http import parse_etags, unquote_etag
from xxhash import xxh3_128_hexdigest

from . import forks, metrics
from .extensions import db

MAX_BODY = 256 * 1024  # larger bodies are not kept
KEPT_HEADERS = ("Content-Type", "Link", "ETag")
VERSION_KEY = "library.cache_version"  # the WSGI environ key of a version CacheMiddleware already read
# The statement that reads the data version, per database (library/fastpath.py's searches read it with the same).
VERSION_STATEMENT = {"sqlite": "PRAGMA data_version", "postgresql": "SELECT pg_current_snapshot()::text"}
FOLDED = object()  # a version not read yet: the lean lane's statement reads it with the page (library/fastpath.py)


def etag(body: bytes) -> str:
    """The ETag of a body, as its header gives it: the XXH3-128 hash of its bytes, quoted (a strong validator: any
    change of the body changes it, but no secret rests on it). A page of twenty books (15 KB) hashes in 0.6 µs, where
    the SHA-1 of werkzeug's add_etag took 8.5 µs (bench/README.md, eighteenth round)."""
    return f'"{xxh3_128_hexdigest(body)}"'


@dataclass
class Entry:
    version: object
    body: bytes
    headers: list
    route: str = "unmatched"  # the route template, for the metrics of a hit


class ResponseCache:
    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.lock = threading.Lock()
        self._sqlite = None  # (pid, connection)
        self._postgres = None  # (pid, psycopg connection from the engine, detached from its pool)
        self._hooked = False  # whether the engine's disposal closes that connection

    def version(self, engine=None, environ=None):
        """The database version now (the one CacheMiddleware read for this request, if it did); None when it
        cannot be known (then nothing is cached)."""
        if environ is not None and VERSION_KEY in environ:
            return environ[VERSION_KEY]
        engine = engine if engine is not None else db.engine
        with self.lock:
            connection = self._reader(engine)
            if connection is None:
                return None
            if engine.dialect.name != "postgresql":
                try:
                    return connection.execute(VERSION_STATEMENT["sqlite"]).fetchone()[0]
                except sqlite3.Error:  # closed under us: nothing is cached for this request; the next reopens it
                    self._sqlite = None
                    return None
            try:
                return connection.execute(VERSION_STATEMENT["postgresql"]).fetchone()[0]
            except (DBAPIError, engine.dialect.loaded_dbapi.Error):
                # A lost connection: nothing is cached for this request, and the next one reconnects.
                self._close_postgres()
                return None

    def read(self, engine, work, snapshot: bool = True):
        """work(DB-API connection) on this process's own reading connection (the version's; PostgreSQL: autocommit,
        so a statement is one round trip, with no BEGIN or ROLLBACK; SQLite: read-only, work's statements in one
        read transaction, as one snapshot, unless snapshot is False: then each statement is its own), or None when
        there is none. library/fastpath.py reads a book with it."""
        with self.lock:
            connection = self._reader(engine)
            if connection is None:
                return None
            if engine.dialect.name == "postgresql":
                try:
                    return work(connection)
                except (DBAPIError, engine.dialect.loaded_dbapi.Error):
                    self._close_postgres()
                    raise
            try:
                if not snapshot:
                    return work(connection)
                connection.execute("BEGIN")
                try:
                    return work(connection)
                finally:
                    connection.execute("COMMIT")
            except sqlite3.Error:
                self._sqlite = None  # reopened by the next request
                raise

    def _reader(self, engine):
        """This process's reading connection, made on first use (a fork never shares it); None for an in-memory
        SQLite database or a PostgreSQL server out of reach. Called with the lock held."""
        if engine.dialect.name == "postgresql":
            try:
                if self._postgres is None or self._postgres[0] != forks.pid:
                    pooled = engine.raw_connection()
                    connection = pooled.dbapi_connection  # psycopg's own connection
                    pooled.detach()  # ours alone, closed when the engine is disposed
                    connection.autocommit = True
                    # Its statements (the version, the lean lane's precompiled reads) are prepared once and keep
                    # one plan: left to choose, PostgreSQL planned the book statement anew for every call (0.5 ms).
                    connection.execute("SET plan_cache_mode = force_generic_plan")
                    if not self._hooked:  # a cache belongs to one app, so to one engine
                        event.listen(engine, "engine_disposed", self._close_postgres)
                        self._hooked = True
                    self._postgres = (forks.pid, connection)
            except (DBAPIError, engine.dialect.loaded_dbapi.Error):
                self._close_postgres()
                return None
            return self._postgres[1]
        path = engine.url.database
        if not path or path == ":memory:":
            return None
        if self._sqlite is None or self._sqlite[0] != forks.pid:
            self._sqlite = (forks.pid, sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False,
                                                         isolation_level=None))
            # data_version counts commits as one connection has seen them: a new connection's count starts anew,
            # and could meet the version of an entry kept under the old one's. Those entries go.
            self.entries.clear()
        return self._sqlite[1]

    def _close_postgres(self, engine=None):
        postgres, self._postgres = self._postgres, None
        if postgres is not None and postgres[0] == forks.pid:
            postgres[1].close()  # psycopg's close() never raises

    def get(self, key: tuple, version) -> Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry.version != version:
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: tuple, version, response, route: str = "unmatched") -> None:
        headers = [(name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers]
        self.put_entry(key, Entry(version, response.get_data(), headers, route))

    def put_entry(self, key: tuple, entry: Entry) -> None:
        if entry.version is None or len(entry.body) > MAX_BODY:
            return
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)


def cache_key(environ) -> tuple:
    """What a cached response depends on, straight from the WSGI environ (after ProxyFix): the scheme and host
    (the Link header's absolute URLs), the path and the raw query string. Cheaper than request.url, which
    decodes and re-quotes it."""
    return (environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"), environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"), environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO"),
            environ.get("QUERY_STRING", ""))


class CacheMiddleware:
    """Answers a GET from the cache before Flask runs (request context, routing, authz, the view's decorators):
    a hit then costs the version query and a few dictionary lookups. Only requests without credentials (no
    Authorization header, no session cookie) are answered here, so a bad token or a stale cookie still meets
    authz; everything else, and every miss, goes on to Flask, whose `conditional` views fill the cache. The
    entries are the same, so both paths answer alike (If-None-Match gets a 304 here too)."""

    def __init__(self, wsgi_app, cache: ResponseCache, engine, cookie_names: tuple[str, ...], lane=None):
        self.wsgi_app, self.cache, self.engine, self.lane = wsgi_app, cache, engine, lane
        self.cookie_names = tuple(f"{name}=" for name in cookie_names)

    def __call__(self, environ, start_response):
        cookie = environ.get("HTTP_COOKIE")
        if environ.get("REQUEST_METHOD") == "GET" and "HTTP_AUTHORIZATION" not in environ \
                and not (cookie and any(name in cookie for name in self.cookie_names)):
            key = cache_key(environ)
            route = self.lane.route(environ) if self.lane is not None else None
            if route is not None and key not in self.cache.entries:
                # Nothing kept for this URL, so nothing to compare a version with: the lean lane's statement reads
                # it with the page or the book (on PostgreSQL one round trip instead of two).
                entry = self.lane.compute(environ, route, FOLDED)
                if entry is not None:
                    return self._computed(key, route, entry, environ, start_response)
            elif key in self.cache.entries or route is not None:
                version = environ[VERSION_KEY] = self.cache.version(self.engine)  # `conditional` reuses it
                entry = self.cache.get(key, version) if version is not None else None
                if entry is not None:
                    environ[metrics.ROUTE_KEY] = entry.route
                    metrics.cache_lookup(hit=True)
                    return self._answer(entry, environ, start_response)
                # A miss on a path of the lean lane (library/fastpath.py): computed without Flask's dispatch,
                # kept and sent as a hit would be; None when Flask is to answer (errors, redirects, ...).
                entry = self.lane.compute(environ, route, version) if route is not None else None
                if entry is not None:
                    return self._computed(key, route, entry, environ, start_response)
        return self.wsgi_app(environ, start_response)

    def _computed(self, key, route, entry: Entry, environ, start_response):
        environ[metrics.ROUTE_KEY] = route
        if entry.version is not None:
            metrics.cache_lookup(hit=False)
            self.cache.put_entry(key, entry)
        return self._answer(entry, environ, start_response)

    @staticmethod
    def _answer(entry: Entry, environ, start_response):
        if "HTTP_IF_NONE_MATCH" in environ:
            etag = dict(entry.headers).get("ETag")
            if etag and parse_etags(environ["HTTP_IF_NONE_MATCH"]).contains_weak(unquote_etag(etag)[0]):
                start_response("304 NOT MODIFIED", [("ETag", etag)])
                return [b""]
        # No Date header: the server adds its own (gunicorn, werkzeug), as for every answer Flask gives.
        start_response("200 OK", [*entry.headers, ("Content-Length", str(len(entry.body)))])
        return [entry.body]


def init_app(app) -> None:
    size = app.config.get("LIBRARY_RESPONSE_CACHE", 0)
    app.extensions["response_cache"] = ResponseCache(size) if size > 0 else None


def install_middleware(app, cookie_names: tuple[str, ...]) -> None:
    """Put CacheMiddleware in front of the Flask app (inside ProxyFix, which must see the request first)."""
    cache = app.extensions.get("response_cache")
    if cache is not None:
        from .fastpath import LeanLane

        with app.app_context():
            engine = db.engine
        app.wsgi_app = CacheMiddleware(app.wsgi_app, cache, engine, cookie_names, LeanLane(app, cache, engine))


def response_cache() -> ResponseCache | None:
    return current_app.extensions.get("response_cache")
