"""Reading-history privacy on SQLite and PostgreSQL: who sees past loans, turning the history off (anonymised at
once and as each loan closes, counts unchanged), clearing it, the audit trail, and the database's own checks."""

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from library.extensions import db
from library.models import AuditEvent, Hold, Loan, Member

from .test_books import assert_problem
from .test_circulation import clock, desk  # noqa: F401 - fixtures
from .test_stats import at, lend, rows_of


@pytest.fixture
def reader(desk, as_role):
    """A member with a login (a bearer token, which the moving test clock does not expire): .member is their card."""
    client = as_role("member")
    client.member = desk.member(name="Rosa Reader", user_id=client.user_id)
    return client


def in_app(app, statement):
    with app.app_context():
        return db.session.execute(statement).all()


def stats_snapshot(desk):
    period = "from=2026-11-01&to=2026-11-30"
    return (desk.get(f"/api/v1/stats/circulation?{period}&group=month").get_json()["totals"],
            desk.get(f"/api/v1/stats/top?kind=titles&{period}").get_json()["items"],
            desk.get("/api/v1/stats/collection?by=subject").get_json()["items"],
            {k: v for k, v in desk.get("/api/v1/stats/current").get_json().items() if k != "at"})


def test_past_loans_are_the_members_own_to_see(desk, clock, reader):
    _a, (first,) = desk.book_with_copies(1, title="Returned Title")
    _b, (second,) = desk.book_with_copies(1, title="Current Title")
    card, member_id = reader.member["card_number"], reader.member["id"]
    lend(desk, clock, first, card, "2026-11-02T10:00", back="2026-11-09T10:00")
    lend(desk, clock, second, card, "2026-11-10T10:00")
    returned, current = (in_app(desk.application, select(Loan.id).where(Loan.copy_id == c["id"]))[0][0]
                         for c in (first, second))

    # Staff: a member's current loans, and closed loans without anyone's name (a copy's history).
    staff_view = desk.get(f"/api/v1/loans?member_id={member_id}").get_json()["items"]
    assert [loan["book_title"] for loan in staff_view] == ["Current Title"]
    assert desk.get(f"/api/v1/loans?member_id={member_id}&active=false").get_json()["items"] == []
    closed = desk.get(f"/api/v1/loans/{returned}").get_json()
    assert closed["book_title"] == "Returned Title"
    assert (closed["member_id"], closed["member_name"], closed["card_number"]) == (None, None, None)
    assert desk.get(f"/api/v1/loans/{current}").get_json()["member_name"] == "Rosa Reader"
    copy_history = desk.get(f"/api/v1/loans?copy_id={first['id']}&active=false").get_json()["items"]
    assert [loan["member_name"] for loan in copy_history] == [None]

    # The member: everything, and their reading history, latest first.
    mine = reader.get("/api/v1/loans?active=false").get_json()["items"]
    assert [(loan["book_title"], loan["member_name"]) for loan in mine] == [("Returned Title", "Rosa Reader")]
    history = reader.get("/api/v1/members/me/history").get_json()
    assert [(item["title"], item["loan_id"]) for item in history["items"]] == [("Returned Title", returned)]
    assert history["items"][0]["returned_at"].startswith("2026-11-09") and history["total"] == 1
    assert reader.get("/api/v1/members/me/privacy").get_json() == {"keep_history": True}
    assert_problem(desk.get("/api/v1/members/me/history"), 404)  # staff without a card have no history


def test_turning_history_off_anonymises_it_and_every_count_stays(desk, clock, reader):
    book, (first, second) = desk.book_with_copies(2, title="Counted Anyway", subjects=["Privacy"])
    card = reader.member["card_number"]
    lend(desk, clock, first, card, "2026-11-02T10:00", back="2026-11-03T10:00")
    lend(desk, clock, first, card, "2026-11-04T10:00", back="2026-11-05T10:00")
    lend(desk, clock, second, card, "2026-11-06T10:00")
    at(clock, "2026-11-07T10:00")
    before = stats_snapshot(desk)
    assert before[0]["loans"] == 3 and before[3]["active_members"] == 1

    turned = reader.patch("/api/v1/members/me/privacy", json={"keep_history": False})
    assert turned.status_code == 200 and turned.get_json() == {"keep_history": False, "forgotten": 2}
    assert stats_snapshot(desk) == before
    assert reader.get("/api/v1/members/me/history").get_json()["items"] == []
    loans = in_app(desk.application, select(Loan.member_id, Loan.returned_at).order_by(Loan.id))
    assert [member for member, _ in loans] == [None, None, reader.member["id"]]  # the open loan keeps its member
    assert reader.get("/api/v1/loans?active=true").get_json()["total"] == 1

    # The loan still out is anonymised as it comes back; the desk's answer still says who returned it.
    at(clock, "2026-11-08T10:00")
    answer = desk.give_back(second["barcode"]).get_json()
    assert answer["loan"]["member_name"] == "Rosa Reader"
    assert in_app(desk.application, select(func.count()).select_from(Loan).where(Loan.member_id.is_not(None))) == [(0,)]
    after = stats_snapshot(desk)
    assert after[0] == {**before[0], "returns": before[0]["returns"] + 1}
    assert after[1] == before[1] and after[3]["active_members"] == 1  # still an active member this month

    # Turned on again, new loans are kept (for the member only).
    assert reader.patch("/api/v1/members/me/privacy", json={"keep_history": True}).get_json() == {
        "keep_history": True, "forgotten": 0}
    lend(desk, clock, first, card, "2026-11-09T10:00", back="2026-11-10T10:00")
    assert [item["title"] for item in reader.get("/api/v1/members/me/history").get_json()["items"]] == ["Counted Anyway"]
    events = in_app(desk.application, select(AuditEvent.action, AuditEvent.summary)
                    .where(AuditEvent.resource_type == "member", AuditEvent.action == "member.update"))
    assert [summary for _, summary in events][-2:] == [{"keep_history": [True, False]}, {"keep_history": [False, True]}]
    assert_problem(reader.patch("/api/v1/members/me/privacy", json={"keep_history": "no"}), 422)
    assert_problem(reader.patch("/api/v1/members/me/privacy", json={"keep_history": False, "member_id": 1}), 422)


def test_clearing_the_history_and_staff_setting_it_for_a_card_without_a_login(desk, clock, reader):
    _book, (copy,) = desk.book_with_copies(1)
    lend(desk, clock, copy, reader.member["card_number"], "2026-11-02T10:00", back="2026-11-03T10:00")
    assert reader.delete("/api/v1/members/me/history").status_code == 204
    assert reader.get("/api/v1/members/me/history").get_json()["total"] == 0
    assert reader.get("/api/v1/members/me/privacy").get_json() == {"keep_history": True}  # the setting stays
    assert desk.get("/api/v1/stats/circulation?from=2026-11-01&to=2026-11-30").get_json()["totals"]["loans"] == 1

    walk_in = desk.member(name="Walk In")  # no login: staff change the setting at their request
    lend(desk, clock, copy, walk_in["card_number"], "2026-11-04T10:00", back="2026-11-05T10:00")
    assert desk.get(f"/api/v1/members/{walk_in['id']}/privacy").get_json() == {"keep_history": True}
    changed = desk.patch(f"/api/v1/members/{walk_in['id']}/privacy", json={"keep_history": False}).get_json()
    assert changed == {"keep_history": False, "forgotten": 1}
    assert_problem(desk.get("/api/v1/members/2147483647/privacy"), 404)
    assert_problem(reader.get(f"/api/v1/members/{walk_in['id']}/privacy"), 403)


def test_the_audit_trail_forgets_who_borrowed_once_the_loan_closes(desk, clock, reader):
    book, (copy,) = desk.book_with_copies(1)
    card = reader.member["card_number"]
    lend(desk, clock, copy, card, "2026-11-02T10:00")
    checkout = in_app(desk.application, select(AuditEvent.summary).where(AuditEvent.action == "loan.checkout"))
    assert checkout[0][0]["card_number"] == card  # while the loan is open, the desk's record names the card
    at(clock, "2026-11-03T10:00")
    desk.give_back(copy["barcode"])
    assert desk.hold(book["id"], card).status_code == 201  # waits: the copy is pulled from the shelf for it
    assert desk.post("/api/v1/holds/capture", json={"barcode": copy["barcode"]}).status_code == 200
    captured = in_app(desk.application, select(AuditEvent.summary).where(AuditEvent.action == "hold.capture"))
    assert captured[0][0]["member_id"] == reader.member["id"]  # the open hold's record names the member
    assert desk.checkout(copy["barcode"], card).status_code == 201  # fulfils the hold
    at(clock, "2026-11-04T10:00")
    desk.give_back(copy["barcode"])
    events = in_app(desk.application, select(AuditEvent.action, AuditEvent.summary).where(
        AuditEvent.resource_type.in_(("loan", "hold"))).order_by(AuditEvent.id))
    assert [action for action, _ in events] == ["loan.checkout", "loan.return", "hold.place", "hold.capture",
                                                "loan.checkout", "loan.return"]
    assert all("card_number" not in summary and "member_id" not in summary for _, summary in events)
    assert events[0][1]["barcode"] == copy["barcode"]  # who at the desk did what stays


def test_the_database_refuses_an_open_loan_or_hold_without_a_member(desk, clock, app):
    book, (copy,) = desk.book_with_copies(1)
    member = desk.member()
    lend(desk, clock, copy, member["card_number"], "2026-11-02T10:00")
    desk.hold(book["id"], desk.member()["card_number"])
    with app.app_context():
        for model in (Loan, Hold):
            with pytest.raises(sa.exc.IntegrityError):
                db.session.execute(sa.update(model).values(member_id=None))
                db.session.commit()
            db.session.rollback()


def test_forget_history_sweeps_what_returns_did_not(desk, clock, app):
    book, (copy,) = desk.book_with_copies(1)
    member = desk.member(name="Private")
    hold = desk.hold(book["id"], member["card_number"]).get_json()
    assert desk.delete(f"/api/v1/holds/{hold['id']}").status_code == 204
    desk.patch(f"/api/v1/members/{member['id']}/privacy", json={"keep_history": False})  # forgets that hold now
    lend(desk, clock, copy, member["card_number"], "2026-11-02T10:00", back="2026-11-03T10:00")
    other = desk.hold(book["id"], member["card_number"]).get_json()
    assert desk.delete(f"/api/v1/holds/{other['id']}").status_code == 204  # cancelled after the last return
    assert in_app(app, select(func.count()).select_from(Hold).where(Hold.member_id == member["id"])) == [(1,)]

    result = app.test_cli_runner().invoke(args=["forget-history"])
    assert result.exit_code == 0 and "Anonymised 0 loan(s) of 1 member(s)." in result.output
    assert in_app(app, select(func.count()).select_from(Hold).where(Hold.member_id.is_not(None))) == [(0,)]
    events = in_app(app, select(AuditEvent.summary).where(AuditEvent.resource_type == "hold"))
    assert events and all("card_number" not in summary for (summary,) in events)
    with app.app_context():
        assert db.session.get(Member, member["id"]).keep_history is False


def test_staff_lists_and_their_csv_name_no_one_for_closed_loans_and_holds(desk, clock, reader):
    book, (copy,) = desk.book_with_copies(1, title="Listed Privately")
    other = desk.member(name="Olga Other")
    card = reader.member["card_number"]
    lend(desk, clock, copy, card, "2026-11-02T10:00", back="2026-11-05T10:00")
    assert reader.patch("/api/v1/members/me/privacy", json={"keep_history": False}).status_code == 200
    lend(desk, clock, copy, other["card_number"], "2026-11-06T10:00", back="2026-11-08T10:00")  # keeps history
    lend(desk, clock, copy, card, "2026-11-09T10:00")  # open: named
    cancelled = desk.hold(book["id"], other["card_number"]).get_json()
    assert desk.delete(f"/api/v1/holds/{cancelled['id']}").status_code == 204
    waiting = desk.hold(book["id"], other["card_number"]).get_json()

    # The list on screen: every loan of the book (the anonymised one too), the member only on the open one.
    listed = desk.get(f"/api/v1/loans?book_id={book['id']}&sort=member").get_json()
    assert listed["total"] == 3
    assert sorted((loan["returned_at"] is None, loan["member_name"]) for loan in listed["items"]) == [
        (False, None), (False, None), (True, "Rosa Reader")]
    assert desk.get(f"/api/v1/loans?member_id={other['id']}").get_json()["items"] == []  # nothing current
    rows = rows_of(desk.get(f"/api/v1/loans.csv?book_id={book['id']}&sort=-loaned_at"))
    header = rows[0]
    named = [(row[header.index("returned_at")] == "", row[header.index("member")], row[header.index("card_number")])
             for row in rows[1:]]
    assert named == [(True, "Rosa Reader", card), (False, "", ""), (False, "", "")]

    # Holds: staff filtering by member see the open one; the CSV names nobody on the cancelled one.
    assert [h["id"] for h in desk.get(f"/api/v1/holds?member_id={other['id']}").get_json()["items"]] == [
        waiting["id"]]
    holds = desk.get(f"/api/v1/holds?book_id={book['id']}&status=cancelled").get_json()["items"]
    assert [(h["id"], h["member_id"], h["member_name"]) for h in holds] == [(cancelled["id"], None, None)]
    rows = rows_of(desk.get(f"/api/v1/holds.csv?book_id={book['id']}&status=cancelled"))
    assert [(row[rows[0].index("status")], row[rows[0].index("member")]) for row in rows[1:]] == [("cancelled", "")]
