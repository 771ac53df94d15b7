"""The fast import path (services/bulkload.py and the importer's fast rules): the same books, links, ids, index and
rules as the slow path it replaced, on SQLite and PostgreSQL."""

import random

import pytest
from sqlalchemy import func, select, text
from stdnum import isbn as stdnum_isbn

from library.extensions import db
from library.models import Author, Book, BookAuthor, Subject
from library.schemas.books import BookIn
from library.services import importer, isbn, records, search
from library.services.records import Record

from .conftest import wait_for_a_lock_wait

GOOD = {"title": "  The Dispossessed ", "subtitle": None, "authors": [{"name": "Ursula K. Le Guin"}],
        "publisher": "Harper", "published_year": 1974, "language": "EN", "subjects": ["Science fiction", " Politics"],
        "description": "Line one\n\tline two", "edition": None, "call_number": "813.54"}
PAYLOADS = [
    GOOD,
    {**GOOD, "subtitle": "   ", "publisher": "", "language": "", "published_year": None, "authors": [], "subjects": []},
    {**GOOD, "title": ""},
    {**GOOD, "title": "   "},
    {**GOOD, "title": "x" * 501},
    {**GOOD, "title": "x" * 500},
    {**GOOD, "title": "bad\x00nul"},
    {**GOOD, "title": "bell\x07"},
    {**GOOD, "title": "lone \ud800 surrogate"},
    {**GOOD, "title": "\ufeffBOM"},
    {**GOOD, "title": "C1 \x85 control"},
    {**GOOD, "description": "tab\tand\r\nnewlines"},
    {**GOOD, "description": "form\x0cfeed"},
    {**GOOD, "subtitle": "new\nline"},
    {**GOOD, "published_year": 999},
    {**GOOD, "published_year": 2101},
    {**GOOD, "published_year": 1000},
    {**GOOD, "published_year": "c1974"},
    {**GOOD, "published_year": True},
    {**GOOD, "published_year": 1974.0},
    {**GOOD, "language": "xx"},
    {**GOOD, "language": "eng"},
    {**GOOD, "language": "Fr"},
    {**GOOD, "authors": [{"name": "   "}]},
    {**GOOD, "authors": [{"name": "y" * 301}]},
    {**GOOD, "authors": [{"name": f"Author {i}"} for i in range(51)]},
    {**GOOD, "authors": [{"name": f"Author {i}"} for i in range(50)]},
    {**GOOD, "subjects": ["s" * 101]},
    {**GOOD, "subjects": [f"Subject {i}" for i in range(31)]},
    {**GOOD, "subjects": [" "]},
    {**GOOD, "publisher": 42},
    {**GOOD, "edition": "e" * 101},
    {**GOOD, "call_number": "Dewey\x1f"},
    {**GOOD, "title": "Éléphant — naïve café", "authors": [{"name": "Zoë Ångström"}]},
]


def _load(loader, payload):
    try:
        return "ok", loader(payload)
    except Exception as error:  # noqa: BLE001 - the two must fail alike
        return type(error).__name__, getattr(error, "messages", str(error))


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_the_fast_rules_load_exactly_what_the_schema_loads(payload):
    schema = BookIn(exclude=("isbn",))
    assert _load(records.FastLoad(schema).load, payload) == _load(schema.load, payload)


def test_the_isbn_13_fast_path_agrees_with_stdnum():
    rng = random.Random(20261130)
    values = ["9780306406157", "9780306406158", "9790000000001", "9770000000000", "978030640615", "97803064061570",
              "978-0-306-40615-7", "９７８０３０６４０６１５７", "978030640615X"]
    values += [rng.choice(("978", "979", "977")) + "".join(rng.choice("0123456789") for _ in range(10))
               for _ in range(5000)]
    for value in values:
        try:
            expected = stdnum_isbn.to_isbn13(stdnum_isbn.validate(value))
        except Exception:  # noqa: BLE001
            expected = "invalid"
        try:
            got = isbn.normalize(value)
        except isbn.InvalidISBN:
            got = "invalid"
        assert got == expected, value


@pytest.mark.parametrize("value", ["Plain ASCII Title", "Éléphant naïve", "ﬁ ligature", "Straße", "", "MIXED case 42"])
def test_the_ascii_fast_path_of_normalize_is_the_same_rule(value):
    import unicodedata

    slow = "".join(ch for ch in unicodedata.normalize("NFKD", value) if not unicodedata.combining(ch)).lower()
    assert search.normalize(value) == slow


def _record(number, title, authors, subjects=(), isbn_=None):
    return Record(number, values={"title": title, "authors": list(authors), "subjects": list(subjects)},
                  isbns=[isbn_] if isbn_ else [])


def test_an_import_among_books_written_by_hand_links_every_row_and_keeps_the_index_live(app, anon):
    """Ids handed out in blocks after books the app wrote; authors and subjects matched case-insensitively, each
    batch's looked up afresh; the triggers the import set aside are back afterwards: an edit after the import
    reaches the search index."""
    with app.app_context():
        db.session.add(Book(title="Written by hand"))
        db.session.add(Author(name="Ursula K. Le Guin", sort_name="Le Guin, Ursula K."))
        db.session.commit()
        before_triggers = sorted(db.session.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'" if db.engine.dialect.name == "sqlite" else
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())
        rows = [_record(i, f"Imported book {i}", [f"Author {i % 7}", "ursula k. le guin"], [f"Topic {i % 5}"])
                for i in range(1, 41)]
        after = importer.last_book_id()
        report = importer.plan_and_write(iter(rows), batch_size=8)
        importer.finish(after)
        db.session.commit()
        assert report.added == 40 and report.invalid == 0
        assert db.session.scalar(select(func.count()).select_from(Author)) == 8  # 7 new, Le Guin once
        assert db.session.scalar(select(func.count()).select_from(Subject)) == 5
        assert db.session.scalar(select(func.count()).select_from(BookAuthor)) == 80
        ids = db.session.scalars(select(Book.id).where(Book.title.like("Imported%")).order_by(Book.id)).all()
        assert ids == list(range(ids[0], ids[0] + 40)) and ids[0] > after
        after_triggers = sorted(db.session.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'" if db.engine.dialect.name == "sqlite" else
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())
        assert after_triggers == before_triggers
        book = db.session.get(Book, ids[-1])
        book.title = "Renamed zanzibarite"
        db.session.commit()
    found = anon.get("/api/v1/books?q=zanzibarite").get_json()["items"]
    assert [b["id"] for b in found] == [ids[-1]]
    hit = anon.get("/api/v1/books?q=%22imported%20book%207%22").get_json()["items"][0]
    assert [a["name"] for a in hit["authors"]] == ["Author 0", "Ursula K. Le Guin"] and hit["subjects"] == ["Topic 2"]


def test_names_another_writer_adds_or_removes_between_batches_are_read_afresh(app):
    """An import takes minutes, and the desk goes on meanwhile: a librarian saves a book by an author new to the
    catalog, or merges an author away. Each batch looks its names up again: a name someone else has just created is
    linked, not inserted a second time (which the unique index refuses, failing the import), and a name deleted
    since the import began is created again (a remembered id would fail the book's link to it)."""
    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    with app.app_context():
        db.session.add_all([Author(name="Gone Soon", sort_name="Soon, Gone"), Subject(name="Gone topic")])
        db.session.commit()

        def rows():
            for number in range(1, 17):
                if number == 9:  # the first batch (8 records) is committed: another writer's turn
                    with Session(db.engine) as other:
                        other.add_all([Author(name="Arrived Meanwhile", sort_name="Meanwhile, Arrived"),
                                       Subject(name="arrived topic")])
                        other.execute(delete(Author).where(Author.name == "Gone Soon"))
                        other.execute(delete(Subject).where(Subject.name == "Gone topic"))
                        other.commit()
                later = number > 8
                yield _record(number, f"Book {number}", ["ARRIVED MEANWHILE", "Gone Soon"] if later else ["Early"],
                              ["Arrived Topic", "gone topic"] if later else ["Early topic"])

        report = importer.plan_and_write(rows(), batch_size=8)
        db.session.commit()
        assert report.added == 16
        authors = dict(db.session.execute(select(Author.name, func.count(BookAuthor.book_id)).outerjoin(
            BookAuthor).group_by(Author.name)).all())
        assert authors == {"Early": 8, "Arrived Meanwhile": 8, "Gone Soon": 8}
        subjects = db.session.scalars(select(Subject.name).order_by(Subject.name)).all()
        assert subjects == ["Early topic", "arrived topic", "gone topic"]


def test_an_imported_name_finds_the_catalog_s_whatever_its_letters_case(app):
    """Names are matched ignoring case, accented capitals too: "ÉMILE ZOLA" and "Émile Zola" in the file are the
    catalog's "émile zola" (SQLite's own lower() folds only ASCII letters), and "Science FICTION" its "science
    fiction"."""
    with app.app_context():
        db.session.add_all([Author(name="émile zola", sort_name="zola, émile"), Subject(name="science fiction")])
        db.session.commit()
        rows = [_record(1, "Germinal", ["ÉMILE ZOLA"], ["Science FICTION"]),
                _record(2, "Nana", ["Émile Zola"], ["science fiction"])]
        report = importer.plan_and_write(iter(rows), batch_size=1)
        db.session.commit()
        assert report.added == 2
        assert db.session.execute(select(Author.name, func.count(BookAuthor.book_id)).outerjoin(BookAuthor)
                                  .group_by(Author.name)).all() == [("émile zola", 2)]
        assert db.session.scalars(select(Subject.name)).all() == ["science fiction"]


def test_a_batch_and_a_book_saved_with_the_same_new_author_meet_without_a_duplicate(app, database_url):
    """A librarian saves a book by an author new to the catalog while an import's batch brings the same author: the
    batch waits for the save (PostgreSQL: the names' advisory lock, which a save holds while it creates one; SQLite:
    the write lock), then finds the author and links it. One author, the import not failed on the unique index."""
    import threading
    import time

    from sqlalchemy import create_engine

    from library.services import catalog

    postgres = database_url.startswith("postgresql")
    reports, errors = [], []

    def run_import():
        try:
            with app.app_context():
                reports.append(importer.plan_and_write(iter([_record(1, "Imported", ["arrived meanwhile"])])))
                db.session.commit()
        except Exception as error:  # noqa: BLE001 - asserted below
            errors.append(error)

    importing = threading.Thread(target=run_import)
    with app.app_context():  # the librarian's save, as _resolve_authors makes a new author
        catalog.claim_names("author", ["Arrived Meanwhile"])
        db.session.add(Author(name="Arrived Meanwhile", sort_name="Meanwhile, Arrived"))
        db.session.flush()
        importing.start()
        if postgres:
            engine = create_engine(database_url)
            try:
                with engine.connect() as watcher:
                    wait_for_a_lock_wait(watcher, "wait_event = 'advisory'", alive=importing.is_alive)
            finally:
                engine.dispose()
        else:
            time.sleep(0.5)  # the batch's first write waits for the write lock (the busy timeout is longer)
            assert importing.is_alive(), errors
        db.session.commit()
    importing.join(30)
    assert not errors and reports[0].added == 1
    with app.app_context():
        assert db.session.execute(select(Author.name, func.count(BookAuthor.book_id)).outerjoin(BookAuthor)
                                  .group_by(Author.name)).all() == [("Arrived Meanwhile", 1)]


def test_a_batch_that_fails_leaves_nothing_and_the_triggers_in_place(app):
    """A batch is one transaction: when it fails (here a duplicate ISBN the database refuses), its rows and the
    set-aside triggers roll back together."""
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Book))
        writer = importer.Writer("add_anyway")
        entries = [records.check(_record(i, f"Clash {i}", ["Someone"], isbn_="9780306406157")) for i in (1, 2)]
        decisions = [importer.Decision(entry, "new") for entry in entries]
        with pytest.raises(Exception):  # noqa: B017 - IntegrityError from either driver
            writer.write(decisions, importer.Report())
            db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Book)) == count
        if db.engine.dialect.name == "sqlite":
            names = set(db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
            assert {"book_search_book_ai", "book_redirect_book_ai"} <= names
