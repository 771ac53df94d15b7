"""The statistics dashboard's numbers on SQLite and PostgreSQL: loans made at known moments with the test clock,
then each panel checked against them (grouping, the year-earlier comparison, the period's edges)."""

import csv
import io
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from library.extensions import db
from library.models import Copy, Hold, Loan, LoanDay, Member

from .test_books import assert_problem
from .test_circulation import clock, desk  # noqa: F401 - fixtures


def at(clock, when):
    clock.now = datetime.fromisoformat(when).replace(tzinfo=timezone.utc)


def lend(desk, clock, copy, card, when, back=None):
    """A loan made at `when` and, with `back`, returned then."""
    at(clock, when)
    assert desk.checkout(copy["barcode"], card).status_code == 201
    if back:
        at(clock, back)
        assert desk.give_back(copy["barcode"]).status_code == 200


def column(items, key):
    return [item[key] for item in items]


def rows_of(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


# --- loans and returns over time --------------------------------------------------------------------

def test_loans_and_returns_by_day_week_and_month_beside_a_year_earlier(desk, clock):
    _book, copies = desk.book_with_copies(5)
    card = desk.member()["card_number"]
    # 52 weeks before Monday 2 November 2026 is Monday 3 November 2025: one loan then, back on the Wednesday.
    lend(desk, clock, copies[0], card, "2025-11-03T10:00", back="2025-11-05T16:00")
    lend(desk, clock, copies[0], card, "2026-11-02T09:30", back="2026-11-10T12:00")
    lend(desk, clock, copies[1], card, "2026-11-02T18:00")
    lend(desk, clock, copies[2], card, "2026-11-03T11:00")
    lend(desk, clock, copies[3], card, "2026-11-08T23:59:59", back="2026-11-09T00:00:00")  # each on its own day
    at(clock, "2026-11-20T12:00")

    days = desk.get("/api/v1/stats/circulation?from=2026-11-02&to=2026-11-08").get_json()
    assert (days["group"], days["from"], days["to"]) == ("day", "2026-11-02", "2026-11-08")
    assert (days["previous_from"], days["previous_to"]) == ("2025-11-03", "2025-11-09")
    items = days["items"]
    assert column(items, "start") == [f"2026-11-0{d}" for d in range(2, 9)] and items[0]["end"] == "2026-11-02"
    assert column(items, "previous_start")[:3] == ["2025-11-03", "2025-11-04", "2025-11-05"]
    assert column(items, "loans") == [2, 1, 0, 0, 0, 0, 1]
    assert column(items, "returns") == [0] * 7
    assert column(items, "previous_loans") == [1, 0, 0, 0, 0, 0, 0]
    assert column(items, "previous_returns") == [0, 0, 1, 0, 0, 0, 0]
    assert days["totals"] == {"loans": 4, "returns": 0, "previous_loans": 1, "previous_returns": 1}

    weeks = desk.get("/api/v1/stats/circulation?from=2026-11-01&to=2026-11-15&group=week").get_json()["items"]
    assert [(i["start"], i["end"]) for i in weeks] == [("2026-11-01", "2026-11-01"), ("2026-11-02", "2026-11-08"),
                                                      ("2026-11-09", "2026-11-15")]
    assert column(weeks, "loans") == [0, 4, 0] and column(weeks, "returns") == [0, 0, 2]
    assert column(weeks, "previous_loans") == [0, 1, 0] and column(weeks, "previous_returns") == [0, 1, 0]

    months = desk.get("/api/v1/stats/circulation?from=2026-10-15&to=2026-11-30&group=month").get_json()
    assert (months["previous_from"], months["previous_to"]) == ("2025-10-15", "2025-11-30")
    assert [(i["start"], i["end"]) for i in months["items"]] == [("2026-10-15", "2026-10-31"), ("2026-11-01", "2026-11-30")]
    assert column(months["items"], "loans") == [0, 4] and column(months["items"], "returns") == [0, 2]
    assert column(months["items"], "previous_loans") == [0, 1] and column(months["items"], "previous_returns") == [0, 1]

    default = desk.get("/api/v1/stats/circulation").get_json()  # the last 30 days, today included
    assert (default["from"], default["to"], len(default["items"])) == ("2026-10-22", "2026-11-20", 30)
    assert default["totals"]["loans"] == 4

    rows = rows_of(desk.get("/api/v1/stats/circulation.csv?from=2026-11-02&to=2026-11-08"))
    assert rows[0] == ["start", "end", "loans", "returns", "previous_start", "previous_end", "previous_loans",
                       "previous_returns"]
    assert rows[1] == ["2026-11-02", "2026-11-02", "2", "0", "2025-11-03", "2025-11-03", "1", "0"]
    assert len(rows) == 8


def test_february_29th_a_year_earlier_is_the_28th(desk):
    body = desk.get("/api/v1/stats/circulation?from=2024-02-29&to=2024-03-01&group=month").get_json()
    assert (body["previous_from"], body["previous_to"]) == ("2023-02-28", "2023-03-01")
    assert [(i["previous_start"], i["previous_end"]) for i in body["items"]] == [
        ("2023-02-28", "2023-02-28"), ("2023-03-01", "2023-03-01")]


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-11-10&to=2026-11-01", "to"),
    ("group=year", "group"),
    ("from=2020-01-01&to=2026-01-01&group=day", "group"),
    ("from=1999-12-31&to=2000-01-31", "from"),
    ("from=2001-01-01&to=2026-01-01&group=month", "from"),
    ("from=yesterday", "from"),
])
def test_a_period_that_makes_no_sense_is_a_422(desk, query, field):
    assert field in assert_problem(desk.get(f"/api/v1/stats/circulation?{query}"), 422)["errors"]


# --- now ------------------------------------------------------------------------------------------------

def test_now_members_on_loan_overdue_and_holds(desk, clock):
    book, (first, second) = desk.book_with_copies(2)
    _other, (third,) = desk.book_with_copies(1)
    _old, (fourth,) = desk.book_with_copies(1)
    lapsed, lately, reader, idle, barred = (desk.member(name=name) for name in ("Lapsed", "Lately", "Reader", "Idle",
                                                                               "Barred"))
    lend(desk, clock, fourth, lapsed["card_number"], "2025-11-28T10:00", back="2025-12-02T10:00")  # 12 months ago
    lend(desk, clock, fourth, lately["card_number"], "2025-12-01T10:00", back="2025-12-09T10:00")  # counts still
    lend(desk, clock, first, reader["card_number"], "2026-11-01T10:00")  # due 22 November: overdue on the 27th
    lend(desk, clock, third, reader["card_number"], "2026-11-20T10:00")
    lend(desk, clock, fourth, barred["card_number"], "2026-11-20T11:00", back="2026-11-21T11:00")
    desk.patch(f"/api/v1/members/{barred['id']}", json={"status": "suspended"})
    assert desk.hold(book["id"], idle["card_number"]).get_json()["status"] == "waiting"
    assert desk.hold(book["id"], lapsed["card_number"]).get_json()["status"] == "waiting"
    captured = desk.post("/api/v1/holds/capture", json={"barcode": second["barcode"]})  # pulled: on the hold shelf
    assert captured.status_code == 200 and captured.get_json()["status"] == "ready"
    at(clock, "2026-11-27T09:00")

    now = desk.get("/api/v1/stats/current").get_json()
    assert now["at"].startswith("2026-11-27T09:00")
    assert {key: now[key] for key in now if key != "at"} == {
        "members": 4, "active_members": 2, "on_loan": 2, "overdue": 1, "holds_waiting": 1, "holds_ready": 1,
        "copies": 4, "copies_available": 1}
    rows = rows_of(desk.get("/api/v1/stats/current.csv"))
    assert rows[0] == ["figure", "value"] and ["overdue", "1"] in rows and ["active_members", "2"] in rows


# --- the most borrowed ------------------------------------------------------------------------------

def test_the_most_borrowed_titles_authors_and_subjects(desk, clock):
    dune, dune_copies = desk.book_with_copies(2, title="=Dune", authors=[{"name": "Frank Herbert"}],
                                             subjects=["Science fiction"])
    emma, (emma_copy,) = desk.book_with_copies(1, title="Emma", authors=[{"name": "Jane Austen"}],
                                               subjects=["Fiction", "Classics"])
    both, (both_copy,) = desk.book_with_copies(1, title="Both", authors=[{"name": "Frank Herbert"}, {"name": "Jane Austen"}],
                                               subjects=["Fiction"])
    card = desk.member()["card_number"]
    for day in range(1, 6):  # five loans of Emma in October: before the period
        lend(desk, clock, emma_copy, card, f"2026-10-0{day}T10:00", back=f"2026-10-0{day}T15:00")
    for day in range(1, 5):  # Dune four times (two copies), Emma twice, Both once, in November
        lend(desk, clock, dune_copies[day % 2], card, f"2026-11-0{day}T10:00", back=f"2026-11-0{day}T15:00")
    lend(desk, clock, emma_copy, card, "2026-11-05T10:00", back="2026-11-06T10:00")
    lend(desk, clock, emma_copy, card, "2026-11-07T10:00")
    lend(desk, clock, both_copy, card, "2026-11-08T10:00")
    period = "from=2026-11-01&to=2026-11-30"

    titles = desk.get(f"/api/v1/stats/top?kind=titles&{period}").get_json()
    assert (titles["kind"], titles["from"], titles["to"]) == ("titles", "2026-11-01", "2026-11-30")
    assert [(i["id"], i["name"], i["authors"], i["loans"]) for i in titles["items"]] == [
        (dune["id"], "=Dune", ["Frank Herbert"], 4), (emma["id"], "Emma", ["Jane Austen"], 2),
        (both["id"], "Both", ["Frank Herbert", "Jane Austen"], 1)]
    authors = desk.get(f"/api/v1/stats/top?kind=authors&{period}").get_json()["items"]
    assert [(i["name"], i["loans"], i["authors"]) for i in authors] == [("Frank Herbert", 5, None), ("Jane Austen", 3, None)]
    subjects = desk.get(f"/api/v1/stats/top?kind=subjects&{period}").get_json()["items"]
    assert [(i["name"], i["loans"]) for i in subjects] == [("Science fiction", 4), ("Fiction", 3), ("Classics", 2)]
    assert len(desk.get(f"/api/v1/stats/top?kind=titles&limit=2&{period}").get_json()["items"]) == 2
    october = desk.get("/api/v1/stats/top?kind=titles&from=2026-10-01&to=2026-10-31").get_json()["items"]
    assert [(i["name"], i["loans"]) for i in october] == [("Emma", 5)]

    rows = rows_of(desk.get(f"/api/v1/stats/top.csv?kind=titles&{period}"))
    assert rows[0] == ["rank", "title", "authors", "loans"]
    assert rows[1] == ["1", "'=Dune", "Frank Herbert", "4"]  # no spreadsheet formula rides in on a title
    assert rows[3] == ["3", "Both", "Frank Herbert; Jane Austen", "1"]
    assert rows_of(desk.get(f"/api/v1/stats/top.csv?kind=subjects&{period}"))[0] == ["rank", "subject", "loans"]


# --- the collection -----------------------------------------------------------------------------------

def test_the_collection_by_subject_language_and_decade_and_how_much_circulates(desk, clock):
    _a, (a1, a2) = desk.book_with_copies(2, language="en", published_year=1965, subjects=["Science fiction"])
    _b, (b1,) = desk.book_with_copies(1, language="fr", published_year=1968, subjects=["Fiction", "Classics"])
    _c, (c1, lost, gone) = desk.book_with_copies(3, language="en", published_year=2001, subjects=["Fiction"])
    desk.book_with_copies(1, language=None, published_year=None, subjects=["Poetry"])
    desk.patch(f"/api/v1/copies/{lost['id']}", json={"status": "lost"})
    desk.patch(f"/api/v1/copies/{gone['id']}", json={"status": "withdrawn"})
    card = desk.member()["card_number"]
    lend(desk, clock, c1, card, "2025-10-20T10:00", back="2025-10-25T10:00")  # 13 months before "now"
    lend(desk, clock, a1, card, "2026-11-02T10:00", back="2026-11-03T10:00")
    lend(desk, clock, a1, card, "2026-11-04T10:00")
    lend(desk, clock, b1, card, "2026-06-05T10:00", back="2026-06-06T10:00")
    at(clock, "2026-11-27T09:00")

    def groups(by, months=12):
        body = desk.get(f"/api/v1/stats/collection?by={by}&months={months}").get_json()
        assert (body["by"], body["months"]) == (by, months)
        return [(i["group"], i["copies"], i["on_loan"], i["lent"]) for i in body["items"]]

    assert groups("language") == [("en", 3, 1, 1), ("fr", 1, 0, 1), (None, 1, 0, 0)]
    assert groups("language", months=24) == [("en", 3, 1, 2), ("fr", 1, 0, 1), (None, 1, 0, 0)]
    assert groups("language", months=3) == [("en", 3, 1, 1), ("fr", 1, 0, 0), (None, 1, 0, 0)]
    assert groups("decade") == [("1960", 3, 1, 2), ("2000", 1, 0, 0), (None, 1, 0, 0)]
    assert groups("subject") == [("Fiction", 2, 0, 1), ("Science fiction", 2, 1, 1), ("Classics", 1, 0, 1),
                                 ("Poetry", 1, 0, 0)]
    body = desk.get("/api/v1/stats/collection?by=subject").get_json()
    assert body["since"] == "2025-11-01T00:00:00+00:00" and body["months"] == 12  # whole months
    assert "months" in assert_problem(desk.get("/api/v1/stats/collection?months=0"), 422)["errors"]
    rows = rows_of(desk.get("/api/v1/stats/collection.csv?by=decade&months=12"))
    assert rows == [["decade", "copies", "on_loan", "lent_in_12_months"], ["1960", "3", "1", "2"],
                    ["2000", "1", "0", "0"], ["", "1", "0", "0"]]


# --- weeding candidates -------------------------------------------------------------------------------

def test_copies_not_lent_for_months_are_weeding_candidates(app, desk, clock):
    _book, (never, long_ago, lately, out, gone) = desk.book_with_copies(5, title="Weeds")
    desk.patch(f"/api/v1/copies/{gone['id']}", json={"status": "withdrawn"})
    card = desk.member()["card_number"]
    now = clock.now

    def days_before(days):
        return (now - timedelta(days=days)).isoformat()[:19]

    with app.app_context():  # the copies came to the library 1 000 days ago
        db.session.execute(update(Copy).values(created_at=now - timedelta(days=1000)))
        db.session.commit()
    lend(desk, clock, long_ago, card, days_before(940), back=days_before(930))
    lend(desk, clock, lately, card, days_before(90), back=days_before(80))
    lend(desk, clock, out, card, days_before(30))
    clock.now = now

    page = desk.get("/api/v1/stats/weeding?months=24").get_json()
    assert page["total"] == 2 and page["page"] == 1
    assert [(i["barcode"], i["loans"]) for i in page["items"]] == [(never["barcode"], 0), (long_ago["barcode"], 1)]
    assert page["items"][0]["last_loaned_at"] is None  # never lent comes first
    assert page["items"][1]["last_loaned_at"].startswith(days_before(940)[:10])
    assert page["items"][0]["title"] == "Weeds" and page["items"][0]["acquired_at"].startswith(days_before(1000)[:10])
    assert desk.get("/api/v1/stats/weeding?months=24&per_page=1&page=2").get_json()["items"][0]["barcode"] == long_ago["barcode"]
    # Copies newer than the window are not candidates yet: nothing has been in the library for 36 months.
    assert desk.get("/api/v1/stats/weeding?months=36").get_json()["total"] == 0
    rows = rows_of(desk.get("/api/v1/stats/weeding.csv?months=24"))
    assert rows[0] == ["barcode", "title", "location", "call_number", "acquired_at", "last_loaned_at", "loans"]
    assert [row[0] for row in rows[1:]] == [never["barcode"], long_ago["barcode"]]
    assert rows[2][5] == days_before(940)[:10] and rows[1][5] == ""


# --- who may see them -----------------------------------------------------------------------------------

STATS_PATHS = ["circulation", "circulation.csv", "current", "current.csv", "top", "top.csv", "collection",
               "collection.csv", "weeding", "weeding.csv"]


def test_statistics_are_for_staff_and_name_nobody(desk, clock, as_role, anon):
    _book, (copy,) = desk.book_with_copies(1, title="Private Reading")
    member = desk.member(name="Secret Reader", email="secret@example.org")
    lend(desk, clock, copy, member["card_number"], "2026-11-20T10:00", back="2026-11-21T10:00")
    reader = as_role("member")
    for path in STATS_PATHS:
        assert_problem(anon.get(f"/api/v1/stats/{path}"), 401)
        assert_problem(reader.get(f"/api/v1/stats/{path}"), 403)
        for query in ("", "?kind=titles&by=subject&from=2026-11-01&months=1", "?kind=authors", "?kind=subjects"):
            body = desk.get(f"/api/v1/stats/{path}{query}").get_data(as_text=True)
            assert "Secret Reader" not in body and member["card_number"] not in body and "secret@" not in body


# --- the demo's history -------------------------------------------------------------------------------

def test_seed_demo_history_is_plausible_consistent_and_made_once(app, desk):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--history", "--history-days", "120"])
    assert first.exit_code == 0, first.output
    assert "Added 200 demo book(s)." in first.output and "loans over 120 days" in first.output
    with app.app_context():
        loans = db.session.execute(select(Loan.copy_id, Loan.member_id, Loan.loaned_at, Loan.returned_at)
                                   .order_by(Loan.copy_id, Loan.loaned_at)).all()
        assert 500 <= len(loans) <= 600  # five a day the library is open
        assert all(loan.loaned_at.weekday() != 6 for loan in loans)  # closed on Sundays
        for earlier, later in zip(loans, loans[1:]):  # a copy is never lent twice at once
            if earlier.copy_id == later.copy_id:
                assert earlier.returned_at is not None and earlier.returned_at <= later.loaned_at
        out = [loan for loan in loans if loan.returned_at is None]
        assert out and max(Counter(loan.member_id for loan in out).values()) <= 5
        assert db.session.scalar(select(func.count()).select_from(Copy).where(Copy.status == "on_loan")) == len(out)
        forgetful = set(db.session.scalars(select(Member.id).where(Member.keep_history.is_(False))))
        assert len(forgetful) == 2 and all(loan.member_id not in forgetful for loan in loans if loan.returned_at)
        assert any(loan.member_id is None for loan in loans)  # their closed loans are anonymised
        # The triggers' counts agree with the loans.
        days = db.session.execute(select(func.sum(LoanDay.loans), func.sum(LoanDay.returns))).one()
        assert tuple(days) == (len(loans), len(loans) - len(out))
        last = dict(db.session.execute(select(Loan.copy_id, func.max(Loan.loaned_at)).group_by(Loan.copy_id)).all())
        assert dict(db.session.execute(select(Copy.id, Copy.last_loaned_at).where(Copy.last_loaned_at.is_not(None))).all()) == last
        holds = dict(db.session.execute(select(Hold.status, func.count()).group_by(Hold.status)).all())
        assert holds.get("waiting", 0) >= 1 and holds.get("ready", 0) >= 1
    now = desk.get("/api/v1/stats/current").get_json()
    assert now["on_loan"] == len(out) and now["members"] == 60 and now["active_members"] >= 55
    again = runner.invoke(args=["seed-demo", "--history"])
    assert again.exit_code == 0 and "no history added" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Loan)) == len(loans)
