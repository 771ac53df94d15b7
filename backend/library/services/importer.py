"""Bulk import of books (from MARC or CSV records, services/records.py): the API's validation per record, duplicates
found and handled by a policy, batched inserts, one commit per batch.

Per record, what happens: **new** (a book is added, with its copies and other ISBNs); **duplicate** of a book by
ISBN (any of the record's ISBNs is any ISBN of a book in the catalog or earlier in the file); **likely duplicate**
(the same normalised title and first author, where one of the two has no ISBN: two ISBNs that differ are two
editions); or **invalid**, with the reasons. The policy says what a duplicate becomes: skipped ("skip"), its copies
added to the existing book ("add_copies"), or a book of its own ("add_anyway"; an ISBN another book has stays with
that book and is kept as one of the new book's other ISBNs).

A dry run (the preview) decides the same way and writes nothing. The search index is not kept per row during the
load; it is built once at the end for the new books. Rows are written by services/bulkload.py (one prepared statement
per table on SQLite, COPY on PostgreSQL, ids handed out in blocks), and the common valid record is checked by the
schema's rules without marshmallow's machinery (records.FastLoad). A tracker (services/imports.py) is told what each batch created, in the batch's own
transaction, so an interrupted import can be resumed after its last batch or undone.
"""

from dataclasses import dataclass, field

from sqlalchemy import func, select, union_all

from .. import clock
from ..i18n import N_
from ..extensions import db
from ..models import Author, Book, BookAuthor, BookIsbn, Copy, Subject, book_subjects
from ..models import search as search_index
from ..models import stats
from . import bookcsv, bulkload, documents, search
from .catalog import claim_all_names
from .names import sort_name
from .records import Entry, check

COLUMNS = bookcsv.FIELDS  # what `import-books` reads without a mapping (and the CSV export writes)
POLICIES = ("skip", "add_copies", "add_anyway")
MAX_REPORTED = 100
OUTCOMES = ("new", "duplicate", "likely_duplicate", "invalid")
# What a record's data gives a book (besides isbn, written apart) and a copy, in the writer's column order.
BOOK_COLUMNS = ("title", "subtitle", "publisher", "published_year", "language", "description", "edition", "call_number")
COPY_COLUMNS = ("barcode", "location", "call_number", "notes", "status")


@dataclass
class Report:
    """Totals per outcome, what was written, and the first MAX_REPORTED problems, warnings and duplicates."""

    records: int = 0
    new: int = 0
    duplicate: int = 0
    likely_duplicate: int = 0
    invalid: int = 0
    added: int = 0  # books created
    copies_added: int = 0
    skipped: int = 0  # duplicates left out by the policy
    merged: int = 0  # duplicates whose copies went to the existing book
    warnings: int = 0
    problems: list = field(default_factory=list)  # {record, line, title, reasons}
    notes: list = field(default_factory=list)  # {record, line, message}: the first warnings
    duplicates: list = field(default_factory=list)  # {record, line, title, kind, book_id, book_title, in_file}

    COUNTERS = ("records", "new", "duplicate", "likely_duplicate", "invalid", "added", "copies_added", "skipped",
                "merged", "warnings")

    def as_dict(self) -> dict:
        return {**{name: getattr(self, name) for name in self.COUNTERS},
                "problems": self.problems, "warnings_shown": self.notes, "duplicates": self.duplicates}

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        report = cls(**{name: data.get(name, 0) for name in cls.COUNTERS})
        report.problems, report.notes = list(data.get("problems", [])), list(data.get("warnings_shown", []))
        report.duplicates = list(data.get("duplicates", []))
        return report

    def invalid_record(self, record) -> None:
        self.invalid += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append({"record": record.number, "line": record.line, "title": record.title[:200],
                                  "reasons": [r[:500] for r in record.problems[:10]]})

    def warn(self, record, messages) -> None:
        self.warnings += len(messages)
        for message in messages:
            if len(self.notes) < MAX_REPORTED:
                self.notes.append({"record": record.number, "line": record.line, "message": message[:500]})


class _Names:
    """lower(name) -> id for the authors or subjects of the batch being written. Each batch looks its names up
    afresh, by the unique index's lower(name): the import runs for minutes while the desk works, so since the last
    batch another writer may have created one of them (a book saved with a new author), renamed, merged or deleted
    one. On PostgreSQL a batch with new names claims them first (catalog.claim_all_names: one lock for all, which a
    book's save creating a name waits for, as the batch waits for such saves), so that neither fails on the unique
    index: the later finds the other's row. The memory held is one batch's names."""

    def __init__(self, model, make_row, kind: str):
        self.model, self.make_row, self.kind = model, make_row, kind
        self.table = model.__table__
        self.ids: dict = {}

    def _lookup(self, wanted: dict) -> None:
        """Load the ids of the names in wanted (Python's lower(name) -> name) that the database has: matched as its
        unique index matches them (its own lower(), which on SQLite folds only ASCII letters), or by Python's lower()
        (so that on SQLite "Émile Zola" finds an "émile zola" as well)."""
        connection = db.session.connection()
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        names = sorted(wanted.values())
        for start in range(0, len(names), 500):
            chunk = tuple(names[start:start + 500])
            # Written out rather than compiled by SQLAlchemy: an IN of 500 expressions cost more to compile than
            # to run (a fifth of a 100 000-book import's time on SQLite). Read from the lower(name) index.
            marks = ", ".join([f"lower({mark})"] * len(chunk) + [mark] * len(chunk))
            rows = connection.exec_driver_sql(f"SELECT name, id FROM {self.table.name} WHERE lower(name) IN ({marks})",
                                              chunk + tuple(name.lower() for name in chunk)).all()
            self.ids.update({name.lower(): row_id for name, row_id in rows if name.lower() in wanted})

    def ensure(self, names) -> list[int]:
        """Look names up, and create those the database does not have; returns the new rows' ids. Afterwards each
        of names is known (self[name])."""
        wanted = {}
        for name in names:
            wanted.setdefault(name.lower(), name)
        self.ids = {}
        self._lookup(wanted)
        new = {key: name for key, name in wanted.items() if key not in self.ids}
        if new and db.session.get_bind().dialect.name == "postgresql":
            claim_all_names(self.kind)  # then look again: what a writer that held one has committed is found
            self._lookup(new)
            new = {key: name for key, name in new.items() if key not in self.ids}
        ids = []
        if new:
            connection = db.session.connection()
            ids = bulkload.next_ids(connection, self.table, len(new))
            rows = [{"id": row_id, **self.make_row(name)} for row_id, name in zip(ids, new.values())]
            if "created_at" in self.table.c:  # authors are timestamped
                now = bulkload.bound(connection, self.table, "created_at", clock.now())
                rows = [{**row, "created_at": now, "updated_at": now} for row in rows]
            columns = tuple(rows[0])
            bulkload.insert(connection, self.table, columns, [tuple(row[c] for c in columns) for row in rows])
            self.ids.update(zip(new, ids))
        return ids

    def __getitem__(self, name):
        return self.ids[name.lower()]


@dataclass
class Decision:
    entry: Entry
    outcome: str  # new | duplicate | likely_duplicate
    target: object = None  # a book id (int), or the index of an earlier new entry of this batch, as ("entry", i)
    target_title: str | None = None
    in_file: bool = False
    copies: list = field(default_factory=list)  # the copies still to create (barcodes free)
    isbn_taken: bool = False  # add_anyway: the primary ISBN belongs to another book


class Planner:
    """Decides each entry's outcome against the catalog (looked up per batch) and the file so far."""

    def __init__(self, dry_run: bool):
        self.dry_run = dry_run
        self.isbns: dict = {}  # isbn -> reference of the record in this file that has it
        self.titles: dict = {}  # (title key, author key) -> (reference, has isbn)
        self.barcodes: set = set()

    def _catalog(self, entries):
        isbns = sorted({i for e in entries for i in [e.data.get("isbn"), *e.other_isbns] if i})
        found = {}
        if isbns:
            query = union_all(select(Book.isbn, Book.id, Book.title).where(Book.isbn.in_(isbns)),
                              select(BookIsbn.isbn, BookIsbn.book_id, Book.title).join(Book, Book.id == BookIsbn.book_id)
                              .where(BookIsbn.isbn.in_(isbns)))
            for isbn, book_id, title in db.session.execute(query):
                found.setdefault(isbn, (book_id, title))
        keys = sorted({e.title_key for e in entries if e.title_key})
        titles = {}
        if keys:
            first_author = (select(Author.name).join(BookAuthor, BookAuthor.author_id == Author.id)
                            .where(BookAuthor.book_id == Book.id, BookAuthor.position == 0)
                            .correlate(Book).scalar_subquery())
            rows = db.session.execute(select(Book.id, Book.title, Book.title_key, Book.isbn, first_author)
                                      .where(Book.title_key.in_(keys)).order_by(Book.id))
            from .records import author_key

            for book_id, title, key, isbn, author in rows:
                titles.setdefault((key, author_key(author)), []).append((book_id, title, isbn is not None))
        barcodes = sorted({c["barcode"] for e in entries for c in e.copies})
        taken = {}
        if barcodes:
            taken = dict(db.session.execute(select(Copy.barcode, Copy.book_id).where(Copy.barcode.in_(barcodes))).all())
        return found, titles, taken

    def decide(self, entries: list[Entry], report: Report) -> list[Decision]:
        found, titles, taken = self._catalog(entries)
        if not self.dry_run:  # earlier batches are in the catalog: only this batch is "the file so far"
            self.isbns, self.titles, self.barcodes = {}, {}, set()
        decisions = []
        for entry in entries:
            own = [i for i in [entry.data.get("isbn"), *entry.other_isbns] if i]
            ref = ("entry", len(decisions)) if not self.dry_run else ("record", entry.number)
            decision = Decision(entry, "new")
            for isbn in own:
                if isbn in found:
                    decision.outcome, (decision.target, decision.target_title) = "duplicate", found[isbn]
                    break
                if isbn in self.isbns:
                    decision.outcome, decision.target, decision.in_file = "duplicate", self.isbns[isbn], True
                    break
            key = (entry.title_key, entry.author_key)
            if decision.outcome == "new" and entry.title_key:
                for book_id, title, has_isbn in titles.get(key, []):
                    if not (own and has_isbn):
                        decision.outcome, decision.target, decision.target_title = "likely_duplicate", book_id, title
                        break
                else:
                    earlier = self.titles.get(key)
                    if earlier is not None and not (own and earlier[1]):
                        decision.outcome, decision.target, decision.in_file = "likely_duplicate", earlier[0], True
            if decision.outcome == "new":
                for isbn in own:
                    self.isbns.setdefault(isbn, ref)
                self.titles.setdefault(key, (ref, bool(own)))
            elif entry.data.get("isbn") and (entry.data["isbn"] in found or entry.data["isbn"] in self.isbns):
                decision.isbn_taken = True
            for copy in entry.copies:
                if copy["barcode"] in taken or copy["barcode"] in self.barcodes:
                    owner = taken.get(copy["barcode"])
                    entry.record.warnings.append(
                        N_(f"copy {copy['barcode']}: the barcode already belongs to a copy of book {owner}; the copy "
                           "was left out.") if owner else
                        N_(f"copy {copy['barcode']}: the barcode already belongs to another copy earlier in the file; "
                           "the copy was left out."))
                    continue
                self.barcodes.add(copy["barcode"])
                decision.copies.append(copy)
            setattr(report, decision.outcome, getattr(report, decision.outcome) + 1)
            if decision.outcome != "new" and len(report.duplicates) < MAX_REPORTED:
                target = decision.target
                report.duplicates.append({
                    "record": entry.number, "line": entry.record.line, "title": entry.data["title"][:200],
                    "kind": decision.outcome, "in_file": decision.in_file,
                    "book_id": target if isinstance(target, int) else None, "book_title": decision.target_title,
                    "record_of_file": target[1] if decision.in_file and target[0] == "record" else None})
            decisions.append(decision)
        return decisions


@dataclass
class Written:
    """What one batch created (for the tracker)."""

    book_ids: list = field(default_factory=list)
    copy_ids: list = field(default_factory=list)
    author_ids: list = field(default_factory=list)
    subject_ids: list = field(default_factory=list)
    isbns: list = field(default_factory=list)  # [book id, isbn] added to existing books


class Writer:
    """Writes a batch of decisions (the caller commits): one prepared statement or COPY per table
    (services/bulkload.py), ids handed out in blocks."""

    MAX_WORDS = 200_000  # vocabulary words remembered as written (bounded; a forgotten one is written again, a no-op)

    def __init__(self, policy: str):
        self.policy = policy
        self.authors = _Names(Author, lambda name: {"name": name, "sort_name": sort_name(name)}, "author")
        self.subjects = _Names(Subject, lambda name: {"name": name}, "subject")
        self.words: set = set()

    def write(self, decisions: list[Decision], report: Report) -> Written:
        written = Written()
        connection = db.session.connection()
        search_index.pause_sync(connection)  # on SQLite also the batch's first write: the write lock is held from here
        stats.pause_stats(connection)  # the collection's tally: counted once for the batch's copies below
        books, new_index = [], {}
        for position, decision in enumerate(decisions):
            if decision.outcome == "new" or self.policy == "add_anyway":
                new_index[position] = len(books)
                books.append(decision)
            elif self.policy == "skip":
                report.skipped += 1
        written.author_ids = self.authors.ensure(a["name"] for d in books for a in d.entry.data.get("authors", []))
        written.subject_ids = self.subjects.ensure(name for d in books for name in d.entry.data.get("subjects", []))
        now = bulkload.bound(connection, Book.__table__, "created_at", clock.now())
        book_ids = bulkload.next_ids(connection, Book.__table__, len(books))
        with bulkload.quiet_triggers(connection, book_ids[0] if book_ids else 1, book_ids[-1] if book_ids else 0):
            written.copy_ids = self._rows(connection, decisions, books, new_index, book_ids, now, report)
        stats.tally_new_copies(connection, written.copy_ids)  # (their books' subjects were written before them)
        stats.resume_stats(connection)
        written.book_ids = book_ids
        report.added += len(book_ids)
        words = search.words_of(*(d.entry.data.get("subtitle") for d in books),
                                *(a["name"] for d in books for a in d.entry.data.get("authors", [])))
        for decision in books:  # the title's words are its key's (unless the key was cut short)
            key = decision.entry.title_key
            words |= set(key.split()) if len(key) < 490 else search.words_of(decision.entry.data["title"])
        words = {w for w in words if search.WORD_MIN <= len(w) <= search.WORD_MAX and not w.isdigit()} - self.words
        search.add_words(connection, words)
        if len(self.words) + len(words) > self.MAX_WORDS:
            self.words.clear()
        self.words |= words
        search_index.resume_sync(connection)
        return written

    def _rows(self, connection, decisions, books, new_index, book_ids, now, report) -> list[int]:
        """Insert the books, their links, other ISBNs and copies; returns the copies' ids."""
        book_table, copy_table = Book.__table__, Copy.__table__
        rows = []
        for book_id, decision in zip(book_ids, books):
            data = decision.entry.data
            rows.append((book_id, *(data.get(name) for name in BOOK_COLUMNS), None if decision.isbn_taken
                         else data.get("isbn"), decision.entry.title_key or None, now, now))
        bulkload.insert(connection, book_table, ("id", *BOOK_COLUMNS, "isbn", "title_key", "created_at", "updated_at"),
                        rows)
        links, tags, isbns, copies = [], [], [], []
        for book_id, decision in zip(book_ids, books):
            data = decision.entry.data
            author_ids = dict.fromkeys(self.authors[a["name"]] for a in data.get("authors", []))
            links += [(book_id, a, i) for i, a in enumerate(author_ids)]
            tags += [(book_id, s) for s in dict.fromkeys(self.subjects[name] for name in data.get("subjects", []))]
            others = ([data["isbn"]] if decision.isbn_taken else []) + decision.entry.other_isbns
            isbns += [(book_id, isbn) for isbn in dict.fromkeys(others)]
        for position, decision in enumerate(decisions):
            if position in new_index:
                owner = book_ids[new_index[position]]
            elif self.policy == "add_copies":
                target = decision.target
                owner = book_ids[new_index[target[1]]] if isinstance(target, tuple) else target
                report.merged += 1
            else:
                continue
            copies += [(owner, *(copy.get(name) for name in COPY_COLUMNS)) for copy in decision.copies]
        bulkload.insert(connection, BookAuthor.__table__, ("book_id", "author_id", "position"), links)
        bulkload.insert(connection, book_subjects, ("book_id", "subject_id"), tags)
        bulkload.insert(connection, BookIsbn.__table__, ("book_id", "isbn"), isbns)
        copy_ids = bulkload.next_ids(connection, copy_table, len(copies))
        bulkload.insert(connection, copy_table, ("id", "book_id", *COPY_COLUMNS, "created_at", "updated_at"),
                        [(copy_id, *row, now, now) for copy_id, row in zip(copy_ids, copies)])
        report.copies_added += len(copies)
        return copy_ids


def plan_and_write(records, policy="skip", dry_run=False, batch_size=2000, report=None, on_batch=None,
                   on_invalid=None):
    """Read records, decide each, and (unless dry_run) write them batch by batch.

    on_batch(report, records_read, written) runs after each batch, before its commit (a tracker records what
    the batch wrote and reports progress there); on_invalid(record) gets each invalid record (the rejected file).
    Returns the Report."""
    report = report or Report()
    planner = Planner(dry_run)
    writer = None if dry_run else Writer(policy)
    batch = []
    flushed = [report.records]

    def flush():
        decisions = planner.decide(batch, report)
        for decision in decisions:
            if decision.entry.record.warnings:
                report.warn(decision.entry.record, decision.entry.record.warnings)
        written = writer.write(decisions, report) if writer is not None else Written()
        if on_batch is not None:
            on_batch(report, report.records, written)
        if writer is not None:
            db.session.commit()
        batch.clear()
        flushed[0] = report.records

    for record in records:
        report.records += 1
        entry = check(record)
        if entry is None:
            report.invalid_record(record)
            if record.warnings:
                report.warn(record, record.warnings)
            if on_invalid is not None:
                on_invalid(record)
        else:
            batch.append(entry)
        if len(batch) >= batch_size or report.records - flushed[0] >= 2 * batch_size:
            flush()  # also after many invalid records in a row, so that progress is reported
    flush()
    return report


def finish(after_id: int) -> None:
    """The search index for the books added above after_id, once for all of them (the batches paused its upkeep),
    and their stored documents marked stale, for the worker to write (services/documents.py)."""
    search_index.rebuild_index(db.session.connection(), after_id)
    documents.mark_stale_after(db.session.connection(), after_id)


def last_book_id() -> int:
    return db.session.scalar(select(func.max(Book.id))) or 0


def analyze() -> None:
    """After a bulk load: fresh planner statistics (and, on PostgreSQL, the visibility map, for index-only
    scans such as a list's count of book ids), outside any transaction as VACUUM requires."""
    db.session.remove()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("VACUUM (ANALYZE) book, book_search, book_author, book_subject, search_word")
        else:
            connection.exec_driver_sql("ANALYZE")
