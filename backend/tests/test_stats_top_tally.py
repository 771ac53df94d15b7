"""The most borrowed read loan_book_day (loans per UTC day and book, kept by triggers on loan and copy) and loan_tally
(per month and year of each book, author and subject, kept by triggers on loan_book_day and the author and subject
links), on SQLite and PostgreSQL: after each kind of write (checkout, return, renewal, a loan changed or deleted by
hand, a merge moving copies with loans, authors and subjects changed or merged, the demo's history, a member's history
anonymised, the migration's backfill) both tables equal a count from scratch of the loans and their copies' books, and
the panels say what a librarian expects over any period."""

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select, text, update

from library.extensions import db
from library.models import Book, BookAuthor, Copy, Loan, LoanBookDay, LoanTally
from library.models.catalog import book_subjects
from library.services import stats

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


def spans_tallied(app) -> dict:
    with app.app_context():
        rows = db.session.execute(select(LoanTally.kind, LoanTally.span, LoanTally.start, LoanTally.key_id,
                                         LoanTally.loans)).all()
        return {(kind, span, str(start), key): loans for kind, span, start, key, loans in rows}


def spans_counted(app) -> dict:
    """From scratch: each loan counted for its month and year, for its copy's book and that book's authors and
    subjects as linked now."""
    with app.app_context():
        loans = db.session.execute(select(Loan.loaned_at, Copy.book_id).join(Copy, Copy.id == Loan.copy_id)).all()
        authors, subjects = {}, {}
        for book, author in db.session.execute(select(BookAuthor.book_id, BookAuthor.author_id)):
            authors[book] = authors.get(book, ()) + (author,)
        for book, subject in db.session.execute(select(book_subjects.c.book_id, book_subjects.c.subject_id)):
            subjects[book] = subjects.get(book, ()) + (subject,)
    count = Counter()
    for loaned_at, book in loans:
        day = loaned_at.date()
        for span, start in (("month", day.replace(day=1)), ("year", date(day.year, 1, 1))):
            keys = [("book", book)] + [("author", a) for a in authors.get(book, ())] \
                + [("subject", s) for s in subjects.get(book, ())]
            count.update((kind, span, str(start), key) for kind, key in keys)
    return dict(count)


def assert_tally(app) -> dict:
    tally = tallied(app)
    assert tally == counted(app)
    assert all(loans > 0 for loans in tally.values())
    spans = spans_tallied(app)
    assert spans == spans_counted(app)
    assert all(loans > 0 for loans in spans.values())
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


def test_a_cover_of_days_months_and_years_adds_up_to_each_day_of_the_period_once():
    """Whatever the period and the days holding loans, the terms (each added or taken away) count each day of the
    period that holds loans exactly once and no other day that does."""
    rng = random.Random(20261201)
    origin = date(2022, 1, 1)
    for _ in range(400):
        held = sorted(origin + timedelta(days=rng.randrange(1700)) for _ in range(2))
        held = (held[0], held[1] + timedelta(days=1))
        start = origin + timedelta(days=rng.randrange(-40, 1750))
        end = start + timedelta(days=rng.choice([1, 2, 7, 30, 31, 45, 90, 365, 366, 400, 800, rng.randrange(1, 1500)]))
        for kind in stats.TOP_KINDS:
            cost, terms = stats.cover(start, end, kind, held)
            times = Counter()
            for term in terms:
                assert term.start < term.end and term.span in stats.SPANS
                assert term.start == stats._floor(term.start, term.span)
                day = term.start
                while day < term.end:
                    times[day] += term.sign
                    day += timedelta(days=1)
            day = held[0]
            while day < held[1]:
                assert times[day] == (1 if start <= day < end else 0), (start, end, held, kind, terms)
                day += timedelta(days=1)
            assert cost <= (min(end, held[1]) - max(start, held[0])).days * stats.SPAN_COST[kind][0] or cost == 0


def test_a_long_period_reads_months_and_years_not_every_day():
    held = (date(2022, 12, 1), date(2026, 12, 1))
    _, terms = stats.cover(date(2025, 12, 1), date(2026, 12, 1), "titles", held)  # the last 12 months on 30 November
    assert sorted((t.sign, t.span, str(t.start), str(t.end)) for t in terms) == [
        (1, "month", "2025-12-01", "2026-01-01"), (1, "year", "2026-01-01", "2027-01-01")]
    _, terms = stats.cover(date(2025, 11, 30), date(2026, 12, 1), "subjects", held)
    assert sorted((t.sign, t.span, str(t.start), str(t.end)) for t in terms) == [
        (1, "day", "2025-11-30", "2025-12-01"), (1, "month", "2025-12-01", "2026-01-01"),
        (1, "year", "2026-01-01", "2027-01-01")]  # the day before the months is read as a day
    _, terms = stats.cover(date(2026, 11, 16), date(2026, 11, 23), "titles", held)  # a week: its days
    assert [(t.sign, t.span) for t in terms] == [(1, "day")]


def test_any_period_over_years_of_history_matches_a_count_from_scratch(app, desk, clock):
    at(clock, "2026-11-30T18:00")
    result = app.test_cli_runner().invoke(args=["seed-demo", "--history", "--history-days", "800"])
    assert result.exit_code == 0, result.output
    assert_tally(app)
    with app.app_context():
        loans = db.session.execute(select(Loan.loaned_at, Copy.book_id).join(Copy, Copy.id == Loan.copy_id)).all()
        authors = db.session.execute(select(BookAuthor.book_id, BookAuthor.author_id)).all()
        subjects = db.session.execute(select(book_subjects.c.book_id, book_subjects.c.subject_id)).all()
    keys = {"titles": {}, "authors": {}, "subjects": {}}
    for _, book in loans:
        keys["titles"][book] = (book,)
    for kind, links in (("authors", authors), ("subjects", subjects)):
        for book, key in links:
            keys[kind][book] = keys[kind].get(book, ()) + (key,)
    first = min(loaned_at for loaned_at, _ in loans).date()
    rng = random.Random(7)
    periods = [(date(2025, 12, 1), date(2026, 11, 30)), (date(2025, 11, 30), date(2026, 11, 30)),
               (first - timedelta(days=3), date(2026, 12, 31)), (date(2025, 1, 1), date(2025, 12, 31)),
               (date(2025, 2, 15), date(2026, 2, 14)), (date(2026, 11, 16), date(2026, 11, 22))]
    periods += [(start, start + timedelta(days=rng.randrange(1, 800)))
                for start in (first + timedelta(days=rng.randrange(-20, 820)) for _ in range(14))]
    for start, end in periods:
        for kind in stats.TOP_KINDS:
            expected = Counter(key for loaned_at, book in loans if start <= loaned_at.date() <= end
                               for key in keys[kind].get(book, ()))
            ranked = sorted(expected.items(), key=lambda item: (-item[1], item[0]))[:100]
            response = desk.get(f"/api/v1/stats/top?kind={kind}&from={start}&to={end}&limit=100")
            assert response.status_code == 200, response.get_json()
            got = [(item["id"], item["loans"]) for item in response.get_json()["items"]]
            assert got == ranked, (kind, start, end)


def test_authors_and_subjects_changed_or_merged_take_their_books_long_counts_along(desk, clock, shelf):
    (dune, dune_copies), (_, (emma_copy,)) = shelf["dune"], shelf["emma"]
    card = shelf["card"]
    app = desk.application
    # Dune lent in three months of two years, Emma once.
    lend(desk, clock, dune_copies[0], card, "2025-12-30T10:00", back="2026-01-02T10:00")
    lend(desk, clock, dune_copies[0], card, "2026-01-05T10:00", back="2026-01-06T10:00")
    lend(desk, clock, dune_copies[1], card, "2026-03-05T10:00", back="2026-03-06T10:00")
    lend(desk, clock, emma_copy, card, "2026-03-07T10:00", back="2026-03-08T10:00")
    at(clock, "2026-11-30T10:00")
    year = "from=2025-12-01&to=2026-11-30"
    assert_tally(app)
    assert top(desk, "authors", year) == [("Frank Herbert", 3), ("Jane Austen", 1)]

    # A second author and a new subject on Dune; then its first author unlinked and a subject removed.
    changed = desk.patch(f"/api/v1/books/{dune['id']}", json={
        "authors": [{"name": "Frank Herbert"}, {"name": "Brian Herbert"}], "subjects": ["Science fiction", "Ecology"]})
    assert changed.status_code == 200, changed.get_json()
    assert_tally(app)
    assert top(desk, "authors", year) == [("Frank Herbert", 3), ("Brian Herbert", 3), ("Jane Austen", 1)]
    assert dict(top(desk, "subjects", year))["Ecology"] == 3
    changed = desk.patch(f"/api/v1/books/{dune['id']}", json={"authors": [{"name": "Brian Herbert"}],
                                                              "subjects": ["Ecology"]})
    assert changed.status_code == 200, changed.get_json()
    assert_tally(app)
    assert top(desk, "authors", year) == [("Brian Herbert", 3), ("Jane Austen", 1)]
    assert top(desk, "subjects", year) == [("Ecology", 3), ("Classics", 1), ("Fiction", 1)]

    # Jane Austen typed twice: the duplicate merged into her takes its book's loans along.
    typo, (typo_copy,) = desk.book_with_copies(1, title="Persuasion", authors=[{"name": "Jane Austin"}])
    lend(desk, clock, typo_copy, card, "2026-02-10T10:00", back="2026-02-11T10:00")
    at(clock, "2026-11-30T10:00")
    with app.app_context():
        ids = dict(db.session.execute(text("SELECT name, id FROM author")).all())
    merged = desk.post(f"/api/v1/authors/{ids['Jane Austen']}/merge", json={"duplicate_id": ids["Jane Austin"]})
    assert merged.status_code == 200, merged.get_json()
    assert_tally(app)
    assert top(desk, "authors", year) == [("Brian Herbert", 3), ("Jane Austen", 2)]
    assert top(desk, "authors", "from=2026-02-01&to=2026-02-28") == [("Jane Austen", 1)]
