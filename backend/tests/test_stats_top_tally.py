"""The most borrowed read loan_book_day (loans per UTC day and book, kept by triggers on loan and copy), on SQLite and
PostgreSQL: after each kind of write (checkout, return, renewal, a loan changed or deleted by hand, a merge moving
copies with loans, the demo's history, a member's history anonymised, the migration's backfill) the table equals a
count from scratch of the loans and their copies' books, and the panels say what a librarian expects."""

from collections import Counter

import pytest
from sqlalchemy import delete, func, select, text, update

from library.extensions import db
from library.models import Book, Copy, Loan, LoanBookDay

from .test_circulation import clock, desk  # noqa: F401 - fixtures
from .test_privacy import reader  # noqa: F401 - fixture
from .test_stats import at, lend

WEEK = "from=2026-11-16&to=2026-11-22"


def tallied(app) -> dict:
    with app.app_context():
        rows = db.session.execute(select(LoanBookDay.day, LoanBookDay.book_id, LoanBookDay.loans)).all()
        return {(str(day), book): loans for day, book, loans in rows}


def counted(app) -> dict:
    """From scratch: each loan counted for the UTC day it was made and its copy's book."""
    with app.app_context():
        loans = db.session.execute(select(Loan.loaned_at, Copy.book_id).join(Copy, Copy.id == Loan.copy_id)).all()
        return dict(Counter((loaned_at.date().isoformat(), book) for loaned_at, book in loans))


def assert_tally(app) -> dict:
    tally = tallied(app)
    assert tally == counted(app)
    assert all(loans > 0 for loans in tally.values())
    return tally


def top(desk, kind, period=WEEK):
    response = desk.get(f"/api/v1/stats/top?kind={kind}&{period}")
    assert response.status_code == 200, response.get_json()
    return [(item["name"], item["loans"]) for item in response.get_json()["items"]]


@pytest.fixture
def shelf(desk):
    """Three books: Dune (two copies), Emma and Kindred; and a member's card."""
    dune = desk.book_with_copies(2, title="Dune", authors=[{"name": "Frank Herbert"}], subjects=["Science fiction"])
    emma = desk.book_with_copies(1, title="Emma", authors=[{"name": "Jane Austen"}], subjects=["Classics", "Fiction"])
    kindred = desk.book_with_copies(1, title="Kindred", authors=[{"name": "Octavia E. Butler"}],
                                    subjects=["Fiction"])
    return {"dune": dune, "emma": emma, "kindred": kindred, "card": desk.member(name="Ann Reader")["card_number"]}


def test_checkouts_returns_and_renewals_count_for_the_day_and_book(desk, clock, shelf):
    (dune, dune_copies), (emma, (emma_copy,)), (_, (kindred_copy,)) = shelf["dune"], shelf["emma"], shelf["kindred"]
    card = shelf["card"]
    app = desk.application
    assert assert_tally(app) == {}
    # Dune lent three times this week (one at the last second of Monday, one at midnight on Tuesday), Emma twice
    # (once last week), Kindred once.
    lend(desk, clock, dune_copies[0], card, "2026-11-16T23:59:59", back="2026-11-17T00:00:00")
    lend(desk, clock, dune_copies[1], card, "2026-11-17T00:00:00")
    lend(desk, clock, dune_copies[0], card, "2026-11-18T10:00", back="2026-11-19T10:00")
    lend(desk, clock, emma_copy, card, "2026-11-12T10:00", back="2026-11-13T10:00")
    lend(desk, clock, emma_copy, card, "2026-11-19T10:00")
    lend(desk, clock, kindred_copy, card, "2026-11-20T10:00")
    tally = assert_tally(app)
    assert tally[("2026-11-16", dune["id"])] == 1 and tally[("2026-11-17", dune["id"])] == 1
    assert tally[("2026-11-12", emma["id"])] == 1

    at(clock, "2026-11-21T09:00")
    loans = desk.get("/api/v1/loans?active=true").get_json()["items"]
    renewed = next(loan for loan in loans if loan["copy_id"] == emma_copy["id"])
    assert desk.post(f"/api/v1/loans/{renewed['id']}/renew").status_code == 200  # a renewal is not a new loan
    assert desk.give_back(kindred_copy["barcode"]).status_code == 200
    assert assert_tally(app) == tally

    assert top(desk, "titles") == [("Dune", 3), ("Emma", 1), ("Kindred", 1)]
    assert top(desk, "authors") == [("Frank Herbert", 3), ("Jane Austen", 1), ("Octavia E. Butler", 1)]
    assert top(desk, "subjects") == [("Science fiction", 3), ("Fiction", 2), ("Classics", 1)]
    assert top(desk, "titles", "from=2026-11-17&to=2026-11-17") == [("Dune", 1)]  # the UTC day, both ends
    assert top(desk, "titles", "from=2026-11-01&to=2026-11-30")[:2] == [("Dune", 3), ("Emma", 2)]
    assert top(desk, "titles", "from=2026-10-01&to=2026-10-31") == []


def test_loans_moved_or_deleted_by_hand_move_their_counts(desk, clock, shelf):
    (dune, dune_copies), (emma, (emma_copy,)), (kindred, _) = shelf["dune"], shelf["emma"], shelf["kindred"]
    card = shelf["card"]
    app = desk.application
    lend(desk, clock, dune_copies[0], card, "2026-11-16T10:00", back="2026-11-16T12:00")
    lend(desk, clock, dune_copies[0], card, "2026-11-16T14:00", back="2026-11-16T16:00")
    lend(desk, clock, emma_copy, card, "2026-11-17T10:00", back="2026-11-17T12:00")
    at(clock, "2026-11-22T10:00")
    with app.app_context():
        (first, second, third), made = zip(*db.session.execute(select(Loan.id, Loan.loaned_at).order_by(Loan.id)))
        ids = first, second, third
        # Another day, another copy of another book, both at once; then a loan deleted.
        db.session.execute(update(Loan).where(Loan.id == ids[0]).values(loaned_at=made[0].replace(day=18)))
        db.session.commit()
    assert assert_tally(app)[("2026-11-18", dune["id"])] == 1
    with app.app_context():
        db.session.execute(update(Loan).where(Loan.id == ids[1]).values(copy_id=emma_copy["id"]))
        db.session.execute(update(Loan).where(Loan.id == ids[2]).values(
            copy_id=dune_copies[1]["id"], loaned_at=made[2].replace(day=20)))
        db.session.commit()
    assert assert_tally(app) == {("2026-11-18", dune["id"]): 1, ("2026-11-16", emma["id"]): 1,
                                 ("2026-11-20", dune["id"]): 1}
    assert top(desk, "titles") == [("Dune", 2), ("Emma", 1)]
    with app.app_context():
        db.session.execute(delete(Loan).where(Loan.id.in_(ids[:2])))
        db.session.commit()
    assert assert_tally(app) == {("2026-11-20", dune["id"]): 1}
    assert top(desk, "titles") == [("Dune", 1)] and top(desk, "subjects") == [("Science fiction", 1)]
    assert kindred["id"] not in {book for _, book in tallied(app)}


def test_a_merge_moves_the_copies_loans_to_the_surviving_book(desk, clock, shelf):
    (dune, dune_copies), (emma, (emma_copy,)) = shelf["dune"], shelf["emma"]
    card = shelf["card"]
    app = desk.application
    other, (other_copy,) = desk.book_with_copies(1, title="Dune", authors=[{"name": "Frank Herbert"}],
                                                 subjects=["Desert planets"])
    lend(desk, clock, dune_copies[0], card, "2026-11-16T10:00", back="2026-11-16T12:00")
    lend(desk, clock, other_copy, card, "2026-11-16T13:00", back="2026-11-16T15:00")  # the same day as the survivor
    lend(desk, clock, other_copy, card, "2026-11-17T10:00", back="2026-11-17T12:00")  # a day of its own
    lend(desk, clock, other_copy, card, "2026-11-18T10:00")  # still out
    for day in (19, 20):
        lend(desk, clock, emma_copy, card, f"2026-11-{day}T10:00", back=f"2026-11-{day}T12:00")
    at(clock, "2026-11-22T10:00")
    assert top(desk, "titles") == [("Dune", 3), ("Emma", 2), ("Dune", 1)]

    merged = desk.post(f"/api/v1/books/{dune['id']}/merge", json={"from": [other["id"]]})
    assert merged.status_code == 200, merged.get_json()
    tally = assert_tally(app)
    assert tally[("2026-11-16", dune["id"])] == 2 and other["id"] not in {book for _, book in tally}
    titles = desk.get(f"/api/v1/stats/top?kind=titles&{WEEK}").get_json()["items"]
    assert [(item["id"], item["loans"]) for item in titles] == [(dune["id"], 4), (emma["id"], 2)]
    assert top(desk, "authors") == [("Frank Herbert", 4), ("Jane Austen", 2)]
    # The merge joins the subjects: the other book's now counts the survivor's loans too (ties by id).
    assert top(desk, "subjects") == [("Science fiction", 4), ("Desert planets", 4), ("Classics", 2), ("Fiction", 2)]
    with app.app_context():
        assert db.session.get(Book, other["id"]) is None
    assert desk.give_back(other_copy["barcode"]).status_code == 200
    assert assert_tally(app) == tally


def test_demo_history_is_counted_once_for_all_and_forgetting_changes_no_count(app, desk, clock, reader):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--history", "--history-days", "60"])
    assert result.exit_code == 0, result.output
    tally = assert_tally(app)
    with app.app_context():
        assert sum(tally.values()) == db.session.scalar(select(func.count()).select_from(Loan)) > 200
        assert not db.session.scalar(text("SELECT count(*) FROM loan_stats_pause"))  # the triggers are back on

    # The triggers count again after the bulk writer: a loan and a member anonymising their history.
    book, (copy,) = desk.book_with_copies(1, title="Counted Anyway")
    card = reader.member["card_number"]
    lend(desk, clock, copy, card, "2026-11-16T10:00", back="2026-11-17T10:00")
    lend(desk, clock, copy, card, "2026-11-18T10:00", back="2026-11-19T10:00")
    lend(desk, clock, copy, card, "2026-11-20T10:00", back="2026-11-21T10:00")
    at(clock, "2026-11-22T10:00")
    before = assert_tally(app)
    assert before[("2026-11-16", book["id"])] == 1
    assert dict(top(desk, "titles", "from=2026-11-16&to=2026-11-21"))["Counted Anyway"] == 3
    turned = reader.patch("/api/v1/members/me/privacy", json={"keep_history": False})
    assert turned.status_code == 200 and turned.get_json()["forgotten"] == 3
    assert assert_tally(app) == before


def test_the_migration_counts_the_loans_already_there(app, desk, clock, shelf):
    from flask_migrate import downgrade, upgrade

    (dune, dune_copies), (emma, (emma_copy,)) = shelf["dune"], shelf["emma"]
    card = shelf["card"]
    lend(desk, clock, dune_copies[0], card, "2026-11-16T10:00", back="2026-11-16T12:00")
    lend(desk, clock, dune_copies[1], card, "2026-11-16T11:00")
    lend(desk, clock, emma_copy, card, "2026-11-17T23:59:59")
    expected = counted(app)
    assert expected == {("2026-11-16", dune["id"]): 2, ("2026-11-17", emma["id"]): 1}
    with app.app_context():
        db.session.remove()
        downgrade(revision="0018_languages")
        assert "loan_book_day" not in db.inspect(db.engine).get_table_names()
        upgrade()
        db.engine.dispose()
    assert assert_tally(app) == expected
    at(clock, "2026-11-18T10:00")
    assert desk.give_back(dune_copies[1]["barcode"]).status_code == 200
    lend(desk, clock, dune_copies[1], card, "2026-11-18T11:00")  # the triggers are there again
    assert assert_tally(app)[("2026-11-18", dune["id"])] == 1
