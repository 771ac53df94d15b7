"""The lean lane (library/fastpath.py, issue 12): the catalog's public reads computed without Flask's dispatch answer
exactly as the views do (status, body bytes, ETag, Link, Location), fall back to Flask for everything else, follow
every write at once, and on SQLite read without taking the write lock."""

import json

import pytest
from sqlalchemy import event

from library.cache import CacheMiddleware
from library.extensions import db

from .factories import create_book, isbn13
from .test_merge import copy, member, merge

COMPARED_HEADERS = ("Content-Type", "Link", "ETag", "Location")


def cache_layer(app) -> CacheMiddleware:
    layer = app.wsgi_app
    while not isinstance(layer, CacheMiddleware):
        layer = getattr(layer, "wsgi_app", None) or layer.app  # RequestIdMiddleware, MetricsMiddleware, ProxyFix
    return layer


@pytest.fixture
def lanes(app, make_app):
    """(lean, flask, answered): an anonymous client of the app (its lean lane on), one of a second app on the same
    database whose lane is off (every request through Flask's views), and the paths the lean lane answered itself."""
    layer, answered = cache_layer(app), []
    compute = layer.lane.compute

    def recording(environ, route, version):
        entry = compute(environ, route, version)
        if entry is not None:
            query = environ.get("QUERY_STRING", "")
            answered.append(environ["PATH_INFO"] + ("?" + query if query else ""))
        return entry

    layer.lane.compute = recording
    other = make_app()
    cache_layer(other).lane = None
    return app.test_client(), other.test_client(), answered


def same(lean, flask, url):
    a, b = lean.get(url), flask.get(url)
    assert a.status_code == b.status_code, url
    if a.status_code >= 400:
        body_a, body_b = a.get_json(), b.get_json()
        body_a.pop("request_id", None), body_b.pop("request_id", None)
        assert body_a == body_b, url
    else:
        assert a.data == b.data, url
    for name in COMPARED_HEADERS:
        assert a.headers.get(name) == b.headers.get(name), (url, name)
    return a


def catalog(client):
    """Books with what a page shows: several authors in order, subjects, other ISBNs, copies on the shelf, on loan
    and withdrawn, a waiting hold, text outside ASCII; one archived and one merged away."""
    books = [create_book(client, title=f"Garden {n}", subtitle="Ève à Zürich" if n == 2 else None,
                         authors=[{"name": "Octavia E. Butler"}, {"name": f"Ann Other{n}"}][::(-1) ** n],
                         subjects=["Fiction", f"Subject {n % 3}"], other_isbns=[isbn13()] if n % 2 else [],
                         published_year=1990 + n, language="fr" if n == 3 else "en") for n in range(7)]
    shelf, lent, withdrawn = copy(client, books[0]["id"]), copy(client, books[0]["id"]), copy(client, books[0]["id"])
    assert client.post("/api/v1/loans", json={"barcode": lent["barcode"], "card_number": member(client)}).status_code == 201
    assert client.patch(f"/api/v1/copies/{withdrawn['id']}", json={"status": "withdrawn"}).status_code == 200
    assert client.post("/api/v1/holds", json={"book_id": books[1]["id"], "card_number": member(client)}).status_code == 201
    archived = create_book(client, title="Garden archived")
    history = copy(client, archived["id"])
    card = member(client)
    loan = client.post("/api/v1/loans", json={"barcode": history["barcode"], "card_number": card}).get_json()
    assert client.post(f"/api/v1/loans/{loan['id']}/return").status_code == 200
    assert client.patch(f"/api/v1/copies/{history['id']}", json={"status": "withdrawn"}).status_code == 200
    assert client.post(f"/api/v1/books/{archived['id']}/archive").status_code == 200
    merged = create_book(client, title="Garden 0", authors=[{"name": "Octavia E. Butler"}])
    assert merge(client, books[0]["id"], merged["id"]).status_code == 200
    return books, archived, merged


def test_the_lean_lane_answers_as_the_views_do(client, lanes):
    lean, flask, answered = lanes
    books, archived, merged = catalog(client)
    urls = [f"/api/v1/books/{book['id']}" for book in books]
    urls += ["/api/v1/books", "/api/v1/books?per_page=2", "/api/v1/books?per_page=3&page=2", "/api/v1/books?sort=title",
             "/api/v1/books?per_page=2&sort=-title", "/api/v1/books?sort=author&per_page=3",
             "/api/v1/books?sort=-published_year&per_page=3&page=2", "/api/v1/books?sort=-created_at&per_page=2",
             "/api/v1/books?q=garden", "/api/v1/books?q=butler&per_page=2", "/api/v1/books?q=%22garden%203%22",
             "/api/v1/books?q=gard", "/api/v1/books?q=gardn", "/api/v1/books?q=garden&facets=subject,language,author,decade",
             "/api/v1/books?language=fr", "/api/v1/books?available=true", "/api/v1/books?available=false&per_page=2",
             f"/api/v1/books?isbn={books[1]['isbn']}", "/api/v1/books?subject=fiction&per_page=2",
             f"/api/v1/books?author={books[0]['authors'][0]['id']}", "/api/v1/books?year_from=1992&year_to=1994",
             "/api/v1/books?per_page=2&_bench=1-7", "/api/v1/books?q=", "/api/v1/books?q=%C3%A8ve"]
    for url in list(urls[len(books):]):  # every next page by cursor, to the end
        while (body := same(lean, flask, url).get_json()).get("next_cursor"):
            url = url.split("&cursor=")[0] + ("&" if "?" in url else "?") + "cursor=" + body["next_cursor"]
            urls.append(url)
    for url in urls:
        same(lean, flask, url)
    assert set(urls) <= set(answered)  # the lean lane computed each of them

    title_cursor = lean.get("/api/v1/books?per_page=2").get_json()["next_cursor"]
    relevance_cursor = lean.get("/api/v1/books?q=garden&per_page=2").get_json()["next_cursor"]
    answered.clear()
    refused = [f"/api/v1/books/{archived['id']}", f"/api/v1/books/{merged['id']}", "/api/v1/books/999999",
               "/api/v1/books/0", "/api/v1/books/01", "/api/v1/books/", "/api/v1/books?per_page=0",
               "/api/v1/books?per_page=2&per_page=3", "/api/v1/books?cursor=zzz", "/api/v1/books?page=99999",
               "/api/v1/books?token=abc", "/api/v1/books?sort=shelf", f"/api/v1/books?cursor={relevance_cursor}",
               f"/api/v1/books?q=garden&cursor={title_cursor}", "/api/v1/books?q=" + "x" * 300]
    statuses = [same(lean, flask, url).status_code for url in refused]
    assert statuses == [404, 301, 404, 404, 200, 404, 422, 422, 422, 422, 401, 422, 422, 422, 422], statuses
    assert answered == []  # each of them was answered by Flask


def test_the_lean_lane_follows_every_write(client, lanes):
    lean, flask, _answered = lanes
    book = create_book(client, title="Before")
    path = f"/api/v1/books/{book['id']}"
    assert lean.get(path).get_json()["title"] == "Before"
    assert lean.get("/api/v1/books").get_json()["items"][0]["title"] == "Before"
    client.patch(path, json={"title": "After", "subjects": ["New"]})
    copy(client, book["id"])
    for url in (path, "/api/v1/books"):
        shown = same(lean, flask, url).get_json()
        shown = shown if url == path else shown["items"][0]
        assert (shown["title"], shown["subjects"], shown["availability"]) == (
            "After", ["New"], {"available": 1, "holds": 0, "total": 1})
    assert client.delete(path).status_code == 409  # it has a copy
    assert lean.get(path).status_code == 200


def test_links_under_a_script_name_are_the_views_links(client, lanes):
    """Behind a path prefix (SCRIPT_NAME), the lean lane's Link header names the same URLs as the views'."""
    lean, flask, answered = lanes
    for n in range(3):
        create_book(client, title=f"Prefixed {n}")
    prefixed = {"SCRIPT_NAME": "/library"}
    for url in ("/api/v1/books?per_page=1", "/api/v1/books?per_page=1&page=2&_x=%C3%A8"):
        a, b = lean.get(url, environ_overrides=prefixed), flask.get(url, environ_overrides=prefixed)
        assert (a.status_code, a.data) == (b.status_code, b.data) == (200, b.data)
        assert a.headers["Link"] == b.headers["Link"]
        assert "/library/api/v1/books?" in a.headers["Link"]
    assert len(answered) == 2


def test_a_query_that_is_not_utf8_is_a_400_problem(client, lanes):
    """Bytes that are not UTF-8 in a query string (a WSGI server that passes them; gunicorn and nginx refuse them
    before, tests/test_hostile.py): a 400 in the error envelope from both lanes, never a 500."""
    lean, flask, answered = lanes
    book = create_book(client)
    for url in ("/api/v1/books", f"/api/v1/books/{book['id']}", "/api/health", "/api/v1/members"):
        for one in (lean, flask):
            response = one.get(url, environ_overrides={"QUERY_STRING": "q=caf\xe9"})
            assert response.status_code == 400, (url, response.status_code)
            assert response.get_json()["detail"].startswith("The query string is not valid UTF-8")
    assert answered == []  # Flask answered each


def test_credentials_go_to_the_views(client, lanes):
    lean, _flask, answered = lanes
    book = create_book(client)
    assert client.get(f"/api/v1/books/{book['id']}").status_code == 200
    bad = lean.get(f"/api/v1/books/{book['id']}", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401
    assert answered == []


def test_lean_reads_take_no_write_lock_and_no_transaction(app, client, lanes, database_url):
    """SQLite: the lean lane's session reads begin with a plain BEGIN, never BEGIN IMMEDIATE (the writers' lock;
    outside a request context the CLI's work is a write). PostgreSQL: they run in autocommit, without the round
    trips of BEGIN and ROLLBACK (the whole catalog's size, read once per database version, is read in a transaction
    of the session's)."""
    lean, _flask, answered = lanes
    create_book(client, title="Garden")
    assert lean.get("/api/v1/books?per_page=2").status_code == 200  # the catalog's size, read once per version
    answered.clear()
    seen = []
    with app.app_context():
        engine = db.engine
    sqlite = database_url.startswith("sqlite")

    def record(conn, _cursor, statement, *_args):
        if sqlite and statement.startswith("BEGIN"):
            seen.append(statement)
        elif not sqlite:
            seen.append("autocommit" if conn.connection.dbapi_connection.autocommit else "transaction")

    event.listen(engine, "before_cursor_execute", record)
    try:
        for url in ("/api/v1/books?q=garden", "/api/v1/books?language=en", "/api/v1/books?per_page=1"):
            assert lean.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(answered) == 3
    assert seen and set(seen) == ({"BEGIN"} if sqlite else {"autocommit"}), seen


def test_a_lost_reading_connection_falls_back_to_the_views(app, client, lanes):
    """The response cache's own connection (the lean lane reads a book on it) closed under it: the answer is still
    the book, and the next request reconnects."""
    lean, flask, _answered = lanes
    book = create_book(client)
    path = f"/api/v1/books/{book['id']}"
    assert lean.get(path).status_code == 200
    cache = cache_layer(app).cache
    held = cache._postgres or cache._sqlite
    held[1].close()
    assert lean.get(path + "?again=1").get_json() == json.loads(flask.get(path).data)
    assert lean.get(path + "?again=2").get_json()["id"] == book["id"]


def test_a_reopened_reading_connection_never_serves_an_answer_kept_before(app, client, lanes):
    """The response cache's connection is lost and opened anew while the book changes. On SQLite the new connection
    counts data versions from its own start, where the old one's count of the kept answer was: that answer must
    not come back as current."""
    lean, _flask, _answered = lanes
    book = create_book(client, title="Before")
    path = f"/api/v1/books/{book['id']}"
    assert lean.get(path).get_json()["title"] == "Before"  # kept, under the connection's version
    cache = cache_layer(app).cache
    held = cache._postgres or cache._sqlite
    held[1].close()  # lost, as an error loses it
    assert client.patch(path, json={"title": "After"}).status_code == 200
    assert [lean.get(path).get_json()["title"] for _ in range(3)] == ["After"] * 3


def test_plain_arguments_load_as_the_schema_does(app):
    """plain_args (the common page or cursor, read without marshmallow) gives what BookQuery loads, and leaves to
    the schema whatever it does not read exactly so: hundreds of queries built from the edges of each parameter."""
    import random

    from marshmallow import ValidationError
    from werkzeug.datastructures import MultiDict

    from library.schemas.books import BookQuery

    lane, schema = cache_layer(app).lane, BookQuery()
    cursor = "eyJzIjoidGl0bGUiLCJrIjpbImEiLDFdfQ"
    values = {"per_page": ["1", "20", "100", "101", "0", "-1", "+5", "05", "2.0", " 7", "1e2", "", "x", "99999999"],
              "page": ["1", "2", "500", "501", "1000000", "1000001", "0", "007", "3 ", "", "٣"],
              "cursor": [cursor, cursor + "=", "", "a" * 2000, "a" * 2001, "abc$", "ab cd"],
              "_bench": ["1-2", ""], "Page": ["2"],
              "q": ["", " ", "garden", "garden ", " -rose \"silent garden\"", "x" * 200, "x" * 201, "a\x00b", "\ud800"],
              "sort": ["", "title", "relevance", "-published_year", "shelf"],
              "facets": ["", "subject", "subject, author ,", "language,language", "bogus", "subject;author"],
              "facet_limit": ["1", "10", "50", "0", "51", "+3", "x"], "language": ["fr"]}
    rng, plain, searches = random.Random(12), 0, 0
    for _ in range(2000):
        pairs = [(name, rng.choice(options)) for name, options in values.items()
                 if rng.random() < (0.5 if name in ("per_page", "page", "cursor", "_bench", "Page") else 0.2)]
        if rng.random() < 0.1 and pairs:
            pairs.append(pairs[0])  # a parameter given twice
        args = MultiDict(pairs)
        try:
            expected = schema.load({name: args[name] for name in args if name in schema.fields}) if all(
                len(args.getlist(name)) == 1 for name in args if name in schema.fields) else "refused"
        except ValidationError:
            expected = "refused"
        got = lane.plain_args(args.to_dict(flat=False))
        if got is not None:
            plain += 1
            searches += "q" in args
            assert got == expected, pairs
    assert plain > 100 and searches > 25  # the plain forms were met often enough to be tested


def test_query_strings_read_as_werkzeug_and_urlencode_read_them(app):
    """_query (the lean lane's reading of a query string, without a request object) gives werkzeug's request.args
    (as to_dict(flat=False) gives it),
    and the query without page and cursor as the Link header writes it (urlencode), for query strings built from
    characters that need quoting, that need none, and the ways a query string can be written (a name twice, a
    name without '=', empty pairs, '+', percent escapes, text outside ASCII)."""
    import random
    from urllib.parse import quote, urlencode

    from flask import request
    from werkzeug.test import EnvironBuilder

    from library.fastpath import _query

    pieces = ["per_page", "page", "cursor", "_bench", "q", "a", "1-2", "x.y~z", "", "=", "+", "%20", "%zz", "&",
              "é", quote("é"), "eyJzIjoidGl0bGUifQ", "a b"]
    rng, plain = random.Random(7), 0
    for _ in range(3000):
        query = "".join(rng.choice(pieces) + rng.choice(["=", "&", ""]) for _ in range(rng.randint(0, 6)))
        query = query.encode().decode("latin1")  # as a WSGI server gives it: the bytes, each one a character
        if rng.random() < 0.05:
            query += "\xe9"  # a byte that is not UTF-8: werkzeug does not read it, and neither does _query
        environ = EnvironBuilder(environ_overrides={"QUERY_STRING": query}).get_environ()
        with app.request_context(environ):
            try:
                expected = request.args
            except UnicodeDecodeError:
                with pytest.raises(UnicodeDecodeError):
                    _query(environ)
                continue
            params = request.args.to_dict(flat=False)
        args, kept = _query(environ)
        assert list(args.items()) == list(expected.lists()), query  # each name with its values, in order
        if kept is not None:
            plain += 1
            assert kept == urlencode({k: v for k, v in params.items() if k not in ("page", "cursor")}, doseq=True), query
    assert plain > 300  # the plain form was met often enough to be tested


@pytest.mark.parametrize("exact_max", [2000, 4, 3])
def test_searches_answer_as_the_views_do_in_every_order(client, lanes, monkeypatch, exact_max):
    """The searches members type (q alone, by relevance, with facets) through the lean lane's own statements
    (catalog.search_page) equal the views' answers: exact ranks and counts, and with exact_max=4 or 3 the
    estimated total, the scaled facets and the tiered order (exact title, then title or authors, then the rest),
    every page by cursor to the end. On PostgreSQL the three limits take each of the ways counted_page finds the
    matches (the planner expects 1, 6 or 25 here: few, between, broad)."""
    from library.services import catalog

    monkeypatch.setattr(catalog, "COUNT_EXACT_MAX", exact_max)
    monkeypatch.setattr(catalog, "RANK_EXACT_MAX", exact_max)
    lean, flask, answered = lanes
    searched = []
    search_page = catalog.search_page

    def recording(args, data_version, read):
        found = search_page(args, data_version, read)
        if found is not None:
            searched.append(args["q"])
        return found

    monkeypatch.setattr(catalog, "search_page", recording)
    create_book(client, title="Garden", subjects=["Botany"], published_year=1971)  # the exact title
    for n in range(4):
        create_book(client, title=f"The Silent Garden {n}", authors=[{"name": f"Rosa Gärtner{n}"}],
                    subjects=["Botany", f"Rose {n % 2}"], language="de" if n % 2 else "en", published_year=1980 + n)
    create_book(client, title="Roses", authors=[{"name": "Ann Garden"}], subjects=["Garden design"])  # in authors
    for n in range(3):  # only in the description or subjects: the last tier
        create_book(client, title=f"Plants {n}", description="A walled garden in winter.", subjects=["Gardening"])
    create_book(client, title="Kitchen gardens", description="Rose beds and silent gardens.")
    create_book(client, title="Garden, garden", subtitle="The garden of gardens", authors=[{"name": "Ann Garden"}],
                subjects=["Garden"])  # scores above the exact title, which comes first all the same
    urls = ["/api/v1/books?q=garden", "/api/v1/books?q=garden&per_page=2",
            "/api/v1/books?q=garden&per_page=3&facets=subject,language,author,decade&facet_limit=2",
            "/api/v1/books?q=gard&per_page=2&sort=relevance", "/api/v1/books?q=%22silent%20garden%22&per_page=2",
            "/api/v1/books?q=garden%20-rose&per_page=2", "/api/v1/books?q=garden%20&per_page=4",
            "/api/v1/books?q=rose%20garden&facets=author", "/api/v1/books?q=G%C3%A4RTNER"]
    for url in list(urls):
        while (body := same(lean, flask, url).get_json()).get("next_cursor"):
            url = url.split("&cursor=")[0] + "&cursor=" + body["next_cursor"]
            urls.append(url)
    assert len(searched) == len(urls)  # each of them (asked once) came from search_page
    others = ["/api/v1/books?q=garden&per_page=2&page=2", "/api/v1/books?q=garden&page=9", "/api/v1/books?q=zzyzx",
              "/api/v1/books?q=-garden",
              "/api/v1/books?q=garden&sort=title", "/api/v1/books?q=garden&language=de",
              "/api/v1/books?q=garden&cursor=" + lean.get("/api/v1/books?per_page=2").get_json()["next_cursor"]]
    for url in others:  # numbered pages (the second past the matches), nothing found, no positive word, another
        # sort, a filter, a title cursor
        same(lean, flask, url)
    body = lean.get("/api/v1/books?q=garden&facets=subject").get_json()
    assert body["total_is_estimate"] is (exact_max < 11)  # 11 books match
    assert body["items"][0]["title"] == "Garden"  # the exact title first, in either order


def test_the_title_page_and_a_search_without_facets_need_no_app_context(app, client, lanes, monkeypatch):
    """The commonest lists are computed without pushing an app context (their cost: library/fastpath.py), and
    answer as the views do; a search with facets, and a search that finds nothing (the views' suggestions), still
    take one. (After a commit, the first list counts the catalog, once, in one.)"""
    for n in range(3):
        create_book(client, title=f"Quiet Orchard {n}", subjects=["Fruit"])
    lean, flask, answered = lanes
    pushed = []
    context = app.app_context
    monkeypatch.setattr(app, "app_context", lambda: pushed.append(1) or context())
    for url, contexts in (("/api/v1/books?per_page=2", 0), ("/api/v1/books?q=orchard&per_page=2", 0),
                          ("/api/v1/books?q=%22quiet%20orchard%22", 0), ("/api/v1/books?q=orchard&facets=subject", 1),
                          ("/api/v1/books?q=zzyzx", 1)):
        lean.get(url + "&first=1")  # another URL: counts what a commit changed
        pushed.clear()
        body = same(lean, flask, url)
        assert answered[-1] == url and len(pushed) == contexts, (url, pushed)
        assert body.get_json()["items"] or url.endswith("zzyzx")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite's reads are no round trips
def test_one_statement_a_search_counts_and_ranks_as_the_separate_ones_do(app, client, monkeypatch):
    """PostgreSQL: counted_page, whichever way it finds the matches (few expected: once; between: twice; broad:
    not at all), says what broad(), count() and ranked() say, for every page size and offset, forward and after a
    cursor (its page read through libpq, ranked()'s through a cursor: the same books, bytes and next keys)."""
    import orjson

    from library.services import catalog, documents, search

    def page(found):
        books, last = found
        return [(book_id, None if document is None else orjson.dumps(
            document if isinstance(document, orjson.Fragment) else orjson.Fragment(document)))
            for book_id, document in books], last

    for n in range(7):
        create_book(client, title=f"Orchard {n}", description="apple " * n + "pear")
    create_book(client, title="Apple", description="An orchard.")
    seen = set()
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            reader = catalog._PostgresSearch(connection.driver_connection, search.parse("orchard"))
            planned = reader._rows(f"SELECT library_planned_matches({reader.query})")[0][0]
            for exact_max in range(1, 2 * int(planned) + 3):
                monkeypatch.setattr(catalog, "COUNT_EXACT_MAX", exact_max)
                way = "few" if planned <= exact_max else "broad" if planned >= 2 * exact_max else "between"
                for size, offset, after in ((3, 0, None), (9, 0, None), (2, 6, None), (2, 40, None),
                                            (2, 0, reader.ranked(None, 3, 0)[2][:2])):
                    broad, counted, version = reader.counted_page(exact_max + 1, after, size, offset, versioned=True)
                    assert broad is reader.broad() is (way == "broad")
                    assert version == reader.version()
                    if broad:
                        assert counted is None
                        continue
                    found, last_id = reader.count(exact_max + 1)
                    assert counted[:2] == (found, last_id)
                    ranked = reader.ranked(after, size, offset) if found <= exact_max else []
                    assert page(counted[2]) == page(documents.entries(ranked, size - 1)), \
                        (exact_max, way, size, offset, after)
                    seen.add((way, bool(ranked)))
        finally:
            connection.close()
    assert {("few", True), ("between", True), ("between", False)} <= seen, seen


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # the floor is PostgreSQL's alone
def test_the_bench_search_floor_runs_the_statement_the_lane_sends(client, lanes, monkeypatch):
    """bench/run.py's ref_floor_search_common times one statement per request as the least a search can cost: it
    must be, byte for byte, the statement the lean lane sends for a search's first page asked uncached."""
    import importlib.util
    from pathlib import Path

    from psycopg import sql

    from library.services import catalog, pgread

    spec = importlib.util.spec_from_file_location("bench_run", Path(__file__).resolve().parents[2] / "bench" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for n in range(3):
        create_book(client, title=f"Orchard {n}", description="apple pear")
    sent, rows, execute = [], catalog._PostgresSearch._rows, pgread.execute

    def literal(statement, params):
        return statement.replace("%s", "{}").format(*(sql.Literal(value).as_string(None) for value in params))

    def recording(self, statement, params=(), binary=False):  # through a cursor
        sent.append(literal(statement, params))
        return rows(self, statement, params, binary)

    def recording_libpq(connection, statement, params=()):  # through libpq (documents.pg_page)
        sent.append(literal(statement, params))
        return execute(connection, statement, params)

    monkeypatch.setattr(catalog._PostgresSearch, "_rows", recording)
    monkeypatch.setattr(pgread, "execute", recording_libpq)
    lean, _flask, answered = lanes
    url = "/api/v1/books?q=orchard&per_page=20&_bench=1"
    answer = lean.get(url)
    assert answer.status_code == 200 and answer.get_json()["total"] == 3 and answered == [url]
    assert sent == [bench.search_statement("orchard")]
