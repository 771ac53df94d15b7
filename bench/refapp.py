"""References (2) and (3) of the benchmark: a bare WSGI app that answers every request with the saved bytes of the
API's first list page, as application/json. run.py starts it with the app's own gunicorn settings
(backend/gunicorn.conf.py) on the app's upstream port, so nginx proxies /api to it exactly as it proxies the app.

    BENCH_REFAPP_BODY=page1.json gunicorn -c backend/gunicorn.conf.py --pythonpath bench refapp:app

With BENCH_REFAPP_SQL (and DATABASE_URL, the app's database), it is a *floor*: before answering the same saved
bytes, each request runs that one statement on the database and fetches its rows, as the app's lean lane does
(library/fastpath.py): on PostgreSQL on a connection of the worker's own in autocommit with one generic plan per
statement, the rows in binary (library/cache.py, services/documents.py); on SQLite on a read-only connection of
its own, the statement its own read transaction. With BENCH_REFAPP_DOCUMENTS=N the rows hold a page of documents
(documents.page_sql's), their parts and counts from column N on, and the page's twenty documents are joined as the
app joins them (N=2: list page 1's statement; N=6: a search's, catalog._PostgresSearch.counted_page_sql); with
BENCH_REFAPP_DOCUMENTS=item the statement is a book's (documents._READ_ONE_VERSIONED) and its document is joined.
On PostgreSQL a page (the list's or the search's) and a book are read as the lane reads them, through libpq
(documents.pg_page and pg_versioned_item, services/pgread.py: only the values used); the trivial statement
through psycopg's cursor. So the
difference from the bare reference is exactly what reading the database costs, with nothing of Flask, the lane's
parsing or the JSON around it: the least any app that reads a page (or makes one statement) per request can cost on
this machine (bench/README.md).
"""

import os

with open(os.environ["BENCH_REFAPP_BODY"], "rb") as _f:
    BODY = _f.read()
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]
SQL = os.environ.get("BENCH_REFAPP_SQL")
DOCUMENTS = os.environ.get("BENCH_REFAPP_DOCUMENTS") or ""  # the column of a row's document head, "item", or ""
ITEM = DOCUMENTS == "item"
DOCUMENTS = 0 if ITEM else int(DOCUMENTS or 0)
if DOCUMENTS or ITEM:  # the app's own reads and joins (gunicorn puts backend/, its cwd, on the path)
    from library.services.documents import (
        _document,
        entries,
        page_documents,
        pg_page,
        pg_versioned_item,
        split_version,
    )
_connection = None  # (pid, connection): opened after the fork, one per worker


def _postgres():
    import psycopg

    connection = psycopg.connect(os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://"),
                                 autocommit=True)
    connection.execute("SET plan_cache_mode = force_generic_plan")
    return connection


def _sqlite():
    import sqlite3
    from urllib.parse import urlsplit

    path = urlsplit(os.environ["DATABASE_URL"]).path[1:]  # sqlite:////abs/path -> /abs/path
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)


def _read():
    """Run SQL and read its rows as the lane does (joining the documents when it is a page or a book's)."""
    global _connection
    if _connection is None or _connection[0] != os.getpid():
        postgres = os.environ["DATABASE_URL"].startswith("postgresql")
        _connection = (os.getpid(), _postgres() if postgres else _sqlite(), postgres)
    _pid, connection, postgres = _connection
    if postgres and ITEM:  # as documents.versioned_item reads and joins a book's document
        return pg_versioned_item(connection, SQL, ())
    if postgres and DOCUMENTS:  # as catalog.title_page and _PostgresSearch read a page, page_documents joins it
        return page_documents(pg_page(connection, SQL, (), DOCUMENTS, 20, versioned=DOCUMENTS == 2,
                                      leading=4 if DOCUMENTS == 6 else 0)[2], None)
    if postgres:
        cursor = connection.cursor()
        cursor.execute(SQL, binary=True)
        rows = cursor.fetchall()
        cursor.close()
    else:
        rows = connection.execute(SQL).fetchall()
    if DOCUMENTS:  # as catalog.title_page reads a page on SQLite (the version last), page_documents joins it
        return page_documents(entries(split_version(rows)[1], 20)[0], None)
    if ITEM:  # as versioned_item joins it: after the version and the book's id
        return [_document(*row[2:7]) for row in rows if row[2] is not None]
    return rows


def app(environ, start_response):
    if SQL:
        _read()
    start_response("200 OK", HEADERS)
    return [BODY]
