"""The collection's tally (collection_tally, kept by triggers; migration 0019_collection_tally) on SQLite and
PostgreSQL: after every kind of write that moves a copy between groups (circulation, status changes, copies added,
deleted and merged, a book's language, year and subjects changed, by the app or by hand in SQL, bulk imports, the
demo history, anonymising) it equals a count made from scratch from copy, book and book_subject; and the collection
panels count whole months."""

from collections import Counter
from datetime import date, datetime, timezone

from flask_migrate import downgrade, upgrade
from sqlalchemy import bindparam, select, text

from library.extensions import db
from library.models import CollectionTally
from library.models.stats import NEVER_LENT, pause_stats, recount_tally, resume_stats, tally_new_copies
from library.models.types import UTCDateTime
from library.services import bookcsv, importer, imports, privacy

from .test_circulation import clock, desk  # noqa: F401 - fixtures
from .test_stats import at, lend


def reference_count() -> Counter:
    """(dimension, group, on loan, month of the last loan) -> copies, counted from the copies themselves."""
    copies = db.session.execute(text(
        "SELECT c.book_id, c.status, c.last_loaned_at, b.language, b.published_year FROM copy c "
        "JOIN book b ON b.id = c.book_id WHERE c.status NOT IN ('lost', 'withdrawn')"
    ).columns(last_loaned_at=UTCDateTime)).all()
    subjects: dict = {}
    for book_id, subject_id in db.session.execute(text("SELECT book_id, subject_id FROM book_subject")):
        subjects.setdefault(book_id, []).append(str(subject_id))
    counted: Counter = Counter()
    for book_id, status, last, language, year in copies:
        month = date(last.year, last.month, 1) if last else NEVER_LENT
        groups = [("language", language or ""), ("decade", "" if year is None else str(year // 10 * 10))]
        groups += [("subject", subject) for subject in subjects.get(book_id, [])]
        for dimension, group in groups:
            counted[dimension, group, status == "on_loan", month] += 1
    return counted


def tally() -> Counter:
    rows = db.session.execute(select(CollectionTally.dimension, CollectionTally.grp, CollectionTally.on_loan,
                                     CollectionTally.lent_month, CollectionTally.copies)).all()
    assert all(row.copies >= 0 for row in rows), rows
    return Counter({tuple(row[:4]): row.copies for row in rows if row.copies})


def assert_tally_right(app, what):
    with app.app_context():
        expected = reference_count()
        assert tally() == expected, what
        return expected


def test_the_tally_follows_circulation_edits_merges_and_sql_by_hand(app, desk, clock):
    (dune, (d1, d2)) = desk.book_with_copies(2, language="en", published_year=1965, subjects=["Science fiction"])
    (other, (o1,)) = desk.book_with_copies(1, language="fr", published_year=1968, subjects=["Fiction", "Classics"])
    (bare, (b1,)) = desk.book_with_copies(1, language=None, published_year=None, subjects=[])
    assert_tally_right(app, "copies added")
    card = desk.member()["card_number"]
    lend(desk, clock, d1, card, "2026-10-05T10:00")
    assert_tally_right(app, "checkout")
    lend(desk, clock, o1, card, "2026-11-02T10:00", back="2026-11-03T10:00")
    lend(desk, clock, b1, card, "2025-01-02T10:00", back="2025-01-09T10:00")
    assert_tally_right(app, "returns")
    at(clock, "2026-11-10T10:00")
    assert desk.give_back(d1["barcode"]).status_code == 200
    for status in ("lost", "available", "withdrawn", "available"):
        assert desk.patch(f"/api/v1/copies/{d2['id']}", json={"status": status}).status_code == 200
        assert_tally_right(app, f"copy {status}")
    added = desk.add_copy(bare["id"])
    assert desk.delete(f"/api/v1/copies/{added['id']}").status_code == 204
    assert_tally_right(app, "copy added and deleted")
    assert desk.patch(f"/api/v1/books/{dune['id']}", json={"language": "de", "published_year": 1971}).status_code == 200
    assert_tally_right(app, "language and year changed")
    assert desk.patch(f"/api/v1/books/{dune['id']}", json={"published_year": 1979}).status_code == 200
    assert desk.patch(f"/api/v1/books/{bare['id']}", json={"language": "it"}).status_code == 200
    assert_tally_right(app, "a year in the same decade; a language where there was none")
    assert desk.patch(f"/api/v1/books/{dune['id']}", json={"subjects": ["Science fiction", "Classics"]}).status_code == 200
    assert desk.patch(f"/api/v1/books/{other['id']}", json={"subjects": ["Classics"]}).status_code == 200
    assert_tally_right(app, "subjects added and removed")
    assert desk.post(f"/api/v1/books/{dune['id']}/merge", json={"from": [other["id"]]}).status_code == 200
    counted = assert_tally_right(app, "copies moved by a merge")
    assert counted[("language", "de", False, date(2026, 11, 1))] == 1  # o1, merged in
    assert counted[("language", "de", False, date(2026, 10, 1))] == 1  # d1
    with app.app_context():
        member_id = db.session.scalar(text("SELECT id FROM member WHERE card_number = :card"), {"card": card})
        privacy.forget(member_id)
        db.session.commit()
    assert_tally_right(app, "anonymised")
    with app.app_context():  # by hand, as a librarian fixing data in SQL would
        db.session.execute(text("UPDATE copy SET status = 'lost' WHERE id = :id"), {"id": d1["id"]})
        db.session.execute(text("UPDATE book SET language = NULL, published_year = 2003 WHERE id = :id"),
                           {"id": dune["id"]})
        db.session.execute(text("DELETE FROM book_subject WHERE book_id = :id"), {"id": dune["id"]})
        db.session.execute(text("UPDATE copy SET book_id = :to WHERE id = :id"), {"to": bare["id"], "id": d2["id"]})
        db.session.execute(text("DELETE FROM subject WHERE name = 'Science fiction'"))
        db.session.commit()
    assert_tally_right(app, "written in SQL")


def test_bulk_import_demo_history_and_the_recount_keep_the_tally(app, desk, tmp_path):
    desk.book_with_copies(2, language="en", published_year=1990, subjects=["Fiction"])
    rows = ["title,authors,year,language,subjects,barcodes"]
    rows += [f"Imported {n},Author {n % 3},{1950 + n},{'en' if n % 2 else 'fr'},Fiction;Topic {n % 4},"
             f"IMP{n}A;IMP{n}B" for n in range(30)]
    rows.append("No year,Someone,,,,IMPX")
    (tmp_path / "books.csv").write_text("\n".join(rows) + "\n")
    path = tmp_path / "books.csv"
    with app.app_context(), open(path, "rb") as binary:  # as flask import-books does, in batches of 8
        mapping = bookcsv.suggest_mapping(bookcsv.read_header(binary)[0])
        after = importer.last_book_id()
        report = importer.plan_and_write(imports.records_of("csv", path, mapping), batch_size=8)
        importer.finish(after)
        db.session.commit()
        assert report.added == 31 and report.copies_added == 61
    counted = assert_tally_right(app, "after an import")
    assert sum(n for (dimension, *_), n in counted.items() if dimension == "language") == 63
    with app.app_context():  # copies whose ids are not one block, written while the triggers are paused
        book_id = db.session.scalar(text("SELECT min(id) FROM book"))
        pause_stats(db.session.connection())
        for copy_id, status in ((900001, "available"), (900005, "on_loan"), (900007, "lost")):
            db.session.execute(text("INSERT INTO copy (id, book_id, barcode, status, created_at, updated_at) "
                                    "VALUES (:id, :book, :barcode, :status, :now, :now)").bindparams(
                bindparam("now", type_=UTCDateTime)), {"id": copy_id, "book": book_id, "barcode": f"X{copy_id}",
                                                       "status": status, "now": datetime.now(timezone.utc)})
        tally_new_copies(db.session.connection(), [900001, 900005, 900007])
        resume_stats(db.session.connection())
        db.session.commit()
    assert_tally_right(app, "copies added by tally_new_copies")
    result = app.test_cli_runner().invoke(args=["seed-demo", "--history", "--history-days", "120"])
    assert result.exit_code == 0, result.output
    counted = assert_tally_right(app, "after the demo history")
    assert any(on_loan for (_d, _g, on_loan, _m) in counted) and any(m != NEVER_LENT for (*_x, m) in counted)
    with app.app_context():
        db.session.execute(text("UPDATE collection_tally SET copies = copies + 5"))
        recount_tally(db.session.connection())
        db.session.commit()
        assert db.session.scalar(text("SELECT count(*) FROM collection_tally WHERE copies = 0")) == 0
    assert_tally_right(app, "recounted")


def test_the_migration_backfills_the_tally_from_the_copies(app, desk, clock):
    (_book, (c1, _c2)) = desk.book_with_copies(2, language="en", published_year=2011, subjects=["Poetry", "Fiction"])
    lend(desk, clock, c1, desk.member()["card_number"], "2026-03-04T10:00")
    with app.app_context():
        expected = reference_count()
        db.session.remove()  # (SQLite: the migration writes on a connection of its own)
        downgrade(revision="0018_languages")
        db.session.execute(text("UPDATE copy SET status = 'withdrawn' WHERE id = :id"), {"id": _c2["id"]})
        db.session.commit()
        db.session.remove()
        upgrade()
        assert tally() == reference_count() != expected
        assert tally()[("decade", "2010", True, date(2026, 3, 1))] == 1


def test_lent_in_the_last_months_counts_whole_months(desk, clock):
    """On 30 November 2026, 12 months are from 1 November 2025: a copy lent on 31 October 2025 was not lent in
    them, one lent on 1 November 2025 and one lent this month were; one out now counts as on loan."""
    _book, (october, november, today, never) = desk.book_with_copies(4, language="en", published_year=2020)
    card = desk.member()["card_number"]
    lend(desk, clock, october, card, "2025-10-31T23:59", back="2025-11-03T10:00")
    lend(desk, clock, november, card, "2025-11-01T00:01", back="2025-11-20T10:00")
    lend(desk, clock, today, card, "2026-11-30T08:00")
    at(clock, "2026-11-30T18:00")
    body = desk.get("/api/v1/stats/collection?by=language&months=12").get_json()
    assert body["since"] == "2025-11-01T00:00:00+00:00"
    assert body["items"] == [{"group": "en", "copies": 4, "on_loan": 1, "lent": 2}]
    body = desk.get("/api/v1/stats/collection?by=decade&months=13").get_json()
    assert body["since"] == "2025-10-01T00:00:00+00:00" and body["items"][0]["lent"] == 3
    body = desk.get("/api/v1/stats/collection?by=decade&months=1").get_json()
    assert body["since"] == "2026-10-01T00:00:00+00:00" and body["items"] == [
        {"group": "2020", "copies": 4, "on_loan": 1, "lent": 1}]
    at(clock, "2026-12-01T00:00")  # a new month: the window moves on by a month
    body = desk.get("/api/v1/stats/collection?by=language&months=12").get_json()
    assert body["since"] == "2025-12-01T00:00:00+00:00" and body["items"][0]["lent"] == 1
    assert desk.patch(f"/api/v1/copies/{never['id']}", json={"status": "withdrawn"}).status_code == 200
    assert desk.get("/api/v1/stats/collection?by=subject").get_json()["items"][0]["copies"] == 3
