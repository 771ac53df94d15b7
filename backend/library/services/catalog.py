"""Catalog rules: writing books with their authors and subjects, and the list queries."""

import base64
import json
import math
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

import orjson
from sqlalchemy import (ARRAY, Float, Integer, Select, Text, and_, bindparam, cast, exists, func, literal,
                        literal_column, or_, select, text)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..cache import FOLDED, VERSION_STATEMENT
from ..errors import Conflict, Problem
from ..extensions import db
from ..models import Author, Book, BookAuthor, BookIsbn, Subject, book_subjects
from . import covers, documents
from . import isbn as isbn_service
from . import search
from .languages import language_name
from .names import sort_name as derive_sort_name

COUNT_EXACT_MAX = 2_000  # above, total is estimated from the first COUNT_EXACT_MAX + 1 matches
RANK_EXACT_MAX = COUNT_EXACT_MAX  # above, relevance is tiered (where the count is no longer exact)
COUNT_WINDOW, COUNT_SAMPLE_MIN = 8_000, 100  # PostgreSQL: a search's estimate from its first rows (_count)
FACET_GROUPS_MAX = 1_000
RELEVANCE_TIERED = "relevance-tiered"
ID_LIMIT = 2**63


def like_pattern(term: str) -> str:
    """A case-insensitive LIKE pattern matching term anywhere, with LIKE wildcards escaped."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- authors and subjects -------------------------------------------------------------------------

def find_author_by_name(name: str) -> Author | None:
    # lower() on both sides, as the unique index does: SQLite's lower() folds only ASCII letters.
    return db.session.scalars(select(Author).where(func.lower(Author.name) == func.lower(literal(name)))).first()


def claim_names(kind: str, names) -> None:
    """PostgreSQL: before creating authors or subjects with these names, wait for any other transaction creating
    one of them (a transaction-scoped advisory lock per lower-cased name, taken in sorted order in one statement, so
    two writers never wait on each other in a cycle), or creating names of this kind in bulk (an import's batch,
    claim_all_names: the kind's own lock, held here shared). The caller then looks the names up again: a name
    another writer just committed is found and reused, instead of both inserting it and one failing on the unique
    index. SQLite needs none of it: its write transaction is exclusive (BEGIN IMMEDIATE)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({f"{kind}:{name.lower()}" for name in names})
    if keys:
        db.session.execute(text("SELECT pg_advisory_xact_lock_shared(hashtextextended(:kind, 0))"), {"kind": kind})
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) "
                                "FROM unnest(CAST(:keys AS text[])) AS key"), {"keys": keys}).all()


def claim_all_names(kind: str) -> None:
    """PostgreSQL: claim_names for every name of this kind at once, with one lock however many names (an import's
    batch creates thousands): waits for the transactions creating names of this kind, and holds new ones off until
    this transaction ends."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:kind, 0))"), {"kind": kind})


def _resolve_authors(refs: list[dict]) -> list[Author]:
    """Authors by id (must exist) or by name (found case-insensitively, else created); duplicates dropped."""
    named = {ref["name"].lower(): ref["name"] for ref in refs if "id" not in ref}
    found = {key: find_author_by_name(name) for key, name in named.items()}
    if missing := [name for key, name in named.items() if found[key] is None]:
        claim_names("author", missing)
        found.update({name.lower(): find_author_by_name(name) for name in missing})
    authors, errors = [], {}
    for index, ref in enumerate(refs):
        if "id" in ref:
            author = db.session.get(Author, ref["id"])
            if author is None:
                errors[f"authors.{index}.id"] = [f"No author with id {ref['id']}."]
                continue
        else:
            author = found[ref["name"].lower()]
            if author is None:
                author = found[ref["name"].lower()] = Author(name=ref["name"], sort_name=derive_sort_name(ref["name"]))
                db.session.add(author)
        if author not in authors:
            authors.append(author)
    if errors:
        raise Problem(422, "The request has invalid fields; see errors.", errors)
    return authors


def _subjects_named(names: list[str]) -> dict[str, Subject]:
    """lower(name) -> Subject, for the names that exist."""
    return {s.name.lower(): s for s in db.session.scalars(select(Subject).where(func.lower(Subject.name).in_(
        [func.lower(literal(name)) for name in names])))} if names else {}


def _resolve_subjects(names: list[str]) -> list[Subject]:
    """Subjects by name (found case-insensitively, else created); duplicates dropped."""
    subjects, seen = [], set()
    existing = _subjects_named(names)
    missing = [name for name in names if name.lower() not in existing]
    if missing:
        claim_names("subject", missing)
        existing = _subjects_named(names)
    for name in names:
        key = name.lower()
        if key in seen:
            continue
        seen.add(key)
        subject = existing.get(key)
        if subject is None:
            subject = Subject(name=name)
            db.session.add(subject)
        subjects.append(subject)
    return subjects


# --- books ----------------------------------------------------------------------------------------

def _isbn_conflict(isbn: str, book_id: int | None = None) -> Conflict | None:
    query = select(Book.id).where(Book.isbn == isbn)
    if book_id is not None:
        query = query.where(Book.id != book_id)
    other = db.session.scalar(query)
    if other is None:
        return None
    message = f"A book with ISBN {isbn} already exists (id {other})."
    return Conflict(message, {"isbn": [message]})


def _apply(book: Book, data: dict) -> None:
    authors = data.pop("authors", None)
    subjects = data.pop("subjects", None)
    other_isbns = data.pop("other_isbns", None)
    for key, value in data.items():
        setattr(book, key, value)
    if authors is not None:
        resolved = _resolve_authors(authors)
        book.author_links = [BookAuthor(author=a, position=i) for i, a in enumerate(resolved)]
    if subjects is not None:
        book.subjects = _resolve_subjects(subjects)
    if other_isbns is not None or "isbn" in data:
        set_other_isbns(book, [link.isbn for link in book.isbn_links] if other_isbns is None else other_isbns)


def set_other_isbns(book: Book, isbns: list[str]) -> None:
    """Make the book's other ISBNs these (in order, without repeats or its own ISBN); links that stay are kept."""
    wanted = [isbn for isbn in dict.fromkeys(isbns) if isbn != book.isbn]
    kept = {link.isbn: link for link in book.isbn_links}
    book.isbn_links = [kept.get(isbn) or BookIsbn(isbn=isbn) for isbn in wanted]


def isbn_condition(isbn13: str):
    """Books with this ISBN-13, as their own ISBN or one of their other ISBNs."""
    return or_(Book.isbn == isbn13, Book.id.in_(select(BookIsbn.book_id).where(BookIsbn.isbn == isbn13)))


def _save_book(book: Book, data: dict) -> Book:
    """Apply data and commit; a duplicate ISBN is a 409 naming the existing book, also when a
    concurrent writer wins the race between our check and our commit (the unique index decides)."""
    data = dict(data)
    if data.get("isbn") and (conflict := _isbn_conflict(data["isbn"], book.id)):
        raise conflict
    with db.session.no_autoflush:
        _apply(book, data)
    db.session.add(book)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if data.get("isbn") and (conflict := _isbn_conflict(data["isbn"], book.id)):
            raise conflict from None
        raise
    return book


def create_book(data: dict) -> Book:
    return _save_book(Book(), data)


def update_book(book: Book, data: dict) -> Book:
    """Apply data to a book loaded with locked(), and commit."""
    return _save_book(book, data)


def locked(query: Select) -> Select:
    """A book query that locks its book for this transaction and reloads it: concurrent saves of one book then
    follow each other, each replacing the subjects, authors and ISBNs the previous one left, instead of both
    deleting the same rows (PostgreSQL: FOR NO KEY UPDATE, the lock an UPDATE of the row takes anyway, so a
    checkout's reference to the book does not wait; SQLite's write transaction is exclusive already)."""
    return query.with_for_update(of=Book, key_share=True).execution_options(populate_existing=True)


def book_query() -> Select:
    """Books with their authors and subjects loaded in a constant number of queries."""
    return select(Book).options(
        selectinload(Book.author_links).joinedload(BookAuthor.author),
        selectinload(Book.subjects),
    )


@lru_cache(maxsize=4)
def _book_dict_statement(archived: bool, dialect):
    """The SELECT of book_dicts, built and compiled once per dialect, as _compiled gives it, to run on the
    DB-API connection: SQLAlchemy's execution (compile-cache lookup, parameter processing, result objects) cost
    more than the queries themselves. The ids are one parameter "ids": a JSON array read with json_each on SQLite,
    an integer array on PostgreSQL. archived: the archived books among the ids (staff's archive list) instead of
    the catalog's. The books' authors (in order) and subjects come in the same SELECT as JSON arrays, read by
    orjson: one statement (on PostgreSQL one round trip) for a page of books."""
    from sqlalchemy.dialects.postgresql import aggregate_order_by

    from ..models import Copy, Hold

    book, copy, hold, link, author, subject = (Book.__table__, Copy.__table__, Hold.__table__, BookAuthor.__table__,
                                               Author.__table__, Subject.__table__)
    if dialect.name == "postgresql":
        ids = select(func.unnest(bindparam("ids", type_=ARRAY(Integer))))
    else:
        ids = select(literal_column("value")).select_from(func.json_each(bindparam("ids")))

    def counted(table, *conditions):
        return (select(func.count()).select_from(table).where(table.c.book_id == book.c.id, *conditions)
                .correlate(book).scalar_subquery())

    other = BookIsbn.__table__
    joined = func.string_agg if dialect.name == "postgresql" else func.group_concat  # a literal separator, not a
    other_isbns = (select(joined(other.c.isbn, literal_column("' '"))).where(other.c.book_id == book.c.id)  # bound one
                   .correlate(book).scalar_subquery())
    books = select(book.c.id, book.c.title, book.c.subtitle, book.c.isbn, book.c.publisher, book.c.published_year,
                   book.c.language, book.c.description, book.c.cover_url, book.c.created_at, book.c.updated_at,
                   # The statuses as literals: SQLite ran this 10 times slower with them as bound parameters.
                   counted(copy, copy.c.status == literal_column("'available'")),
                   counted(copy, copy.c.status != literal_column("'withdrawn'")),
                   counted(hold, hold.c.status == literal_column("'waiting'")), book.c.cover_id, other_isbns, book.c.edition,
                   book.c.call_number, book.c.archived_at).where(
        book.c.id.in_(ids), book.c.archived_at.is_not(None) if archived else book.c.archived_at.is_(None))
    if dialect.name == "postgresql":
        # As JSON text, read by orjson here: psycopg's own loader (the standard library's json) cost more.
        authors_json = (select(cast(func.json_agg(aggregate_order_by(func.json_build_object(
            "id", author.c.id, "name", author.c.name, "sort_name", author.c.sort_name), link.c.position)), Text))
            .select_from(link.join(author, author.c.id == link.c.author_id))
            .where(link.c.book_id == book.c.id).correlate(book).scalar_subquery())
        subjects_json = (select(cast(func.json_agg(aggregate_order_by(subject.c.name, subject.c.name)), Text))
                         .select_from(book_subjects.join(subject, subject.c.id == book_subjects.c.subject_id))
                         .where(book_subjects.c.book_id == book.c.id).correlate(book).scalar_subquery())
    else:
        # The same arrays from SQLite's JSON functions: a FROM subquery's ORDER BY gives json_group_array its
        # order (SQLite before 3.44 has no ORDER BY inside an aggregate), and no rows give [].
        authors_json = literal_column(
            "(SELECT json_group_array(json_object('id', a.id, 'name', a.name, 'sort_name', a.sort_name)) FROM "
            "(SELECT author.id AS id, author.name AS name, author.sort_name AS sort_name FROM book_author "
            "JOIN author ON author.id = book_author.author_id WHERE book_author.book_id = book.id "
            "ORDER BY book_author.position) AS a)")
        subjects_json = literal_column(
            "(SELECT json_group_array(s.name) FROM (SELECT subject.name AS name FROM book_subject "
            "JOIN subject ON subject.id = book_subject.subject_id WHERE book_subject.book_id = book.id "
            "ORDER BY subject.name) AS s)")
    return _compiled(books.add_columns(authors_json, subjects_json), dialect)


def _compiled(statement, dialect):
    """(SQL, parameters, ids positions) of a statement whose only parameter without a value is "ids": the
    parameters as a tuple with the places of ids (positional styles: SQLite) or as a dict (named: psycopg)."""
    compiled = statement.compile(dialect=dialect)
    values = compiled.construct_params({"ids": None})
    if compiled.positiontup is not None:
        names = compiled.positiontup
        return (str(compiled), tuple(values[name] for name in names),
                tuple(i for i, name in enumerate(names) if name == "ids"))
    return str(compiled), values, None


def _execute(dbapi_connection, statement, ids):
    sql, values, positions = statement
    if positions is not None:
        values, ids = list(values), json.dumps(ids)
        for position in positions:
            values[position] = ids
    else:
        values = {**values, "ids": ids}
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql, values)
        return cursor.fetchall()
    finally:
        cursor.close()


def _utc_iso(value) -> str:
    """A stored timestamp as UTCDateTime reads it, in ISO 8601: SQLite's text read as naive UTC. The text SQLAlchemy
    writes ("2026-11-30 20:29:21.346815", microseconds always) is rewritten as is, without parsing it."""
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " " and value[19] == "." and not value.endswith("000000"):
            return f"{value[:10]}T{value[11:]}+00:00"
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def book_dicts(book_ids: list[int], archived: bool = False, reader=None) -> list[dict]:
    """The books with these ids, in this order, as BookOut represents them (availability included), read in one
    query of plain rows run on the session's DB-API connection: a list page is read and
    serialised without building ORM objects or running marshmallow, which cost more than the queries themselves.
    tests/test_circulation.py checks that each item equals the book as the PATCH response (BookOut) shows it. Ids
    that name no book, and archived books (services/retire.py), are left out; with archived=True, only archived
    books are read, with their archived_at. reader: (DB-API connection, dialect) to read on instead of the
    session's (library/fastpath.py: the response cache's own connection)."""
    if not book_ids:
        return []
    if reader is None:
        connection = db.session.connection()
        reader = connection.connection.dbapi_connection, connection.dialect
    dbapi_connection, dialect = reader
    books = {}
    for row in _execute(dbapi_connection, _book_dict_statement(archived, dialect), sorted(set(book_ids))):
        book_id, isbn = row[0], row[3]
        books[book_id] = {  # authors and subjects: JSON arrays in the row (PostgreSQL: null for none)
            "id": book_id, "title": row[1], "subtitle": row[2], "authors": orjson.loads(row[19]) if row[19] else [],
            "isbn": isbn,
            "isbn_formatted": isbn_service.formatted(isbn), "isbn10": isbn_service.to_isbn10(isbn),
            "publisher": row[4], "published_year": row[5], "language": row[6], "description": row[7],
            "subjects": orjson.loads(row[20]) if row[20] else [], "cover_url": row[8], "cover": covers.urls(row[14]),
            "other_isbns": sorted(row[15].split()) if row[15] else [], "edition": row[16], "call_number": row[17],
            "availability": {"available": row[11], "total": row[12], "holds": row[13]},
            "created_at": _utc_iso(row[9]), "updated_at": _utc_iso(row[10]),
        }
        if archived:
            books[book_id]["archived_at"] = _utc_iso(row[18])
    return [books[book_id] for book_id in book_ids if book_id in books]


def _first_author_sort_name():
    return (
        select(Author.sort_name)
        .join(BookAuthor, BookAuthor.author_id == Author.id)
        .where(BookAuthor.book_id == Book.id, BookAuthor.position == 0)
        .correlate(Book)
        .scalar_subquery()
    )


def _sort_keys(sort: str):
    """The ORDER BY keys for a sort, all in one direction and ending with the id, so that a page can
    continue after a row by comparing row values (keyset pagination): (keys, descending)."""
    if sort == "author":
        key = _first_author_sort_name()
        return [key.is_(None), func.coalesce(func.lower(key), ""), Book.id], False
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name == "title":
        return [func.lower(Book.title), Book.id], descending
    if name == "published_year":  # books without a year go last either way
        return [func.coalesce(Book.published_year, 0 if descending else 9999), Book.id], descending
    return [Book.created_at, Book.id], descending


def book_filters(args: dict) -> list:
    conditions = []
    if args.get("isbn"):
        conditions.append(isbn_condition(args["isbn"]))
    if args.get("author"):
        conditions.append(exists().where(BookAuthor.book_id == Book.id, BookAuthor.author_id == args["author"]))
    if args.get("subject"):
        conditions.append(
            exists()
            .where(book_subjects.c.book_id == Book.id, book_subjects.c.subject_id == Subject.id)
            .where(func.lower(Subject.name) == args["subject"].strip().lower())
        )
    if args.get("language"):
        conditions.append(Book.language == args["language"])
    if args.get("year_from") is not None:
        conditions.append(Book.published_year >= args["year_from"])
    if args.get("year_to") is not None:
        conditions.append(Book.published_year <= args["year_to"])
    if args.get("available") is not None:
        from .circulation import available_now_condition

        condition = available_now_condition()
        conditions.append(condition if args["available"] else ~condition)
    return conditions


@dataclass
class _Plan:
    """What a list request selects: filters on the book rows, and the full-text match."""

    conditions: list
    parsed: search.Parsed
    match: search.Match | None = None
    whole_catalog: bool = False  # no q and no filter: every book that is not archived

    def apply(self, query: Select) -> Select:
        if self.match is not None:
            ids = self.match.ids.subquery("matched")
            query = query.join(ids, ids.c.id == Book.id)
        return query.where(*self.conditions)


def _plan(args: dict, extra_conditions=()) -> _Plan:
    plan = _Plan([*book_filters(args), *extra_conditions], search.parse(args.get("q")))
    isbn13 = _isbn_in(args.get("q"))
    if isbn13:
        plan.conditions.append(isbn_condition(isbn13))
    elif plan.parsed:
        plan.match = search.matches(plan.parsed)
    if plan.match is None:  # archived books are out of the catalog; the search index never holds them
        plan.whole_catalog = not plan.conditions
        plan.conditions.append(Book.archived_at.is_(None))
    return plan


def _isbn_in(q: str | None) -> str | None:
    """The ISBN-13 a q is, in any form it can be typed (then the list finds that book), or None."""
    q = (q or "").strip()
    try:
        return isbn_service.normalize(q) if q and not q.isalpha() else None
    except isbn_service.InvalidISBN:
        return None


def _extrapolated(found: int, reach: int, low: int, high: int) -> int:
    """How many match in the id range low..high, when found match among the ids up to reach."""
    return round(found * (high - low + 1) / (reach - low + 1))


def matching_ids(args: dict) -> Select:
    """The ids of the books a list with these filters (and q) finds, unordered: what an export walks."""
    return _plan(args).apply(select(Book.id))


_BY_VERSION = weakref.WeakKeyDictionary()  # engine -> (data version, {key: value})


def by_version(data_version, key, compute, engine=None):
    """compute(), kept per database for as long as its data version is unchanged (the response cache's version,
    library/cache.py: it changes with every commit, from any process), for figures that depend on no request
    parameter: the range of book ids, the size of the whole catalog. data_version None (unknown): computed.
    engine: the database's (default: the app's, which needs an app context)."""
    if data_version is None:
        return compute()
    engine = db.engine if engine is None else engine
    held = _BY_VERSION.get(engine)
    if held is None or held[0] != data_version:
        held = _BY_VERSION[engine] = (data_version, {})
    if key not in held[1]:
        held[1][key] = compute()
    return held[1][key]


def _count(plan: _Plan, data_version=None) -> tuple[int, bool]:
    """Exact up to COUNT_EXACT_MAX, so counting never reads more than COUNT_EXACT_MAX + 1 rows (for a
    search without filters, from the search index alone); above, an estimate from how far into the id
    range the first of those rows reach. SQLite takes them in id order (its search index and tables
    are in rowid order anyway); PostgreSQL in the order it finds them, because ORDER BY id would make it
    walk the primary key and test row after row, and a bitmap scan's physical order is close to id
    order for a catalog that grows by appending."""
    if plan.match is not None and not plan.conditions and (sample := plan.match.sample(COUNT_WINDOW, 2 * COUNT_EXACT_MAX)):
        # PostgreSQL: a word in more than about 1 book in 80 is estimated from a window of the index, since
        # even the first COUNT_EXACT_MAX + 1 matches cost a bitmap scan of all of them and a heap visit each
        # (a prefix such as garden:* merges the posting lists of every word it starts).
        found, reach = sample
        if found >= COUNT_SAMPLE_MIN:
            low, high = _id_range(data_version)
            return max(COUNT_EXACT_MAX + 1, _extrapolated(found, reach, low, high)), True
    if plan.whole_catalog:  # one figure per data version, whatever the page, sort or cursor
        return by_version(data_version, "catalog_count", lambda: _sample_count(plan, data_version))
    return _sample_count(plan, data_version)


def _sample_count(plan: _Plan, data_version) -> tuple[int, bool]:
    sample = _sample_ids(plan).subquery()
    found, last_id = db.session.connection().execute(select(func.count(), func.max(sample.c.id))).one()
    if found <= COUNT_EXACT_MAX:
        return found, False
    low, high = _id_range(data_version)
    return max(found, _extrapolated(found, last_id, low, high)), True


def _sample_ids(plan: _Plan) -> Select:
    """The ids of the first COUNT_EXACT_MAX + 1 matches (in id order on SQLite, see _count): all of them
    when the total is exact, else the sample that estimates it and the facets."""
    if plan.match is not None and not plan.conditions:
        ids = plan.match.ids.subquery("matched")
        query, id_column = select(ids.c.id), ids.c.id
    else:
        query, id_column = plan.apply(select(Book.id)), Book.id
    if db.engine.dialect.name == "sqlite" or plan.whole_catalog:
        # The whole catalog in id order on PostgreSQL too: the primary key's first rows all match, and its heap
        # order is not id order once books have been edited (an update writes the row anew at the end), which
        # made the estimate from how far the sample reaches a third of the catalog.
        query = query.order_by(id_column)
    return query.limit(COUNT_EXACT_MAX + 1)


def _id_range(data_version=None) -> tuple[int, int]:
    # Two queries: SQLite answers min() or max() from the index only when each is alone.
    return by_version(data_version, "id_range", lambda: (db.session.scalar(select(func.min(Book.id))),
                                                         db.session.scalar(select(func.max(Book.id)))))


def _encode_cursor(sort: str, values) -> str:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = orjson.dumps({"s": sort, "k": values})  # compact; non-ASCII as UTF-8, as _load_cursor reads it
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _load_cursor(cursor: str) -> dict | None:
    """The cursor's {"s": sort, "k": [values]}, or None when it is not one of ours."""
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:  # also binascii.Error and orjson's JSONDecodeError (invalid UTF-8 or JSON, a lone surrogate)
        return None
    return data if isinstance(data, dict) else None


def _key_types(keys) -> tuple:
    """The Python type of each key's SQL type, as _decode_cursor checks a cursor's values against them."""
    return tuple(getattr(key.type, "impl", key.type).python_type for key in keys)


def _decode_cursor(cursor: str, sort: str, types: tuple) -> list:
    """The values of a cursor of this sort, each checked against its key's Python type (_key_types; the 422
    otherwise): plain Python values, which the caller binds as it needs."""
    def invalid():
        return Problem(422, "The request has invalid fields; see errors.",
                       {"cursor": ["Not a cursor from this list; start again without cursor."]})

    data = _load_cursor(cursor)
    if data is None or data.get("s") != sort or not isinstance(data.get("k"), list) \
            or len(data["k"]) != len(types):
        raise invalid()
    values = []
    for python_type, value in zip(types, data["k"]):
        try:
            if python_type is bool:
                ok = isinstance(value, bool)
            elif python_type is int:
                ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) <= ID_LIMIT
            elif python_type is float:
                ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            elif python_type is datetime:
                value = datetime.fromisoformat(value) if isinstance(value, str) else None
                ok = value is not None and value.tzinfo is not None
            else:
                ok = isinstance(value, str) and len(value) <= 1000 and not search.has_bad_chars(value)
        except (ValueError, NotImplementedError):
            ok = False
        if not ok:
            raise invalid()
        values.append(value)
    return values


def _after(keys, values, descending):
    """Rows after values in the order of keys: k1 >= v1 AND (k1 > v1 OR (k2 >= v2 AND (...))). Spelled
    out rather than as a row-value comparison, which SQLite cannot answer from an expression index,
    so that a page at any depth is one index range scan on both databases."""
    def beyond(key, value):
        return key < value if descending else key > value

    def at_or_beyond(key, value):
        return key <= value if descending else key >= value

    condition = beyond(keys[-1], values[-1])
    for key, value in reversed(list(zip(keys[:-1], values[:-1]))):
        condition = and_(at_or_beyond(key, value), or_(beyond(key, value), condition))
    return condition


def book_page(args: dict, extra_conditions=(), data_version=None) -> dict:
    """One page of books: items, total, the next cursor, facets and suggestions as requested. data_version: the
    database's version now (library/cache.py), when known, so figures that depend on no parameter are read once
    per write (by_version)."""
    plan = _plan(args, extra_conditions)
    total, estimated = _count(plan, data_version)
    cursor, per_page = args.get("cursor"), args["per_page"]
    sort = args.get("sort") or ("relevance" if plan.match is not None else "title")
    if sort == "relevance" and plan.match is None:
        sort = "title"
    if sort == "relevance":
        # Scoring every match costs a few microseconds a row: above RANK_EXACT_MAX matches the order is
        # tiered instead (search.Match.ranked). A cursor keeps the order its walk began with.
        tiered = (_load_cursor(cursor) or {}).get("s") == RELEVANCE_TIERED if cursor else total > RANK_EXACT_MAX
        sort = RELEVANCE_TIERED if tiered else "relevance"
        ranked = plan.match.ranked(tiered)
        keys, descending = [ranked.c.score, ranked.c.id], False
    else:
        keys, descending = _sort_keys(sort)
    after_values = _decode_cursor(cursor, sort, _key_types(keys)) if cursor else None
    after = _after(keys, [literal(value, type_=key.type) for key, value in zip(keys, after_values)],
                   descending) if cursor else None
    offset = 0 if cursor else (args["page"] - 1) * per_page
    streamed = None
    if sort == RELEVANCE_TIERED and not plan.conditions and not offset:
        streamed = plan.match.tiered_page(
            (after_values[0], after_values[1]) if cursor else None, per_page + 1)
    # rows: the sort key values of each book, ending with its id (what a cursor continues after)
    if streamed is not None:
        rows = streamed
    elif sort.startswith("relevance") and not plan.conditions:
        # Rank within the search index alone, then fetch just this page's books.
        inner = select(*keys).where(*([after] if after is not None else []))
        page = inner.order_by(*keys).limit(per_page + 1).offset(offset).subquery("page")
        rows = db.session.connection().execute(select(page.c.score, page.c.id).order_by(page.c.score, page.c.id)).all()
    else:
        if sort.startswith("relevance"):
            query = select(*keys).select_from(Book).join(ranked, ranked.c.id == Book.id).where(*plan.conditions)
        else:
            query = plan.apply(select(*keys))
        if after is not None:
            query = query.where(after)
        query = query.order_by(*(k.desc() if descending else k for k in keys)).limit(per_page + 1).offset(offset)
        rows = db.session.connection().execute(query).all()  # Core: plain rows, without the ORM's execution
    books = book_dicts([row[-1] for row in rows[:per_page]])
    next_cursor = _encode_cursor(sort, rows[per_page - 1]) if len(rows) > per_page else None

    suggestions = []
    if total == 0 and plan.parsed and not cursor:
        def has_results(q):
            other = _plan({**args, "q": q}, extra_conditions)
            return db.session.scalar(other.apply(select(Book.id)).limit(1)) is not None

        suggestions = search.suggest(args["q"], plan.parsed, has_results)
    return {
        "items": books, "total": total, "total_is_estimate": estimated,
        "page": None if cursor else args["page"], "per_page": per_page, "next_cursor": next_cursor,
        "facets": _facets(args.get("facets") or (), plan, args["facet_limit"], total, estimated),
        "suggestions": suggestions,
    }


WHOLE_CATALOG_FILTERS = ("q", "isbn", "author", "subject", "language", "year_from", "year_to", "available", "facets")


def title_page(args: dict, data_version, read, engine=None, within=None) -> tuple | None:
    """book_page for the most common list of all, the whole catalog by title (no q, no filter, no facet; a page
    number or a title cursor), with its page of ids and books read on a DB-API connection by one statement:
    read(work) runs work(DB-API connection, dialect) on the response cache's own connection (library/fastpath.py;
    books whose documents are stale are computed by a later statement). (the page, the data version it was read
    at), or None when the request is not that list, or its cursor not a title cursor of ours: book_page answers it
    (and its errors) then. data_version FOLDED: not read yet; the page's statement reads it in its own snapshot
    (one statement fewer). engine and within: for a caller without an app context (library/fastpath.py), the
    database's engine, and within(work), which runs work in an app context: only the catalog's size needs one,
    when it is not known for this data version yet.
    tests/test_fastpath.py holds the two equal."""
    if args.get("sort") not in (None, "title") or any(args.get(name) not in (None, "", ()) for name in WHOLE_CATALOG_FILTERS):
        return None
    cursor, per_page = args.get("cursor"), args["per_page"]
    after = None
    if cursor:
        try:
            after = _decode_cursor(cursor, "title", _title_types())
        except Problem:
            return None  # book_page's 422
    offset = 0 if cursor else (args["page"] - 1) * per_page
    folded = data_version is FOLDED

    def work(connection, dialect):
        # One statement, one round trip: the page's keys and ids (one more, for the next cursor) with each book's
        # document and availability (documents.page_sql). The limit and offset are written into the SQL: with
        # them as parameters, PostgreSQL's generic plan expected a thousand rows and hashed all the documents.
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        keyset = f" AND (lower(title) > {mark} OR id > {mark}) AND lower(title) >= {mark}" if after else ""
        sql = documents.page_sql(f"SELECT lower(title) AS k, id FROM book WHERE archived_at IS NULL{keyset} "
                                 f"ORDER BY lower(title), id LIMIT {per_page + 1:d} OFFSET {offset:d}", "p.k, p.id",
                                 dialect.name, versioned=folded)
        params = (after[0], after[1], after[0]) if after else ()
        if dialect.name == "postgresql":  # through libpq: only the values the page uses are read
            _lead, version, books, last = documents.pg_page(connection, sql, params, 2, per_page, folded)
            return (version if folded else data_version), last, documents.page_documents(books, (connection, dialect))
        cursor_ = connection.cursor()
        try:
            cursor_.execute(sql, params, **documents.results(dialect))
            rows = cursor_.fetchall()
        finally:
            cursor_.close()
        version, rows = documents.split_version(rows) if folded else (data_version, rows)
        books, last = documents.entries(rows, per_page)
        return version, last, documents.page_documents(books, (connection, dialect))

    found = read(work)
    if found is None:
        return None
    version, last, books = found
    # Counted after the page when the page read the version: in a snapshot as new as the page's or newer, kept
    # under the page's version, which no reader sees again once a commit has changed it.
    def count():
        return _sample_count(_plan(args), version)

    total, estimated = by_version(version, "catalog_count", count if within is None else lambda: within(count),
                                  engine)
    return {
        "items": books, "total": total, "total_is_estimate": estimated,
        "page": None if cursor else args["page"], "per_page": per_page,
        "next_cursor": _encode_cursor("title", last) if last is not None else None,
        "facets": {}, "suggestions": [],
    }, version


SEARCH_FILTERS = ("isbn", "author", "subject", "language", "year_from", "year_to", "available")


@lru_cache(maxsize=1)
def _title_types() -> tuple:
    """The Python types of a title cursor's keys, as _decode_cursor checks them (found once: asking SQLAlchemy's
    types for them cost half of a cursor's decoding)."""
    return _key_types(_sort_keys("title")[0])


@lru_cache(maxsize=1)
def _rank_types() -> tuple:
    """The Python types of a relevance cursor's keys (score, id), as _decode_cursor checks them."""
    return _key_types([literal_column("score", Float), literal_column("id", Integer)])


def search_page(args: dict, data_version, read, engine=None) -> tuple | None:
    """book_page for the search members type (library/fastpath.py): q with no filter, by relevance (a page number
    or a relevance cursor), its facets if asked, read by plain SQL on the response cache's own connection (SQLite: in
    one snapshot): read(work) runs work(DB-API connection, dialect) there. Building the SQLAlchemy statements of
    book_page cost more than running them. The statements are those of book_page (search.matches, Match.ranked,
    Match.tiered_page, Match.sample, _sample_ids, _facet_statement) written out once per database (_SqliteSearch,
    _PostgresSearch); tests/test_fastpath.py holds the two equal. None when the request is another (a filter,
    another sort, a q that is an ISBN or has no positive word, a cursor that is not a relevance cursor of ours, a
    numbered page past the first of a tiered order) or finds nothing (book_page answers with its suggestions);
    else (the page, the data version it was read at). data_version FOLDED: not read yet; its first statement
    reads it, on SQLite in the page's snapshot (one read transaction fewer). engine: the database's, for a caller
    without an app context (library/fastpath.py); facets and books whose documents are stale need one."""
    q = args.get("q")
    if not q or args.get("sort") not in (None, "relevance") \
            or any(args.get(name) not in (None, "", ()) for name in SEARCH_FILTERS):
        return None
    if _isbn_in(q):
        return None  # book_page finds that book
    parsed = search.parse(q)
    if not parsed.positive:
        return None
    cursor, per_page, names = args.get("cursor"), args["per_page"], tuple(args.get("facets") or ())
    after = sort = None
    if cursor:
        sort = RELEVANCE_TIERED if (_load_cursor(cursor) or {}).get("s") == RELEVANCE_TIERED else "relevance"
        try:
            after = _decode_cursor(cursor, sort, _rank_types())
        except Problem:
            return None  # book_page's 422
    offset = 0 if cursor else (args["page"] - 1) * per_page

    def work(connection, dialect):
        reader = (_SqliteSearch if dialect.name == "sqlite" else _PostgresSearch)(connection, parsed, engine)
        version, estimate, counted = data_version, None, None
        if reader.FOLDS and not names:
            # PostgreSQL: Match.sample's test, the count and the ranked page in one statement, with the data version
            # of its snapshot (which precedes any later statement's: each is a snapshot of its own).
            broad, counted, read = reader.counted_page(COUNT_EXACT_MAX + 1, after, per_page + 1, offset,
                                                       versioned=version is FOLDED)
            version = read if version is FOLDED else version
            if broad:
                estimate = reader.estimate(version)
        else:
            if version is FOLDED:
                version = reader.version()  # before the data it covers
            if reader.broad():
                estimate = reader.estimate(version)
        # The first COUNT_EXACT_MAX + 1 matches (_sample_count), their ids when the facets count them.
        sample = reader.sample(COUNT_EXACT_MAX + 1) if names else None
        if estimate is not None:
            total, estimated = estimate
        else:
            found, last_id = (len(sample), max(sample, default=None)) if names else \
                counted[:2] if counted is not None else reader.count(COUNT_EXACT_MAX + 1)
            if not found:
                return None  # book_page's suggestions
            total, estimated = found, False
            if found > COUNT_EXACT_MAX:
                low, high = reader.id_range(version)
                total, estimated = max(found, _extrapolated(found, last_id, low, high)), True
        tiered = sort == RELEVANCE_TIERED if cursor else total > RANK_EXACT_MAX
        if tiered and offset:
            return None
        size = per_page + 1
        if tiered:
            rows = []
            for tier in (0.0, 1.0, 2.0):
                if after is not None and tier < after[0]:
                    continue
                start = after[1] if after is not None and tier == after[0] else None
                rows += [(tier, book_id) for book_id in reader.tier(int(tier), start, size - len(rows))]
                if len(rows) >= size:
                    break
            books = documents.items([row[-1] for row in rows[:per_page]], (connection, dialect))
            last = rows[per_page - 1][:2] if len(rows) > per_page else None
        else:
            # with each book's document: one statement (or the one that counted)
            page, last = counted[2] if counted is not None else \
                documents.entries(reader.ranked(after, size, offset), per_page)
            books = documents.page_documents(page, (connection, dialect))
        facets = {}
        if names:
            scale = total / len(sample) if estimated else 1.0
            for name in names:
                facet_rows = _execute(connection, _facet_compiled(name, dialect), sample)
                facets[name] = _facet_items(name, facet_rows, args["facet_limit"], scale)
        return {
            "items": books, "total": total, "total_is_estimate": estimated,
            "page": None if cursor else args["page"], "per_page": per_page,
            "next_cursor": _encode_cursor(RELEVANCE_TIERED if tiered else "relevance", last)
            if last is not None else None,
            "facets": facets, "suggestions": [],
        }, version

    return read(work)


class _SearchReader:
    DIALECT = ""
    FOLDS = False  # has counted_page

    def broad(self) -> bool:
        """Whether estimate() may estimate the total (then it needs the data version)."""
        return False

    def estimate(self, data_version) -> tuple | None:
        """(total, True) estimated for a broad search, or None: the first matches by id say it (count, sample)."""
        return None

    def _rows(self, statement: str, params=()) -> list:
        raise NotImplementedError

    def version(self):
        """The response cache's data version, read as ResponseCache.version reads it, on this connection."""
        return self._rows(VERSION_STATEMENT[self.DIALECT])[0][0]

    def id_range(self, data_version) -> tuple[int, int]:
        """_id_range, read on this connection (two statements: SQLite answers min() or max() from the index only
        when each is alone)."""
        return by_version(data_version, "id_range", lambda: (self._rows("SELECT min(id) FROM book")[0][0],
                                                             self._rows("SELECT max(id) FROM book")[0][0]),
                          self.engine)


class _SqliteSearch(_SearchReader):
    """search_page's statements on SQLite, as book_page's SQLAlchemy statements render them."""

    DIALECT = "sqlite"
    EXACT = "(SELECT book.id FROM book WHERE book.title_key = ?)"
    SAMPLE = "SELECT rowid FROM book_search WHERE book_search MATCH ? ORDER BY rowid LIMIT ?"
    COUNT = ("SELECT count(*), max(id) FROM (SELECT rowid AS id FROM book_search WHERE book_search MATCH ? "
             "ORDER BY rowid LIMIT ?)")
    TIER = ("SELECT id FROM (SELECT rowid AS id FROM book_search WHERE book_search MATCH ?) "
            f"WHERE id {{is_in}} {EXACT}{{after}} ORDER BY id LIMIT ?")
    RANKED = documents.page_sql(
        "SELECT score, id FROM (SELECT book_search.rowid AS id, CAST(bm25(book_search, "
        f"{', '.join(map(repr, search.SQLITE_WEIGHTS))}) - CASE WHEN book_search.rowid IN {EXACT} THEN 1000.0 "
        "ELSE 0.0 END AS FLOAT) AS score FROM book_search WHERE book_search MATCH ?){after} ORDER BY score, id "
        "LIMIT ? OFFSET ?", "p.score, p.id", DIALECT)

    def __init__(self, connection, parsed, engine=None):
        self.connection, self.engine = connection, engine
        self.query, self.title_query, self.plain = search.sqlite_strings(parsed)

    def _rows(self, statement, params=()):
        return self.connection.execute(statement, params).fetchall()

    def sample(self, size: int) -> list[int]:
        return [row[0] for row in self._rows(self.SAMPLE, (self.query, size))]

    def count(self, size: int) -> tuple:
        return self._rows(self.COUNT, (self.query, size))[0]

    def tier(self, tier: int, start, size: int) -> list[int]:
        query, title_query = self.query, self.title_query
        fts = (query, f"({title_query}) AND ({query})", f"({query}) NOT ({title_query})")[tier]
        statement = self.TIER.format(is_in="NOT IN" if tier else "IN", after="" if start is None else " AND id > ?")
        return [row[0] for row in self._rows(statement, (fts, self.plain, *(() if start is None else (start,)),
                                                         size))]

    def ranked(self, after, size: int, offset: int) -> list[tuple]:
        """The page's (score, id) rows, each with its book's document (documents.page_sql)."""
        keyset = " WHERE score >= ? AND (score > ? OR id > ?)" if after is not None else ""
        return self._rows(self.RANKED.format(after=keyset), (
            self.plain, self.query, *((after[0], after[0], after[1]) if after is not None else ()), size, offset))


def pg_literal(value: str, connection) -> str:
    """value as a PostgreSQL string literal, as psycopg's sql.Literal(value).as_string(connection) writes it (libpq's
    PQescapeLiteral): quoted, its quotes doubled. A text with a backslash (written E'...') or a NUL (which psycopg
    refuses) goes through psycopg itself, whose adaptation was half the time a search took to write its SQL (6 of
    11 µs). tests/test_pgread.py holds the two equal."""
    if "\\" in value or "\x00" in value:
        from psycopg import sql

        return sql.Literal(value).as_string(connection)
    return "'" + value.replace("'", "''") + "'"


class _PostgresSearch(_SearchReader):
    """search_page's statements on PostgreSQL, as book_page's SQLAlchemy statements render them. The search texts and
    the limits are written into the SQL (the texts as literals), so the planner sees them whatever plan_cache_mode
    the connection has: EXPLAIN's estimate is Match.sample's test, and a generic plan for an unknown LIMIT scanned
    every row of book_search."""

    DIALECT = "postgresql"
    FOLDS = True
    EXACT = "(SELECT book.id FROM book WHERE book.title_key = %s)"
    SAMPLE = "SELECT book_id FROM book_search WHERE book_search.document @@ {query} LIMIT {size:d}"

    def __init__(self, connection, parsed, engine=None):
        self.connection, self.engine, self.plain = connection, engine, parsed.plain()
        self.query, self.title_query = search.pg_strings(parsed, lambda value: pg_literal(value, connection))

    def _rows(self, statement, params=(), binary=False):
        with self.connection.cursor() as cursor:
            cursor.execute(statement, params, binary=binary)
            return cursor.fetchall()

    def broad(self) -> bool:
        """Match.sample's test: the planner expects at least 2 * COUNT_EXACT_MAX matches."""
        plan = self._rows(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM book_search WHERE book_search.document @@ {self.query}")
        return plan[0][0][0]["Plan"]["Plan Rows"] >= 2 * COUNT_EXACT_MAX

    def estimate(self, data_version):
        """The estimate _count makes of Match.sample for a broad search, or None."""
        found, reach = self._rows(
            f"SELECT count(*) FILTER (WHERE book_search.document @@ {self.query}), max(book_search.book_id) FROM "
            f"(SELECT book_id, document FROM book_search WHERE book_id > 0 ORDER BY book_id LIMIT {COUNT_WINDOW:d}) "
            "AS book_search")[0]
        if found < COUNT_SAMPLE_MIN:
            return None
        low, high = self.id_range(data_version)
        return max(COUNT_EXACT_MAX + 1, _extrapolated(found, reach, low, high)), True

    def sample(self, size: int) -> list[int]:
        return [row[0] for row in self._rows(self.SAMPLE.format(query=self.query, size=size))]

    def count(self, size: int) -> tuple:
        return self._rows(f"SELECT count(*), max(book_id) FROM ({self.SAMPLE.format(query=self.query, size=size)}) "
                          "AS matched")[0]

    def tier(self, tier: int, start, size: int) -> list[int]:
        after = "" if start is None else f" AND id > {start:d}"
        if not tier:
            return [row[0] for row in self._rows(
                "SELECT id FROM (SELECT book_id AS id FROM book_search WHERE book_search.document @@ "
                f"{self.query}) AS main WHERE id IN {self.EXACT}{after} ORDER BY id LIMIT {size:d}", (self.plain,))]
        title = self.title_query if tier == 1 else f"tsquery_not({self.title_query})"
        condition = f"book_search.document @@ ({self.query} && {title})"
        found = [row[0] for row in self._rows(  # Match._window first
            f"SELECT book_id FROM (SELECT book_id, document FROM book_search WHERE book_id > {start or 0:d} ORDER BY "
            f"book_id LIMIT {search.STREAM_WINDOW:d}) AS book_search WHERE {condition} AND book_id NOT IN "
            f"{self.EXACT} ORDER BY book_id LIMIT {size:d}", (self.plain,))]
        if len(found) == size:
            return found
        return [row[0] for row in self._rows(
            f"SELECT id FROM (SELECT book_id AS id FROM book_search WHERE {condition}) AS tier WHERE id NOT IN "
            f"{self.EXACT}{after} ORDER BY id LIMIT {size:d}", (self.plain,))]

    def _ranked_sql(self, after, size: int, offset: int, gate: str | None = None,
                    matches: str | None = None) -> tuple[str, tuple]:
        """The ranked page's (score, id) statement and its parameters; gate: a condition on other tables; matches:
        a table of every match's book_id and document to rank instead of finding them in book_search."""
        conditions = [gate] if gate else []
        conditions += ["score >= %s AND (score > %s OR id > %s)"] if after is not None else []
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        source = f"{matches} AS book_search" if matches else \
            f"book_search WHERE book_search.document @@ {self.query}"
        statement = ("SELECT score, id FROM (SELECT book_search.book_id AS id, CAST(-CAST(ts_rank("
                     f"book_search.document, {self.query}) AS FLOAT) - CASE WHEN book_search.book_id IN {self.EXACT} "
                     f"THEN 1000.0 ELSE 0.0 END AS FLOAT) AS score FROM {source}) "
                     f"AS ranked{where} ORDER BY score, id LIMIT {size:d} OFFSET {offset:d}")
        return statement, (self.plain, *((after[0], after[0], after[1]) if after is not None else ()))

    def ranked(self, after, size: int, offset: int) -> list[tuple]:
        statement, params = self._ranked_sql(after, size, offset)
        return self._rows(documents.page_sql(statement, "p.score, p.id", self.DIALECT), params,
                          binary=True)  # documents.results

    def counted_page(self, count_size: int, after, size: int, offset: int, versioned: bool) -> tuple:
        """(broad, as broad() says it; (count, max id) as count(count_size) gives them and the ranked page, (its
        first size - 1 books, the keys of the last) as documents.entries() makes them of ranked()'s rows, or None
        when broad; the data version of the statement's snapshot, or None unless versioned): one statement, one
        round trip, instead of four, read through libpq (documents.pg_page). The page has no books when the count
        is over COUNT_EXACT_MAX (the order tiers, and the ranking is not run)."""
        statement, params = self.counted_page_sql(count_size, after, size, offset, versioned)
        (planned, found, last_id, version), _version, books, last = documents.pg_page(
            self.connection, statement, params, 6, size - 1, leading=4)
        if planned >= 2 * COUNT_EXACT_MAX:
            return True, None, version
        return False, (found, last_id, (books, last)), version

    def counted_page_sql(self, count_size: int, after, size: int, offset: int, versioned: bool) -> tuple[str, tuple]:
        """counted_page's statement and its parameters (its rows: the planner's estimate, the count, the max id, the
        version, then the ranked page's rows with their documents; bench/run.py's search floor runs it alone)."""
        query, planned = self.query, "(SELECT n FROM planned)"
        few, broad = f"{planned} <= {COUNT_EXACT_MAX:d}", f"{planned} >= {2 * COUNT_EXACT_MAX:d}"
        # Each condition on planned or counted is computed once, and is a "One-Time Filter" on what it guards:
        # only one way of finding the matches runs, and none when the search is broad. Few matches expected
        # (most searches): found once, with their documents, then counted and ranked, since the count_size taken
        # are all of them when they are no more than COUNT_EXACT_MAX (a quarter less of the server's work).
        # Else found again for the ranking, which the count usually skips (more than COUNT_EXACT_MAX: tiered).
        with_ = (f"planned AS MATERIALIZED (SELECT library_planned_matches({query}) AS n), "
                 f"matches AS MATERIALIZED (SELECT book_id, document FROM book_search "
                 f"WHERE book_search.document @@ {query} AND {few} LIMIT {count_size:d}), "
                 f"counted AS MATERIALIZED (SELECT count(*) AS found, max(book_id) AS last_id FROM "
                 f"(SELECT book_id FROM matches UNION ALL (SELECT book_id FROM book_search "
                 f"WHERE book_search.document @@ {query} AND NOT {few} AND NOT {broad} LIMIT {count_size:d})) AS m)")
        every = (f"(SELECT book_id, document FROM matches UNION ALL SELECT book_id, document FROM book_search "
                 f"WHERE book_search.document @@ {query} AND NOT {few})")
        statement, params = self._ranked_sql(after, size, offset,
                                             f"(SELECT found FROM counted) BETWEEN 1 AND {COUNT_EXACT_MAX:d}", every)
        version = documents.VERSION[self.DIALECT] if versioned else "NULL"
        # A page without rows (broad, tiered, or an offset past the matches) still gives planned's and counted's row.
        page = documents.page_sql(statement, "p.score, p.id", self.DIALECT)
        return (f"WITH {with_} SELECT planned.n, counted.found, counted.last_id, {version}, page.* "
                f"FROM planned CROSS JOIN counted LEFT JOIN ({page}) AS page ON true "
                "ORDER BY page.score, page.id"), params


def _facets(names, plan: _Plan, limit: int, total: int, estimated: bool) -> dict:
    """Counts of each facet's values in the result set. When the total is an estimate, so are the counts:
    taken in the sample that estimated it (COUNT_EXACT_MAX + 1 matches) and scaled to the total, so a
    facet costs the same at a million matches as at two thousand. The matching ids (at most COUNT_EXACT_MAX + 1
    either way) are read once, then each facet is one grouped query over them (_facet_statement), instead of
    finding the matches again for every facet."""
    if not names:
        return {}
    if estimated:
        query = _sample_ids(plan)
    else:  # without book filters, the search index alone says which books match (no join with book)
        query = plan.match.ids if plan.match is not None and not plan.conditions else plan.apply(select(Book.id))
    ids = db.session.scalars(query).all()
    scale = total / len(ids) if estimated and ids else 1.0
    return {name: _facet(name, ids, limit, scale) for name in names}


@lru_cache(maxsize=16)
def _facet_statement(name: str, dialect: str):
    """A facet's grouped count over a list of book ids given as one parameter "ids" (a JSON array on SQLite, read
    with json_each; an integer array on PostgreSQL, unnested), built once: the most frequent FACET_GROUPS_MAX
    groups, as (value, label, count)."""
    if dialect == "postgresql":
        ids = select(func.unnest(bindparam("ids", type_=ARRAY(Integer))))
    else:
        ids = select(literal_column("value")).select_from(func.json_each(bindparam("ids")))
    count = func.count().label("n")
    if name == "subject":
        query = (select(Subject.name, Subject.name, count)
                 .join(book_subjects, book_subjects.c.subject_id == Subject.id)
                 .where(book_subjects.c.book_id.in_(ids))
                 .group_by(Subject.id, Subject.name).order_by(count.desc(), func.lower(Subject.name)))
    elif name == "author":
        query = (select(Author.id, Author.name, count)
                 .join(BookAuthor, BookAuthor.author_id == Author.id)
                 .where(BookAuthor.book_id.in_(ids))
                 .group_by(Author.id, Author.name).order_by(count.desc(), func.lower(Author.sort_name)))
    elif name == "language":
        query = (select(Book.language, Book.language, count).where(Book.id.in_(ids), Book.language.is_not(None))
                 .group_by(Book.language).order_by(count.desc(), Book.language))
    else:
        decade = (Book.published_year - Book.published_year % 10).label("decade")
        query = (select(decade, decade, count).where(Book.id.in_(ids), Book.published_year.is_not(None))
                 .group_by(decade).order_by(count.desc(), decade))
    return query.limit(FACET_GROUPS_MAX)


@lru_cache(maxsize=16)
def _facet_compiled(name: str, dialect):
    return _compiled(_facet_statement(name, dialect.name), dialect)


def _facet(name: str, ids: list[int], limit: int, scale: float = 1.0) -> list[dict]:
    if not ids:
        return []
    dialect = db.engine.dialect.name
    rows = db.session.connection().execute(_facet_statement(name, dialect),
                                           {"ids": ids if dialect == "postgresql" else json.dumps(ids)}).all()
    return _facet_items(name, rows, limit, scale)


def _facet_items(name: str, rows, limit: int, scale: float) -> list[dict]:
    """A facet's values from its grouped rows (value, label, count)."""
    # The most frequent FACET_GROUPS_MAX groups, then ordered by count and label here (a language's label
    # is its English name, which the database does not know; SQLite's lower() folds only ASCII).
    labelled = sorted(((n, _facet_label(name, label), value) for value, label, n in rows),
                      key=lambda row: (-row[0], row[1].casefold(), str(row[2])))[:limit]
    return [{"value": value, "label": label, "count": max(1, round(n * scale)) if scale != 1.0 else n}
            for n, label, value in labelled]


def _facet_label(name: str, value) -> str:
    if name == "language":
        return language_name(value)
    if name == "decade":
        return f"{value}s"
    return value


# --- authors --------------------------------------------------------------------------------------

def _book_count(author_column):
    return select(func.count()).where(BookAuthor.author_id == author_column).correlate(Author).scalar_subquery()


def author_with_count(author_id: int):
    row = db.session.execute(select(Author, _book_count(Author.id)).where(Author.id == author_id)).first()
    if row is None:
        return None
    author, count = row
    author.book_count = count
    return author


def list_authors(args: dict) -> tuple[list[Author], int]:
    conditions = []
    if (term := (args.get("q") or "").strip()):
        conditions.append(func.lower(Author.name).like(like_pattern(term), escape="\\"))
    total = db.session.scalar(select(func.count()).select_from(Author).where(*conditions))
    rows = db.session.execute(
        select(Author, _book_count(Author.id))
        .where(*conditions)
        .order_by(func.lower(Author.sort_name), Author.id)
        .limit(args["per_page"])
        .offset((args["page"] - 1) * args["per_page"])
    ).all()
    for author, count in rows:
        author.book_count = count
    return [author for author, _ in rows], total


def _author_name_conflict(name: str, author_id: int | None) -> Conflict | None:
    other = find_author_by_name(name)
    if other is None or other.id == author_id:
        return None
    message = f"An author named {other.name!r} already exists (id {other.id})."
    return Conflict(message, {"name": [message]})


def save_author(author: Author, data: dict) -> Author:
    """Create or update an author; sort_name is derived from name unless given."""
    if "name" in data and (conflict := _author_name_conflict(data["name"], author.id)):
        raise conflict
    if "name" in data:
        author.name = data["name"]
        if not data.get("sort_name"):
            author.sort_name = derive_sort_name(data["name"])
    if data.get("sort_name"):
        author.sort_name = data["sort_name"]
    db.session.add(author)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if conflict := _author_name_conflict(data.get("name", author.name), author.id):
            raise conflict from None
        raise
    return author_with_count(author.id)


def delete_author(author: Author) -> None:
    count = db.session.scalar(select(func.count()).where(BookAuthor.author_id == author.id))
    if count:
        raise Conflict(f"The author still has {count} book(s); remove them from the books first.")
    db.session.delete(author)
    db.session.commit()


# --- subjects -------------------------------------------------------------------------------------

def list_subjects(args: dict) -> tuple[list[dict], int]:
    conditions = []
    if (term := (args.get("q") or "").strip()):
        conditions.append(func.lower(Subject.name).like(like_pattern(term), escape="\\"))
    total = db.session.scalar(select(func.count()).select_from(Subject).where(*conditions))
    count = select(func.count()).where(book_subjects.c.subject_id == Subject.id).correlate(Subject).scalar_subquery()
    rows = db.session.execute(
        select(Subject.id, Subject.name, count.label("book_count"))
        .where(*conditions)
        .order_by(func.lower(Subject.name), Subject.id)
        .limit(args["per_page"])
        .offset((args["page"] - 1) * args["per_page"])
    ).all()
    return [row._asdict() for row in rows], total
