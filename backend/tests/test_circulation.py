"""Circulation on SQLite and PostgreSQL: copies, members, loans, renewals, holds, reports, the calendar feed."""

import csv
import io
import logging
import threading
import uuid
from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from sqlalchemy import func, select

from library.models import Copy, Hold, Loan

from .factories import create_book
from .test_accounts import Clock, email_of, login
from .test_books import assert_problem


@pytest.fixture
def clock(app):
    app.config["LIBRARY_CLOCK"] = clock = Clock()
    return clock


def code(prefix):
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@pytest.fixture
def desk(client):
    """The librarian's client with helpers for the usual arrangements."""

    def book_with_copies(n=1, **book):
        created = create_book(client, **book)
        copies = [add_copy(created["id"]) for _ in range(n)]
        return created, copies

    def add_copy(book_id, **extra):
        response = client.post(f"/api/v1/books/{book_id}/copies", json={"barcode": code("C"), **extra})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def member(**extra):
        response = client.post("/api/v1/members", json={"card_number": code("M"), "name": "Ann Reader", **extra})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def checkout(barcode, card):
        return client.post("/api/v1/loans", json={"barcode": barcode, "card_number": card})

    def give_back(barcode):
        return client.post("/api/v1/returns", json={"barcode": barcode})

    def hold(book_id, card):
        return client.post("/api/v1/holds", json={"book_id": book_id, "card_number": card})

    client.book_with_copies, client.add_copy, client.member = book_with_copies, add_copy, member
    client.checkout, client.give_back, client.hold = checkout, give_back, hold
    return client


def scalar_in(app, statement):
    with app.app_context():
        from library.extensions import db

        return db.session.scalar(statement)


# --- copies and members -----------------------------------------------------------------------------

def test_copies_crud_and_barcodes(desk, anon):
    book, (copy,) = desk.book_with_copies(1)
    assert copy["status"] == "available" and copy["book_id"] == book["id"]
    assert_problem(desk.post(f"/api/v1/books/{book['id']}/copies", json={"barcode": copy["barcode"]}), 409)
    assert "barcode" in assert_problem(desk.post(f"/api/v1/books/{book['id']}/copies", json={"barcode": "has space"}), 422)["errors"]
    listed = anon.get(f"/api/v1/books/{book['id']}/copies").get_json()
    assert [c["barcode"] for c in listed["items"]] == [copy["barcode"]]
    assert anon.get(f"/api/v1/copies?barcode={copy['barcode']}").get_json()["items"][0]["id"] == copy["id"]
    moved = desk.patch(f"/api/v1/copies/{copy['id']}", json={"location": "Stack B", "call_number": "823.9 LEG"})
    assert moved.get_json()["location"] == "Stack B"
    assert desk.patch(f"/api/v1/copies/{copy['id']}", json={"status": "lost"}).get_json()["status"] == "lost"
    assert_problem(desk.patch(f"/api/v1/copies/{copy['id']}", json={"status": "on_loan"}), 422)
    assert desk.delete(f"/api/v1/copies/{copy['id']}").status_code == 204
    assert_problem(anon.post(f"/api/v1/books/{book['id']}/copies", json={"barcode": code("C")}), 401)


def test_a_copy_marked_lost_withdrawn_or_back_in_service_is_in_the_audit_trail(desk, as_role):
    _, (copy,) = desk.book_with_copies(1)
    assert desk.patch(f"/api/v1/copies/{copy['id']}", json={"status": "lost"}).status_code == 200
    assert desk.patch(f"/api/v1/copies/{copy['id']}", json={"status": "withdrawn", "notes": "Water damage"}) \
        .status_code == 200
    assert desk.patch(f"/api/v1/copies/{copy['id']}", json={"status": "available"}).status_code == 200
    events = as_role("admin").get(f"/api/v1/audit?resource_type=copy&resource_id={copy['id']}&action=copy.update")
    summaries = [event["summary"] for event in reversed(events.get_json()["items"])]
    assert summaries == [{"status": ["available", "lost"]},
                         {"status": ["lost", "withdrawn"], "notes": [None, "Water damage"]},
                         {"status": ["withdrawn", "available"]}]


def test_a_lent_copy_cannot_be_marked_lost_or_deleted_and_books_with_copies_stay(desk):
    book, (copy,) = desk.book_with_copies(1)
    member = desk.member()
    assert desk.checkout(copy["barcode"], member["card_number"]).status_code == 201
    assert_problem(desk.patch(f"/api/v1/copies/{copy['id']}", json={"status": "withdrawn"}), 409)
    assert_problem(desk.delete(f"/api/v1/copies/{copy['id']}"), 409)
    assert_problem(desk.delete(f"/api/v1/books/{book['id']}"), 409)
    desk.give_back(copy["barcode"])
    assert_problem(desk.delete(f"/api/v1/copies/{copy['id']}"), 409)  # history: withdraw instead
    assert desk.patch(f"/api/v1/copies/{copy['id']}", json={"status": "withdrawn"}).get_json()["status"] == "withdrawn"


def test_members_cards_and_my_card(app, desk, make_user, as_role):
    user_id = make_user("member")
    member = desk.member(name="Mia Member", email="MIA@example.org", user_id=user_id)
    assert member["email"] == "mia@example.org" and member["active_loans"] == 0
    assert_problem(desk.post("/api/v1/members", json={"card_number": member["card_number"], "name": "Dup"}), 409)
    assert_problem(desk.post("/api/v1/members", json={"card_number": code("M"), "name": "Dup", "user_id": user_id}), 409)
    assert desk.get(f"/api/v1/members?card_number={member['card_number']}").get_json()["total"] == 1
    assert [m["id"] for m in desk.get("/api/v1/members?q=mia").get_json()["items"]] == [member["id"]]
    browser = login(app, email_of(app, user_id))
    assert browser.get("/api/v1/members/me").get_json()["card_number"] == member["card_number"]
    assert_problem(as_role("member").get("/api/v1/members/me"), 404)  # an account without a card
    assert_problem(as_role("member").get(f"/api/v1/members/{member['id']}"), 403)
    other_id = make_user("member")
    linked = desk.post("/api/v1/members", json={"card_number": code("M"), "name": "By Email",
                                                "user_email": email_of(app, other_id).upper()})
    assert linked.status_code == 201 and linked.get_json()["user_id"] == other_id
    assert "user_email" in assert_problem(desk.post("/api/v1/members", json={
        "card_number": code("M"), "name": "Nobody", "user_email": "nobody@example.org"}), 422)["errors"]
    suspended = desk.patch(f"/api/v1/members/{member['id']}", json={"status": "suspended"}).get_json()
    assert suspended["status"] == "suspended"


# --- loans ----------------------------------------------------------------------------------------

def test_checkout_due_date_renewals_and_return(desk, clock):
    book, (copy,) = desk.book_with_copies(1)
    member = desk.member()
    loan = desk.checkout(copy["barcode"], member["card_number"])
    assert loan.status_code == 201
    loan = loan.get_json()
    assert loan["due_at"].startswith((clock.now + timedelta(days=21)).date().isoformat())
    assert desk.get(f"/api/v1/copies/{copy['id']}").get_json()["status"] == "on_loan"
    assert desk.get(f"/api/v1/books/{book['id']}").get_json()["availability"] == {"available": 0, "total": 1, "holds": 0}

    clock.advance(days=10)
    due = clock.now - timedelta(days=10) + timedelta(days=21)
    assert loan["renewable"] and loan["renewal_due_at"].startswith((due + timedelta(days=21)).date().isoformat())
    renewed = desk.post(f"/api/v1/loans/{loan['id']}/renew").get_json()  # a loan period from the due date
    assert renewed["renewals"] == 1 and renewed["due_at"].startswith((due + timedelta(days=21)).date().isoformat())
    again = desk.post(f"/api/v1/loans/{loan['id']}/renew").get_json()
    assert again["renewals"] == 2 and again["due_at"].startswith((due + timedelta(days=42)).date().isoformat())
    assert not again["renewable"] and "limit" in again["renewal_refusal"]
    assert "limit" in assert_problem(desk.post(f"/api/v1/loans/{loan['id']}/renew"), 409)["detail"]

    returned = desk.give_back(copy["barcode"]).get_json()
    assert returned["loan"]["returned_at"] and returned["hold"] is None
    assert desk.get(f"/api/v1/copies/{copy['id']}").get_json()["status"] == "available"
    assert_problem(desk.give_back(copy["barcode"]), 409)
    assert_problem(desk.post(f"/api/v1/loans/{loan['id']}/return"), 409)
    history = desk.get(f"/api/v1/loans?copy_id={copy['id']}&active=false").get_json()
    assert [item["id"] for item in history["items"]] == [loan["id"]]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [({"barcode": "NOPE", "card_number": "X1"}, 422, "barcode"), ({"card_number": "X1"}, 422, "barcode"),
     ({"barcode": "B1"}, 422, "_schema"), ({"barcode": "B1", "card_number": "X1", "member_id": 1}, 422, "_schema")],
)
def test_checkout_input_errors(desk, body, status, field):
    assert field in assert_problem(desk.post("/api/v1/loans", json=body), status)["errors"]


def test_unknown_card_and_suspended_member_and_unavailable_copies(desk):
    _book, (copy, lost) = desk.book_with_copies(2)
    member = desk.member()
    assert "card_number" in assert_problem(desk.checkout(copy["barcode"], "NOBODY"), 422)["errors"]
    desk.patch(f"/api/v1/copies/{lost['id']}", json={"status": "lost"})
    assert "lost" in assert_problem(desk.checkout(lost["barcode"], member["card_number"]), 409)["detail"]
    desk.patch(f"/api/v1/members/{member['id']}", json={"status": "suspended"})
    assert "suspended" in assert_problem(desk.checkout(copy["barcode"], member["card_number"]), 409)["detail"]


def test_loan_limit(desk, app):
    member = desk.member()
    copies = [desk.book_with_copies(1)[1][0] for _ in range(6)]
    for copy in copies[:5]:
        assert desk.checkout(copy["barcode"], member["card_number"]).status_code == 201
    assert "Limit" in assert_problem(desk.checkout(copies[5]["barcode"], member["card_number"]), 409)["detail"]
    assert desk.get(f"/api/v1/members/{member['id']}").get_json()["active_loans"] == 5


def test_overdue_flag_report_and_csv(desk, clock):
    _book, (copy,) = desk.book_with_copies(1, title="=HYPERLINK(\"x\")")
    member = desk.member(name="Late Larry", email="larry@example.org")
    loan = desk.checkout(copy["barcode"], member["card_number"]).get_json()
    assert desk.get("/api/v1/reports/overdue").get_json()["total"] == 0
    clock.advance(days=25)
    assert desk.get(f"/api/v1/loans/{loan['id']}").get_json()["overdue"] is True
    report = desk.get("/api/v1/reports/overdue").get_json()
    assert [item["id"] for item in report["items"]] == [loan["id"]]
    assert desk.get("/api/v1/loans?overdue=true").get_json()["total"] == 1
    response = desk.get("/api/v1/reports/overdue.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["due_at", "days_overdue", "title"]
    assert rows[1][1] == "4" and rows[1][4] == "Late Larry" and rows[1][2].startswith("'=")  # no formula injection


# --- holds ----------------------------------------------------------------------------------------

def test_holds_queue_capture_pickup_and_expiry(desk, clock):
    book, (copy,) = desk.book_with_copies(1)
    borrower, first, second = desk.member(), desk.member(name="First"), desk.member(name="Second")
    desk.checkout(copy["barcode"], borrower["card_number"])
    h1 = desk.hold(book["id"], first["card_number"]).get_json()
    clock.advance(minutes=1)
    h2 = desk.hold(book["id"], second["card_number"]).get_json()
    assert (h1["status"], h1["position"], h2["position"]) == ("waiting", 1, 2)
    assert_problem(desk.hold(book["id"], first["card_number"]), 409)  # one open hold per member and book
    assert desk.get(f"/api/v1/books/{book['id']}").get_json()["availability"]["holds"] == 2

    loan = desk.get(f"/api/v1/loans?copy_id={copy['id']}&active=true").get_json()["items"][0]
    assert not loan["renewable"] and "waiting" in loan["renewal_refusal"]
    assert "waiting" in assert_problem(desk.post(f"/api/v1/loans/{loan['id']}/renew"), 409)["detail"]

    returned = desk.give_back(copy["barcode"]).get_json()
    assert returned["action"] == "returned" and returned["cleared"] is None
    assert returned["hold"]["id"] == h1["id"] and returned["hold"]["status"] == "ready"
    assert returned["hold"]["pickup_by"].startswith((clock.now + timedelta(days=7)).date().isoformat())
    assert desk.get(f"/api/v1/copies/{copy['id']}").get_json()["status"] == "on_hold_shelf"
    assert "hold shelf" in assert_problem(desk.checkout(copy["barcode"], second["card_number"]), 409)["detail"]

    clock.advance(days=7, minutes=1)  # first never came: the hold stays on the shelf until staff clear it
    refused = assert_problem(desk.checkout(copy["barcode"], second["card_number"]), 409)["detail"]
    assert "First" in refused and "clear" in refused
    assert desk.get(f"/api/v1/holds/{h1['id']}").get_json()["status"] == "ready"
    cleared = desk.post(f"/api/v1/holds/{h1['id']}/clear").get_json()
    assert cleared["cleared"]["status"] == "expired" and cleared["copy"]["status"] == "on_hold_shelf"
    assert cleared["hold"]["id"] == h2["id"] and cleared["hold"]["copy_id"] == copy["id"]  # now for the second
    assert_problem(desk.post(f"/api/v1/holds/{h1['id']}/clear"), 409)
    assert desk.checkout(copy["barcode"], second["card_number"]).status_code == 201
    assert desk.get(f"/api/v1/holds/{h2['id']}").get_json()["status"] == "fulfilled"


def test_a_hold_on_a_book_with_a_copy_on_the_shelf_waits_for_the_copy_to_be_pulled(desk):
    book, (copy,) = desk.book_with_copies(1)
    member = desk.member()
    hold = desk.hold(book["id"], member["card_number"]).get_json()
    assert hold["status"] == "waiting" and hold["copy_id"] is None and hold["position"] == 1
    assert desk.get(f"/api/v1/copies/{copy['id']}").get_json()["status"] == "available"
    assert desk.get(f"/api/v1/books?available=true&q={book['title']}").get_json()["total"] == 1


def test_cancelling_a_ready_hold_passes_the_copy_on_and_new_copies_join_the_pull_list(desk):
    book, (copy,) = desk.book_with_copies(1)
    first, second = desk.member(), desk.member()
    h1 = desk.hold(book["id"], first["card_number"]).get_json()
    h2 = desk.hold(book["id"], second["card_number"]).get_json()
    assert desk.post("/api/v1/holds/capture", json={"barcode": copy["barcode"]}).get_json()["id"] == h1["id"]
    assert desk.delete(f"/api/v1/holds/{h1['id']}").status_code == 204
    assert desk.get(f"/api/v1/holds/{h2['id']}").get_json()["status"] == "ready"
    assert_problem(desk.delete(f"/api/v1/holds/{h1['id']}"), 409)
    third = desk.member()
    h3 = desk.hold(book["id"], third["card_number"]).get_json()
    assert h3["status"] == "waiting"
    new_copy = desk.add_copy(book["id"])
    assert new_copy["status"] == "available"
    pulls = desk.get("/api/v1/pull-list").get_json()["items"]
    assert [(p["hold_id"], p["copy_id"]) for p in pulls if p["book_id"] == book["id"]] == [(h3["id"], new_copy["id"])]


def test_holds_limit(desk, app):
    member = desk.member()
    books = [desk.book_with_copies(0)[0] for _ in range(6)]
    for book in books[:5]:
        assert desk.hold(book["id"], member["card_number"]).status_code == 201
    assert "Limit" in assert_problem(desk.hold(books[5]["id"], member["card_number"]), 409)["detail"]


# --- members see their own (A-01 .. A-03) -----------------------------------------------------------

def test_members_see_and_renew_only_their_own(app, desk, make_user):
    book, (mine, theirs) = desk.book_with_copies(2)
    other_book = desk.book_with_copies(0)[0]
    me_id, them_id = make_user("member"), make_user("member")
    me, them = desk.member(user_id=me_id), desk.member(user_id=them_id)
    my_loan = desk.checkout(mine["barcode"], me["card_number"]).get_json()
    their_loan = desk.checkout(theirs["barcode"], them["card_number"]).get_json()
    their_hold = desk.hold(other_book["id"], them["card_number"]).get_json()

    browser = login(app, email_of(app, me_id))
    csrf = {"X-CSRFToken": browser.csrf}
    assert [loan["id"] for loan in browser.get("/api/v1/loans").get_json()["items"]] == [my_loan["id"]]
    assert [loan["id"] for loan in browser.get(f"/api/v1/loans?member_id={them['id']}").get_json()["items"]] == [my_loan["id"]]
    assert_problem(browser.get(f"/api/v1/loans/{their_loan['id']}"), 404)
    assert_problem(browser.post(f"/api/v1/loans/{their_loan['id']}/renew", headers=csrf), 404)
    assert_problem(browser.get(f"/api/v1/holds/{their_hold['id']}"), 404)
    assert_problem(browser.delete(f"/api/v1/holds/{their_hold['id']}", headers=csrf), 404)
    assert browser.get("/api/v1/holds").get_json()["items"] == []
    body = browser.get(f"/api/v1/books/{book['id']}/copies").get_data(as_text=True)
    assert them["card_number"] not in body and "member" not in body  # copies never say who has them

    assert browser.post(f"/api/v1/loans/{my_loan['id']}/renew", headers=csrf).get_json()["renewals"] == 1
    placed = browser.post("/api/v1/holds", json={"book_id": other_book["id"]}, headers=csrf)
    assert placed.status_code == 201 and placed.get_json()["member_id"] == me["id"]
    assert placed.get_json()["position"] == 2
    assert_problem(browser.post("/api/v1/holds", json={"book_id": book["id"], "card_number": them["card_number"]},
                                headers=csrf), 403)
    for path, body in (("/api/v1/loans", {"barcode": mine["barcode"], "card_number": me["card_number"]}),
                       ("/api/v1/returns", {"barcode": mine["barcode"]})):
        assert_problem(browser.post(path, json=body, headers=csrf), 403)
    assert_problem(browser.get("/api/v1/reports/overdue"), 403)
    assert_problem(browser.get("/api/v1/members"), 403)


# --- integrity --------------------------------------------------------------------------------------

def test_the_database_refuses_a_second_active_loan_and_a_second_ready_hold(app, desk):
    book, (copy,) = desk.book_with_copies(1)
    member, other = desk.member(), desk.member()
    desk.checkout(copy["barcode"], member["card_number"])
    with app.app_context():
        from library.extensions import db
        from library.models.types import utcnow

        with pytest.raises(sa.exc.IntegrityError):
            db.session.add(Loan(copy_id=copy["id"], member_id=other["id"], loaned_at=utcnow(), due_at=utcnow()))
            db.session.commit()
        db.session.rollback()
        with pytest.raises(sa.exc.IntegrityError):
            for member_id in (member["id"], other["id"]):
                db.session.add(Hold(book_id=book["id"], member_id=member_id, status="ready", copy_id=copy["id"]))
            db.session.commit()
        db.session.rollback()


def test_concurrent_checkouts_of_the_last_copy_lend_it_once(app, desk):
    _book, (copy,) = desk.book_with_copies(1)
    cards = [desk.member()["card_number"] for _ in range(20)]
    barrier, statuses = threading.Barrier(len(cards)), []

    def borrow(card):
        racer = app.test_client()
        racer.environ_base.update(desk.environ_base)
        barrier.wait()
        statuses.append(racer.post("/api/v1/loans", json={"barcode": copy["barcode"], "card_number": card}).status_code)

    threads = [threading.Thread(target=borrow, args=(card,)) for card in cards]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * (len(cards) - 1)
    active = scalar_in(app, select(func.count()).select_from(Loan).where(Loan.copy_id == copy["id"], Loan.returned_at.is_(None)))
    assert active == 1
    assert scalar_in(app, select(Copy.status).where(Copy.id == copy["id"])) == "on_loan"


# --- calendar and rules -------------------------------------------------------------------------------

def test_due_date_calendar_feed(app, desk, make_user, anon):
    user_id = make_user("member")
    member = desk.member(user_id=user_id)
    _book, (copy,) = desk.book_with_copies(1, title="The Dispossessed")
    loan = desk.checkout(copy["barcode"], member["card_number"]).get_json()
    browser = login(app, email_of(app, user_id))
    url = browser.get("/api/v1/members/me/calendar").get_json()["url"]
    assert browser.get("/api/v1/members/me/calendar").get_json()["url"] == url  # stable until reset
    path = url.split("localhost", 1)[1]
    feed = anon.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    events = [c for c in Calendar.from_ical(feed.data).walk("VEVENT")]
    assert [str(e["summary"]) for e in events] == ["Due: The Dispossessed"]
    assert events[0].decoded("dtstart").isoformat() == loan["due_at"][:10]
    new_url = browser.post("/api/v1/members/me/calendar", headers={"X-CSRFToken": browser.csrf}).get_json()["url"]
    assert new_url != url
    assert_problem(anon.get(path), 404)
    assert_problem(anon.get(path.replace(path.rsplit("/", 1)[1][:5], "AAAAA")), 404)
    member_path = path.rsplit("/", 1)[0]
    assert_problem(anon.get(member_path + "/" + quote("é" * 43) + ".ics"), 404)  # non-ASCII token: 404, not 500


def test_loan_rules_come_from_configuration(make_app, as_role):
    app = make_app(LIBRARY_LOAN_DAYS=14, LIBRARY_MAX_LOANS=2)
    assert app.test_client().get("/api/v1/loan-rules").get_json() == {
        "loan_days": 14, "max_renewals": 2, "max_loans": 2, "max_holds": 5, "hold_pickup_days": 7}


def test_circulation_is_audited(desk, as_role):
    _book, (copy,) = desk.book_with_copies(1)
    member = desk.member()
    loan = desk.checkout(copy["barcode"], member["card_number"]).get_json()
    desk.give_back(copy["barcode"])
    actions = [e["action"] for e in as_role("admin").get(f"/api/v1/audit?resource_type=loan&resource_id={loan['id']}")
               .get_json()["items"]]
    assert actions == ["loan.return", "loan.checkout"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_write_transactions_begin_immediate(app, desk):
    """X-07: a checkout's transaction takes SQLite's write lock before its first read."""
    _book, (copy,) = desk.book_with_copies(1)
    member = desk.member()
    statements = []
    with app.app_context():
        from library.extensions import db

        engine = db.engine

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0].upper() + (" IMMEDIATE" if "IMMEDIATE" in statement else ""))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert desk.checkout(copy["barcode"], member["card_number"]).status_code == 201
        desk.get("/api/v1/books")
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    first_write = statements.index("BEGIN IMMEDIATE")
    assert "SELECT" not in statements[:first_write] and "BEGIN" not in statements[:first_write]
    assert statements[-4:].count("BEGIN IMMEDIATE") == 0  # the GET reads in a deferred transaction


def _pg_failure(error_class):
    import psycopg.errors

    return sa.exc.OperationalError("UPDATE copy ...", {}, getattr(psycopg.errors, error_class)())


@pytest.mark.parametrize("error_class", ["SerializationFailure", "DeadlockDetected"])
def test_serialization_failures_and_deadlocks_are_retried_three_times(app, error_class, caplog):
    """X-08: the retry policy itself (PostgreSQL's 40001/40P01 are hard to provoke on demand); each retry is
    logged, so an operator sees a lock order that keeps failing."""
    from library.services.circulation import retrying

    caplog.set_level(logging.WARNING, logger="library.circulation")

    attempts = []

    def flaky(fail_times):
        attempts.append(1)
        if len(attempts) <= fail_times:
            raise _pg_failure(error_class)
        return "done"

    with app.app_context():
        assert retrying(flaky, 2) == "done" and len(attempts) == 3
        met = {"SerializationFailure": "a serialization failure", "DeadlockDetected": "a deadlock"}[error_class]
        assert [record.getMessage() for record in caplog.records] == [
            f"flaky met {met}; retrying (attempt 2 of 3)", f"flaky met {met}; retrying (attempt 3 of 3)"]
        attempts.clear()
        with pytest.raises(sa.exc.OperationalError):
            retrying(flaky, 3)
        assert len(attempts) == 3
        attempts.clear()
        with pytest.raises(sa.exc.OperationalError):  # other errors are not retried
            retrying(lambda: attempts.append(1) or (_ for _ in ()).throw(sa.exc.OperationalError("x", {}, Exception())))
        assert len(attempts) == 1


def test_list_and_detail_show_a_book_as_written(desk, anon):
    """Lists and GET /books/{id} build their items from plain rows; each item equals the book as the PATCH
    response (the BookOut schema) shows it: author order, subjects, both ISBN forms, null fields and
    availability (copies on loan, withdrawn and on the shelf, and a waiting hold)."""
    lent, copies = desk.book_with_copies(3, title="Ça ira — Zürich", authors=[{"name": "Zoë Last"},
                                         {"name": "Ann First"}], subjects=["Zoology", "art", "Médecine"])
    for copy in copies[:2]:
        assert desk.checkout(copy["barcode"], desk.member()["card_number"]).status_code == 201
    assert desk.patch(f"/api/v1/copies/{copies[2]['id']}", json={"status": "withdrawn"}).status_code == 200
    assert desk.hold(lent["id"], desk.member()["card_number"]).status_code == 201
    shelved, _ = desk.book_with_copies(2, title="Plain", authors=[{"name": "Ann First"}], isbn="9791032305690",
                                       subtitle=None, description=None, subjects=[])
    bare = desk.post("/api/v1/books", json={"title": "No Isbn"}).get_json()
    written = {}
    for book in (lent, shelved, bare):
        response = desk.patch(f"/api/v1/books/{book['id']}", json={"publisher": "Éditions Test"})
        assert response.status_code == 200
        written[book["id"]] = response.get_json()
    assert written[lent["id"]]["availability"] == {"available": 0, "total": 2, "holds": 1}
    assert written[shelved["id"]]["availability"] == {"available": 2, "total": 2, "holds": 0}
    assert written[shelved["id"]]["isbn10"] is None and written[bare["id"]]["isbn_formatted"] is None

    for book_id, expected in written.items():
        assert anon.get(f"/api/v1/books/{book_id}").get_json() == expected
    listed = anon.get("/api/v1/books?per_page=100").get_json()["items"]
    assert {b["id"]: b for b in listed if b["id"] in written} == written
    found = anon.get("/api/v1/books", query_string={"q": "zurich"}).get_json()["items"]
    assert found == [written[lent["id"]]]
    author_id = written[lent["id"]]["authors"][1]["id"]
    by_author = anon.get(f"/api/v1/authors/{author_id}/books").get_json()["items"]
    assert {b["id"]: b for b in by_author} == {i: written[i] for i in (lent["id"], shelved["id"])}
