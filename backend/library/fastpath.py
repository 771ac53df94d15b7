"""The lean lane for the catalog's public reads (issue 12): a book list or search (`GET /api/v1/books`) and a book's
page (`GET /api/v1/books/<id>`) asked without credentials are computed here, in the response cache's middleware,
without Flask's request dispatch (request context, routing, hooks, flask-smorest's and webargs' decorators, the
response object), which cost more than the catalog's own work for a page of books.

What runs is the same as in the views (api/books.py): the query string parsed by the same parser and `BookQuery`
instance, `catalog.book_page` / `catalog.book_dicts` in an app context (the whole catalog by title, the commonest
list, and a search without facets, without one: `catalog.title_page` and `catalog.search_page` on the response
cache's connection), the Link header by `book_page_response`, the body by the app's JSON provider, the ETag as
`conditional` makes it (cache.etag); the answer is a response cache entry, stored as `conditional` stores one and
sent as a hit is (If-None-Match gets its 304). Anything else goes on to Flask,
which answers it as before: credentials of any kind, a parameter given twice or a token in the URL, arguments
the schema refuses, a cursor that is not one, a book that is not there (404) or was merged (301), any error.
tests/test_fastpath.py holds the two lanes to the same status, headers and bytes."""

import re
from urllib.parse import parse_qsl

from marshmallow import ValidationError

from .api.base import public_url
from .api.pagination import book_page_response
from .authz import QUERY_TOKEN_NAMES
from .cache import FOLDED, Entry, etag
from .database import reading
from .extensions import db
from .schemas.books import CURSOR_PATTERN, DEEP_PAGE_LIMIT
from .schemas.common import ID_MAX, PAGE_MAX, PER_PAGE_MAX
from .services import catalog, documents

LIST_PATH = LIST_RULE = "/api/v1/books"
ITEM_RULE = "/api/v1/books/<id:book_id>"
ITEM_PATH = re.compile(r"/api/v1/books/([1-9][0-9]{0,18})")
PLAIN_NUMBER = re.compile(r"[1-9][0-9]{0,6}")
# name=value pairs of characters that urlencode leaves as they are (letters, digits, "_.-~"), or nothing
PLAIN_QUERY = re.compile(r"(?:[\w.~-]+=[\w.~-]*(?:&[\w.~-]+=[\w.~-]*)*)?", re.ASCII)
SEARCH_PARAMETERS = ("q", "facets", "facet_limit", "sort")


def _query(environ) -> tuple[dict[str, list[str]], str | None]:
    """(the request's query parameters, each name with its values, as werkzeug's request.args.to_dict(flat=False)
    reads them, without a request object; the query without page and cursor as a page's Link header writes it, or
    None for book_page_response to write it). A query of name=value pairs in characters that need no quoting, each
    name once, is that already."""
    query = environ.get("QUERY_STRING", "")
    if PLAIN_QUERY.fullmatch(query):
        pairs = [pair.split("=", 1) for pair in query.split("&")] if query else []
        args = {name: [value] for name, value in pairs}
        if len(args) == len(pairs):
            return args, "&".join(f"{name}={value}" for name, value in pairs if name not in ("page", "cursor"))
    args = {}
    for name, value in parse_qsl(query.encode("latin1").decode(), keep_blank_values=True,
                                 errors="werkzeug.url_quote"):
        args.setdefault(name, []).append(value)
    return args, None


def _utf8(query: str) -> bool:
    """Whether a query string (as the WSGI server gives it: a byte a character) is UTF-8, as the app requires."""
    try:
        query.encode("latin1").decode()
    except UnicodeError:
        return False
    return True


class LeanLane:
    def __init__(self, app, cache, engine):
        from .api.base import Blueprint
        from .schemas.books import BookQuery

        self.app, self.cache, self.engine = app, cache, engine
        self.list_url = public_url(LIST_PATH, app.config)  # the list's, on the configured public address
        self.parser, self.schema = Blueprint.ARGUMENTS_PARSER, BookQuery
        schema = self.parser._get_schema(BookQuery, None)  # the shared instance the views load with
        self.defaults = schema.load({})
        self.names = frozenset(field.data_key or name for name, field in schema.fields.items())
        self.cursor = re.compile(CURSOR_PATTERN)
        # What a search adds to a page: each loaded by its own field (the field's rules and validators, as the
        # schema runs them), without the schema's and webargs' machinery around it.
        self.fields = {name: schema.fields[name] for name in SEARCH_PARAMETERS}

    def plain_args(self, args) -> dict | None:
        """What BookQuery loads from a query whose only parameters of its own are per_page, page and cursor, each
        once and in their plain form (a number without sign or leading zero, within its range; a cursor of the
        pattern), as a page or a cursor of the whole catalog asks, and q, facets, facet_limit and sort, each once
        and accepted by its field, as a search asks: loading them through the schema costs more than reading the
        page. None for anything else, which the schema loads (or refuses) as for the views. tests/test_fastpath.py
        holds the two equal."""
        loaded = dict(self.defaults)
        for name, values in args.items():
            if name not in self.names:
                continue  # not a parameter of the list: ignored, as the schema excludes it
            if len(values) != 1:
                return None
            value = values[0]
            if name == "cursor" and self.cursor.fullmatch(value):
                loaded["cursor"] = value
            elif name in ("per_page", "page") and PLAIN_NUMBER.fullmatch(value) \
                    and int(value) <= (PER_PAGE_MAX if name == "per_page" else PAGE_MAX):
                loaded[name] = int(value)
            elif name in self.fields:
                try:
                    loaded[name] = self.fields[name].deserialize(value)
                except ValidationError:
                    return None
            else:
                return None
        if "cursor" not in loaded and (loaded["page"] - 1) * loaded["per_page"] >= DEEP_PAGE_LIMIT:
            return None
        return loaded

    def route(self, environ) -> str | None:
        """The route template this lane answers for the request's path, or None."""
        path = environ.get("PATH_INFO", "")
        if path == LIST_PATH:
            return LIST_RULE
        match = ITEM_PATH.fullmatch(path)
        if match and int(match.group(1)) <= ID_MAX:
            return ITEM_RULE
        return None

    def compute(self, environ, route: str, version) -> Entry | None:
        """The entry for this request, or None for Flask to answer it. version: the data version read before, or
        FOLDED: the statement that reads the page or the book reads it too, in its own snapshot, and the entry
        carries it (None when unknown: the answer is sent, not kept)."""
        app = self.app
        if route == ITEM_RULE:
            query = environ.get("QUERY_STRING", "")
            if not query.isascii() and not _utf8(query):
                return None  # the views' 400
            body, version = self._item(environ, version)
            headers = []
        else:
            try:
                query, kept = _query(environ)
            except Exception:  # noqa: BLE001 - not text werkzeug reads either: Flask answers
                return None
            if any(name in query for name in QUERY_TOKEN_NAMES):
                return None  # authz's 401
            args = self.plain_args(query)
            searched = False
            try:
                # The whole catalog by title, the most common list of all, and a search without facets need no
                # app context (the catalog's size, when a commit has changed it, is counted in one).
                found = self._title_page(args, version) if args is not None else None
            except Exception:  # noqa: BLE001 - Flask computes it again and answers as it always has
                return None
            if found is None and args is not None and args.get("q") and not args.get("facets"):
                try:
                    found, searched = self._search(args, version), True
                except Exception:  # noqa: BLE001 - a stale document's book needs an app context: computed below
                    found = None
            if found is not None:
                page, version = found
                body, headers = book_page_response(page, args, DEEP_PAGE_LIMIT,
                                                   query if kept is None else {},
                                                   self._list_url(environ), kept)
                headers = list(headers.items())
            else:
                request = app.request_class(environ)
                with app.app_context(), reading():
                    try:
                        body, headers, version = self._list(request, args, version, searched)
                    except Exception:  # noqa: BLE001 - Flask computes it again and answers as it always has
                        return None
                    # The app context's teardown removes the session (rolls back, returns the connection), if any.
        if body is None:
            return None
        # A book's current document is its JSON already (what the JSON provider would write of it, byte for byte).
        encoded = body + b"\n" if type(body) is bytes else app.json.encode(body, newline=True)
        if encoded is None:
            return None
        # The ETag as the views' `conditional` makes it (cache.etag).
        return Entry(version, encoded, [("Content-Type", app.json.mimetype), *headers, ("ETag", etag(encoded))], route)

    def _read(self, snapshot=True):
        """read(work) for the catalog's functions: work(DB-API connection, dialect) on the response cache's own
        connection (library/cache.py)."""
        engine = self.engine
        dialect = engine.dialect
        return lambda work: self.cache.read(engine, lambda connection: work(connection, dialect), snapshot=snapshot)

    def _title_page(self, args, version):
        """catalog.title_page outside an app context: (the page, its version) or None."""
        # The title page is one statement, a snapshot of its own (a stale document in it is computed by a later
        # one, newer than the version the page is kept under, never older): on SQLite no BEGIN and COMMIT around it.
        return catalog.title_page(args, version, self._read(snapshot=False), self.engine, self._within)

    def _search(self, args, version):
        """catalog.search_page outside an app context: (the page, its version) or None."""
        return catalog.search_page(args, version, self._read(), self.engine)

    def _within(self, work):
        with self.app.app_context(), reading():
            return work()

    def _list_url(self, environ) -> str:
        """The list's URL without its query, as Link writes it (request_url()), for a request of LIST_PATH."""
        if not environ.get("SCRIPT_NAME"):
            return self.list_url
        request = self.app.request_class(environ)
        return public_url(request.script_root + request.path, self.app.config)

    def _list(self, request, args, version, searched=False):
        """(body, headers, version) of a list that is not the title page, in an app context; searched: _search has
        declined it."""
        if args is None:
            args = self.parser.parse(self.schema, request, location="query")
            found = catalog.title_page(args, version, self._read(snapshot=False))
        else:
            found = None  # _title_page has declined it
        if found is None and not searched:
            found = catalog.search_page(args, version, self._read())
        if found is not None:
            page, version = found
        else:
            if version is FOLDED:
                version = self.cache.version(self.engine)
            page = self._page(args, version)
        body, headers = book_page_response(page, args, DEEP_PAGE_LIMIT, request.args.to_dict(flat=False),
                                           public_url(request.script_root + request.path))
        return body, list(headers.items()), version

    def _page(self, args, version):
        if self.engine.dialect.name == "postgresql":
            # Each statement in its own snapshot, as under READ COMMITTED anyway, without the round trips of
            # BEGIN and ROLLBACK (psycopg's autocommit is set on the client; the pool restores it on return).
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return catalog.book_page(args, data_version=version)

    def _item(self, environ, version):
        """(the book as the detail view gives it, the data version), read on the response cache's own connection
        (no session, no pool checkout, no BEGIN or ROLLBACK; with FOLDED the version read by the same statement);
        the book is None when it is not in the catalog (Flask answers the 404
        or the merged book's 301) or the read failed."""
        book_id = int(environ["PATH_INFO"].rsplit("/", 1)[1])
        dialect = self.engine.dialect
        try:
            # One book: its document's statement (or, when it is stale, book_dicts' one) is a snapshot of its own.
            if version is FOLDED:
                return self.cache.read(self.engine, lambda connection: documents.versioned_item(
                    book_id, (connection, dialect)), snapshot=False) or (None, None)
            found = self.cache.read(self.engine, lambda connection: documents.items([book_id], (connection, dialect)),
                                    snapshot=False)
        except Exception:  # noqa: BLE001 - Flask reads it again and answers as it always has
            return None, version
        return (found[0] if found else None), version
