"""Bulk import of books from CSV: the API's validation per row, batched inserts, one commit per batch.

Columns: title, subtitle, authors (separated by ";"), isbn, publisher, year, language, subjects (";"), description.
The search index is not kept per row during the load; it is built once at the end for the new books.
Rows that fail validation, or whose ISBN is already in the catalog (or earlier in the file), are skipped and
reported with their line number; everything else is inserted in batches of plain INSERTs (no ORM objects),
so a million rows take minutes, not hours.
"""

import csv
from dataclasses import dataclass, field

import marshmallow as ma
from sqlalchemy import func, insert, select

from .. import clock
from ..extensions import db
from ..models import Author, Book, BookAuthor, Subject, book_subjects
from ..schemas.books import BookIn
from ..models import search as search_index
from . import audit, search
from .names import sort_name

COLUMNS = ("title", "subtitle", "authors", "isbn", "publisher", "year", "language", "subjects", "description")
MAX_REPORTED = 100


@dataclass
class ImportResult:
    rows: int = 0
    added: int = 0
    skipped: int = 0
    problems: list = field(default_factory=list)  # (line, message), the first MAX_REPORTED

    def skip(self, line, message):
        self.skipped += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append((line, message))


def _split(value):
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _to_payload(row):
    year = (row.get("year") or "").strip()
    return {
        "title": row.get("title") or "",
        "subtitle": row.get("subtitle") or None,
        "authors": [{"name": name} for name in _split(row.get("authors"))],
        "isbn": row.get("isbn") or None,
        "publisher": row.get("publisher") or None,
        "published_year": int(year) if year.isdigit() else (year or None),
        "language": row.get("language") or None,
        "subjects": _split(row.get("subjects")),
        "description": row.get("description") or None,
    }


class _Names:
    """lower(name) -> id for authors or subjects, loaded once, extended as the import creates them."""

    def __init__(self, model, make_row):
        self.model, self.make_row = model, make_row
        # Keyed by Python's lower(): the database's may fold only ASCII (SQLite).
        self.ids = {name.lower(): row_id for name, row_id in db.session.execute(select(model.name, model.id))}

    def ensure(self, names):
        new = {}
        for name in names:
            if name.lower() not in self.ids:
                new.setdefault(name.lower(), name)
        if new:
            rows = db.session.execute(
                insert(self.model).returning(self.model.id, self.model.name, sort_by_parameter_order=True),
                [self.make_row(name) for name in new.values()],
            ).all()
            self.ids.update({name.lower(): row_id for row_id, name in rows})

    def __getitem__(self, name):
        return self.ids[name.lower()]


def import_rows(rows, batch_size=2000, progress=None, indexing=None) -> ImportResult:
    """Import dict rows (as csv.DictReader gives them); progress(n) is called after each batch."""
    schema = BookIn()
    result = ImportResult()
    authors = _Names(Author, lambda name: {"name": name, "sort_name": sort_name(name)})
    subjects = _Names(Subject, lambda name: {"name": name})
    seen_isbns = set(db.session.scalars(select(Book.isbn).where(Book.isbn.is_not(None))))
    after_id = db.session.scalar(select(func.max(Book.id))) or 0
    batch = []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        result.rows += 1
        try:
            data = schema.load(_to_payload(row))
        except ma.ValidationError as error:
            result.skip(line, "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                                        for k, v in error.messages.items()))
            continue
        if data.get("isbn"):
            if data["isbn"] in seen_isbns:
                result.skip(line, f"isbn: {data['isbn']} is already in the catalog")
                continue
            seen_isbns.add(data["isbn"])
        batch.append(data)
        if len(batch) >= batch_size:
            result.added += _insert(batch, authors, subjects)
            batch = []
            if progress:
                progress(result.rows)
    if batch:
        result.added += _insert(batch, authors, subjects)
    if progress:
        progress(result.rows)
    # The search index, once for everything added (the batches paused its per-row upkeep).
    if indexing:
        indexing()
    search_index.rebuild_index(db.session.connection(), after_id)
    audit.record("book.import", summary={"rows": result.rows, "added": result.added, "skipped": result.skipped})
    db.session.commit()
    return result


def analyze() -> None:
    """After a bulk load: fresh planner statistics (and, on PostgreSQL, the visibility map, for index-only
    scans such as a list's count of book ids), outside any transaction as VACUUM requires."""
    db.session.remove()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("VACUUM (ANALYZE) book, book_search, book_author, book_subject, search_word")
        else:
            connection.exec_driver_sql("ANALYZE")


def _insert(batch, authors, subjects) -> int:
    now = clock.now()
    connection = db.session.connection()
    search_index.pause_sync(connection)
    authors.ensure(a["name"] for data in batch for a in data.get("authors", []))
    subjects.ensure(name for data in batch for name in data.get("subjects", []))
    book_ids = db.session.scalars(
        insert(Book).returning(Book.id, sort_by_parameter_order=True),
        [{**{k: v for k, v in data.items() if k not in ("authors", "subjects")}, "created_at": now, "updated_at": now,
          "title_key": search.title_key(data["title"])}
         for data in batch],
    ).all()
    links, tags = [], []
    for book_id, data in zip(book_ids, batch):
        author_ids = list(dict.fromkeys(authors[a["name"]] for a in data.get("authors", [])))
        links += [{"book_id": book_id, "author_id": author_id, "position": i} for i, author_id in enumerate(author_ids)]
        tags += [{"book_id": book_id, "subject_id": subject_id}
                 for subject_id in dict.fromkeys(subjects[name] for name in data.get("subjects", []))]
    if links:
        db.session.execute(insert(BookAuthor), links)
    if tags:
        db.session.execute(insert(book_subjects), tags)
    search.add_words(connection, search.words_of(
        *(t for data in batch for t in (data["title"], data.get("subtitle"))),
        *(a["name"] for data in batch for a in data.get("authors", []))))
    search_index.resume_sync(connection)
    db.session.commit()
    return len(batch)


def read_csv(stream):
    """A DictReader that insists on the expected header."""
    reader = csv.DictReader(stream)
    missing = [c for c in ("title",) if c not in (reader.fieldnames or [])]
    unknown = [c for c in (reader.fieldnames or []) if c not in COLUMNS]
    if missing or unknown:
        raise ValueError(f"The header must name columns from {', '.join(COLUMNS)} (title required); "
                         f"missing {missing or 'none'}, unknown {unknown or 'none'}.")
    return reader
