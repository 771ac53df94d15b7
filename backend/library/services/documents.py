"""Stored book documents (issue 12): each book as the public catalog sends it, kept ready to send.

A page of books computed from the catalog's tables costs one statement with a dozen subqueries per book and the
Python that turns its rows into BookOut's dicts and the dicts into JSON: more than everything else a list page or
a search does. book_document (migration 0022) holds each book's JSON, written by book_dicts and the app's JSON
provider, in two parts around its availability. items() reads a page of them with the availability counted in
the same statement and joins the bytes: the same bytes, for a fraction of the work. page_sql() puts the page's
own statement (its ids in order) in front of that read, so a page is one statement (one round trip), and
page_documents() joins its rows (read by pg_page() on PostgreSQL, by a cursor and entries() on SQLite).

Never stale: triggers mark a book's document stale (head and tail NULL) in the transaction of any change to what
it holds (the book, its authors and their names, its subjects and their names, its other ISBNs; archiving is a
change of the book), and a stale or missing document is never sent: items() computes that book with book_dicts,
as before. Documents are written again:

- by the session that made them stale, just before it commits (up to COMMIT_LIMIT of them): those of the books,
  authors and subjects its flushes wrote;
- by the background worker (the "catalog.documents" poller: a read of the stale index when there is nothing to
  do), in batches: after an import, an upgrade, or a change that reached more books than COMMIT_LIMIT;
- by `flask --app library documents`, which writes every stale one now.

On PostgreSQL the writer locks the stale rows it takes (SKIP LOCKED: another transaction that marked them writes
them itself) before it reads the books, in a later statement, so it reads every change committed before its
lock; a change after it waits for the lock, and marks the document stale again. SQLite has one writer at a time.

Changing what a document holds (a new field of BookOut) takes a migration that marks them all stale.
"""

import json
from itertools import chain

import orjson
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from ..extensions import db
from ..jsonprovider import OPTIONS
from ..models import Author, Book, BookAuthor, BookIsbn, Subject
from . import pgread

BATCH = 1_000  # documents written per statement round (the worker commits each batch)
COMMIT_LIMIT = 500  # written by a committing session; the rest are the worker's
ROUND_SECONDS = 5.0  # the worker's time for documents in one round, so its other work is not held up
_MARK = orjson.Fragment(b"\x00")  # where the availability goes: a NUL byte, which orjson never writes itself
_FLAG = "library.documents"
_CATALOG = (Book, BookAuthor, BookIsbn, Author, Subject)


def _counts(book_id: str, dialect: str) -> tuple[str, str]:
    """(the select list's three availability counts of the book whose id is book_id, what they add to the FROM
    clause): the same counts as catalog._book_dict_statement's availability. On PostgreSQL the copies are counted in
    one pass (a LATERAL subquery, both counts filtered from it) instead of a subquery per count: a page of twenty's
    statement takes 8 % less time with no copies, 17 % less with two copies a book (bench/README.md, fourteenth
    round). SQLite has no LATERAL; its subqueries run in the app's process."""
    holds = f"(SELECT count(*) FROM hold WHERE hold.book_id = {book_id} AND hold.status = 'waiting')"
    if dialect == "postgresql":
        return (f"copies.available, {holds}, copies.total",
                (" CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE copy.status = 'available') AS available, "
                 "count(*) FILTER (WHERE copy.status != 'withdrawn') AS total "
                 f"FROM copy WHERE copy.book_id = {book_id}) AS copies"))
    return (f"(SELECT count(*) FROM copy WHERE copy.book_id = {book_id} AND copy.status = 'available'), {holds}, "
            f"(SELECT count(*) FROM copy WHERE copy.book_id = {book_id} AND copy.status != 'withdrawn')"), ""


def _read(where: str, dialect: str) -> str:
    counts, joined = _counts("d.book_id", dialect)
    return (f"SELECT d.book_id, d.head, d.tail, {counts} FROM book_document d{joined} "
            f"WHERE {where} AND d.head IS NOT NULL")


_READ = {"sqlite": _read("d.book_id IN (SELECT value FROM json_each(?))", "sqlite"),
         "postgresql": _read("d.book_id = ANY (%s::integer[])", "postgresql")}
_READ_ONE = {"sqlite": _read("d.book_id = ?", "sqlite"),
             "postgresql": _read("d.book_id = %s::integer", "postgresql")}  # for one book
# How the reads of documents ask for their rows: on PostgreSQL in binary (the server sends the documents' bytes as
# they are, not as hex for psycopg to decode, and the counts as integers): a third less of both sides' CPU for a
# page of twenty. The same values either way.
_RESULTS = {"postgresql": {"binary": True}}
# The response cache's data version (library/cache.py), read by a statement of its own snapshot: a computed page
# or book page puts it in its own statement, which saves reading it first (on PostgreSQL a round trip; on SQLite a
# statement, PRAGMA data_version as a table-valued function, on the same connection as the cache reads it). Both
# are subqueries without a reference to the rows, computed once per statement rather than once per row.
VERSION = {"postgresql": "(SELECT pg_current_snapshot()::text)",
           "sqlite": "(SELECT data_version FROM pragma_data_version())"}
_READ_ONE_VERSIONED = {
    name: f"SELECT {VERSION[name]}, d.book_id, d.head, d.tail, {_counts('d.book_id', name)[0]} FROM (SELECT 1) AS one "
          f"LEFT JOIN book_document d ON d.book_id = {mark} AND d.head IS NOT NULL{_counts('d.book_id', name)[1]}"
    for name, mark in (("postgresql", "%s::integer"), ("sqlite", "?"))}


def results(dialect) -> dict:
    """The options of a cursor's execute() for the reads of documents on this dialect."""
    return _RESULTS.get(dialect.name, {})


def parts(item: dict) -> tuple[bytes, bytes]:
    """(head, tail) of a book's dict as book_dicts gives it: its JSON before and after the availability's value."""
    head, tail = orjson.dumps({**item, "availability": _MARK}, option=OPTIONS).split(b"\x00")
    return head, tail


def items(book_ids: list[int], reader) -> list:
    """The books with these ids, in this order, as book_dicts gives them (archived books and unknown ids left out):
    each as an orjson.Fragment of its JSON when its document is current, else as book_dicts' dict. The app's JSON
    provider writes both alike. reader: (DB-API connection, dialect), as for book_dicts."""
    from .catalog import book_dicts

    if not book_ids:
        return []
    dbapi_connection, dialect = reader
    wanted = sorted(set(book_ids))
    cursor, options = dbapi_connection.cursor(), results(dialect)
    try:
        if len(wanted) == 1:
            cursor.execute(_READ_ONE[dialect.name], (wanted[0],), **options)
        else:
            cursor.execute(_READ[dialect.name], (json.dumps(wanted) if dialect.name == "sqlite" else wanted,),
                           **options)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    found = {book_id: _fragment(head, tail, available, holds, total)
             for book_id, head, tail, available, holds, total in rows}
    if len(found) < len(wanted):
        for item in book_dicts([book_id for book_id in wanted if book_id not in found], reader=reader):
            found[item["id"]] = item
    return [found[book_id] for book_id in book_ids if book_id in found]


def versioned_item(book_id: int, reader) -> tuple:
    """(the book: its current document's JSON as bytes, or, when the document is stale or missing, book_dicts' dict,
    or None when it is not in the catalog; the data version of the statement that read its document), in one
    statement (on PostgreSQL one round trip). A stale or missing document is computed by book_dicts in a later
    statement: the version is then older than what it reads, never newer, so a response cached under it can only be
    dropped early, never served stale."""
    dbapi_connection, dialect = reader
    if dialect.name == "postgresql":
        version, document = pg_versioned_item(dbapi_connection, _READ_ONE_VERSIONED["postgresql"], (book_id,))
        if document is not None:
            return document, version
    else:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(_READ_ONE_VERSIONED[dialect.name], (book_id,), **results(dialect))
            version, *row = cursor.fetchone()
        finally:
            cursor.close()
        if row[0] is not None:
            return _document(*row[1:]), version
    from .catalog import book_dicts

    found = book_dicts([book_id], reader=reader)
    return (found[0] if found else None), version


def split_version(rows) -> tuple:
    """(the data version, the rows without it) of a versioned page_sql statement's rows; the version is None when
    there are none."""
    return (rows[0][-1] if rows else None), [row[:-1] for row in rows]


def _document(head, tail, available, holds, total) -> bytes:
    return b"".join((bytes(head), b'{"available":%d,"holds":%d,"total":%d}' % (available, holds, total), bytes(tail)))


def _fragment(head, tail, available, holds, total) -> orjson.Fragment:
    return orjson.Fragment(_document(head, tail, available, holds, total))


_COUNTS: dict = {}  # (available, holds, total) as PostgreSQL sends them in binary -> their JSON
_COUNTS_MAX = 4_096


def _counts_json(available: bytes, holds: bytes, total: bytes) -> bytes:
    key = (available, holds, total)
    found = _COUNTS.get(key)
    if found is None:
        if len(_COUNTS) >= _COUNTS_MAX:
            _COUNTS.clear()
        found = _COUNTS[key] = b'{"available":%d,"holds":%d,"total":%d}' % tuple(map(pgread.integer, key))
    return found


def pg_page(connection, sql: str, params, head: int, size: int, versioned: bool = False, leading: int = 0) -> tuple:
    """A page_sql statement on PostgreSQL (alone, or after `leading` columns of its own, as the search's counted
    page has them), read through libpq (services/pgread.py): (the first row's leading values, decoded; the data
    version, from page_sql's version column when versioned, else None, and None when there are no rows; the first
    size books as page_documents() takes them; the key columns and id of row size, the page's last, as a tuple, or
    None when no row follows it). head: the column of the document's head; the book's id is the one before it and
    the page's keys the two before that; a row without an id (a LEFT JOIN's) is no book."""
    result = pgread.execute(connection, sql, params)
    try:
        get, count = result.get_value, result.ntuples
        lead = pgread.row(result, 0, range(leading)) if leading and count else ()
        if count and get(0, head - 1) is None:
            count = 0
        version = get(0, head + 5).decode() if versioned and count else None
        books = []
        for number in range(min(count, size)):
            part = get(number, head)
            if part is None:  # stale or missing: book_dicts computes it
                books.append((pgread.integer(get(number, head - 1)), None))
            else:
                books.append((None, part + _counts_json(get(number, head + 2), get(number, head + 3),
                                                        get(number, head + 4)) + get(number, head + 1)))
        last = pgread.row(result, size - 1, range(head - 2, head)) if count > size else None
    finally:
        result.clear()
    return lead, version, books, last


def pg_versioned_item(connection, sql: str, params) -> tuple:
    """_READ_ONE_VERSIONED's statement (or the same with its id written in) on PostgreSQL, read through libpq: (the
    data version, the document's bytes, or None when it is stale or missing)."""
    result = pgread.execute(connection, sql, params)
    try:
        get = result.get_value
        version, part = get(0, 0).decode(), get(0, 2)
        if part is None:
            return version, None
        return version, part + _counts_json(get(0, 4), get(0, 5), get(0, 6)) + get(0, 3)
    finally:
        result.clear()


def page_sql(ids_sql: str, order_by: str, dialect: str, versioned: bool = False) -> str:
    """One statement for a page of books: ids_sql's rows (as p: its key columns, then the book's id, named id),
    each followed by its book's current document and availability (head, tail, available, holds, total; NULLs
    when the document is stale or missing), in the order order_by (of p's columns). page_documents() makes
    the page's items from its rows (pg_page(), entries()). ids_sql reads only books that are in the catalog (not
    archived). dialect: the database's name. Executed with results(dialect)'s options. versioned: each row ends
    with the data version of the statement's snapshot (split_version takes it off)."""
    version = f", {VERSION[dialect]}" if versioned else ""
    counts, joined = _counts("p.id", dialect)
    return (f"SELECT p.*, d.head, d.tail, {counts}{version} FROM ({ids_sql}) p "
            f"LEFT JOIN book_document d ON d.book_id = p.id AND d.head IS NOT NULL{joined} ORDER BY {order_by}")


def entries(rows, size: int) -> tuple:
    """(the first size of page_sql's rows as page_documents() takes them, the keys and id of row size, the page's
    last, when a row follows it, else None), for rows a cursor read: as pg_page() gives them."""
    books = [(row[-6], None) if row[-5] is None else (None, _fragment(*row[-5:])) for row in rows[:size]]
    return books, (tuple(rows[size - 1][:2]) if len(rows) > size else None)


def page_documents(books, reader) -> list:
    """The items of a page whose books are (None, the document: its bytes or an orjson.Fragment) or (the book's id,
    None) when its document is stale or missing: those are computed by book_dicts (on reader, in the same snapshot),
    and left out when no longer in the catalog."""
    missing = [book_id for book_id, document in books if document is None]
    if not missing:
        return [document if type(document) is orjson.Fragment else orjson.Fragment(document)
                for _book_id, document in books]
    from .catalog import book_dicts

    computed = {item["id"]: item for item in book_dicts(missing, reader=reader)}
    return [computed[book_id] if document is None else
            document if type(document) is orjson.Fragment else orjson.Fragment(document)
            for book_id, document in books if document is not None or book_id in computed]


def _ints(values) -> str:
    return ", ".join(str(int(value)) for value in sorted(values))


def refresh(connection: Connection, limit: int = BATCH, books=(), authors=(), subjects=()) -> int:
    """Write up to limit stale documents in connection's transaction (the caller commits); returns how many stale
    ones it took (fewer than limit: none are left, but for those other transactions are writing). books, authors,
    subjects: only those of these books, of these authors' books and of these subjects' books (a committing
    session's own changes), when any is given."""
    from .catalog import book_dicts

    postgres = connection.dialect.name == "postgresql"
    among = [f"book_id IN ({_ints(books)})"] if books else []
    among += [f"book_id IN (SELECT book_id FROM book_author WHERE author_id IN ({_ints(authors)}))"] if authors else []
    among += [f"book_id IN (SELECT book_id FROM book_subject WHERE subject_id IN ({_ints(subjects)}))"] \
        if subjects else []
    ids = connection.exec_driver_sql(
        "SELECT book_id FROM book_document WHERE head IS NULL"
        + (f" AND ({' OR '.join(among)})" if among else "")
        + f" ORDER BY book_id LIMIT {int(limit)}" + (" FOR UPDATE SKIP LOCKED" if postgres else "")).scalars().all()
    if not ids:
        return 0
    mark = "%s" if postgres else "?"
    written = {}
    for item in book_dicts(ids, reader=(connection.connection.dbapi_connection, connection.dialect)):
        written[item["id"]] = parts(item)
    if written:
        connection.exec_driver_sql(f"UPDATE book_document SET head = {mark}, tail = {mark} WHERE book_id = {mark}",
                                   [(head, tail, book_id) for book_id, (head, tail) in written.items()])
    gone = [book_id for book_id in ids if book_id not in written]  # archived: nothing to send
    if gone:
        connection.exec_driver_sql(f"DELETE FROM book_document WHERE book_id = {mark} AND head IS NULL",
                                   [(book_id,) for book_id in gone])
    return len(ids)


def stale_count(connection: Connection) -> int:
    return connection.exec_driver_sql("SELECT count(*) FROM book_document WHERE head IS NULL").scalar_one()


def mark_stale_after(connection: Connection, after_id: int) -> None:
    """The books above after_id stale (the bulk importer's, whose batches skipped the triggers)."""
    connection.exec_driver_sql(
        "INSERT INTO book_document (book_id) SELECT id FROM book WHERE id > %s AND archived_at IS NULL "
        "ON CONFLICT (book_id) DO UPDATE SET head = NULL, tail = NULL"
        % int(after_id))


def mark_missing(connection: Connection) -> None:
    """Every catalog book without a document stale (after an import that stopped before its end, say)."""
    connection.exec_driver_sql(
        "INSERT INTO book_document (book_id) SELECT id FROM book WHERE archived_at IS NULL AND NOT EXISTS "
        "(SELECT 1 FROM book_document d WHERE d.book_id = book.id) ORDER BY id")


def catch_up(stopping=lambda: False, seconds: float | None = ROUND_SECONDS) -> int:
    """Write stale documents a batch per transaction until none are left, stopping() says so or seconds have
    passed (None: no limit); returns how many were taken. Reads only, when none are stale."""
    import time

    from ..database import reading

    with reading():
        idle = db.session.connection().exec_driver_sql(
            "SELECT 1 FROM book_document WHERE head IS NULL LIMIT 1").first() is None
        db.session.rollback()
    if idle:
        return 0
    started, done = time.monotonic(), 0
    while not stopping() and (seconds is None or time.monotonic() - started < seconds):
        taken = refresh(db.session.connection())
        db.session.commit()
        done += taken
        if taken < BATCH:
            break
    return done


@event.listens_for(Session, "after_flush")
def _note_catalog_change(session, _context):
    """The books, authors and subjects this flush wrote (the session's new, dirty and deleted objects are still
    those of the flush here), whose documents the triggers made stale."""
    touched = None
    for instance in chain(session.new, session.dirty, session.deleted):
        if not isinstance(instance, _CATALOG):
            continue
        touched = touched or session.info.setdefault(_FLAG, {"books": set(), "authors": set(), "subjects": set()})
        if isinstance(instance, Book):
            touched["books"].add(instance.id)
        elif isinstance(instance, (BookAuthor, BookIsbn)):
            touched["books"].add(instance.book_id)
        else:
            touched["authors" if isinstance(instance, Author) else "subjects"].add(instance.id)


@event.listens_for(Session, "before_commit")
def _write_before_commit(session):
    """The documents this transaction made stale through the session's objects, written in it (up to COMMIT_LIMIT;
    others stale, such as an import's, are the worker's). SQLAlchemy flushes after before_commit: the last changes
    are flushed here first, so their triggers have run."""
    if session.in_nested_transaction():
        return
    session.flush()
    touched = {name: {i for i in ids if i is not None} for name, ids in session.info.pop(_FLAG, {}).items()}
    if any(touched.values()):
        refresh(session.connection(), COMMIT_LIMIT, **touched)


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop(_FLAG, None)
