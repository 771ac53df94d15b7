"""Member logins and self-registration on SQLite and PostgreSQL: staff give a card a login in one step, link or
unlink accounts; members edit their contact details; visitors sign up for a pending card that staff approve or
reject, and a pending card neither borrows nor holds."""

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from library import create_app
from library.models import Member, User

from .conftest import PASSWORD
from .test_accounts import login
from .test_books import assert_problem
from .test_circulation import desk  # noqa: F401 - the fixture
from .test_passwordlinks import NEW_PASSWORD, in_db, token_of


def card():
    return f"M{uuid.uuid4().hex[:8]}"


def set_password_with(app, url, password=NEW_PASSWORD):
    """Use a password link the way the member's browser does; returns that logged-in client."""
    browser = app.test_client()
    answer = browser.post("/api/v1/auth/reset-password", json={"token": token_of(url), "new_password": password})
    assert answer.status_code == 200, answer.get_json()
    browser.csrf = answer.get_json()["csrf_token"]
    return browser


@pytest.fixture
def registration_on(as_role):
    assert as_role("admin").patch("/api/v1/settings", json={"self_registration": True}).status_code == 200


# --- logins made by staff ---------------------------------------------------------------------------

def test_staff_create_a_member_with_a_login_and_the_member_sets_a_password_through_the_link(app, client):
    created = client.post("/api/v1/members", json={"card_number": card(), "name": "Lena Park", "email": "lena@home.test",
                                                   "login": {"email": "Lena@Example.org"}})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["user_email"] == "lena@example.org" and body["user_id"]
    assert body["password_link"]["purpose"] == "welcome"
    user = in_db(app, select(User).where(User.email == "lena@example.org"))
    assert user.role == "member" and user.must_change_password is False

    member = set_password_with(app, body["password_link"]["url"])
    mine = member.get("/api/v1/members/me").get_json()
    assert mine["id"] == body["id"] and mine["status"] == "active"
    login(app, "lena@example.org", NEW_PASSWORD)


def test_staff_create_a_member_with_a_temporary_password_to_be_changed_at_first_login(app, client):
    created = client.post("/api/v1/members", json={"card_number": card(), "name": "Omar Diaz",
                                                   "login": {"email": "omar@example.org", "temporary_password": PASSWORD}})
    assert created.status_code == 201 and created.get_json()["password_link"] is None
    omar = login(app, "omar@example.org")
    assert omar.get("/api/v1/auth/me").get_json()["user"]["must_change_password"] is True
    assert "temporary" in assert_problem(omar.get("/api/v1/members/me"), 403)["detail"]
    changed = omar.post("/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                        headers={"X-CSRFToken": omar.csrf})
    assert changed.status_code == 200
    assert omar.get("/api/v1/members/me").get_json()["name"] == "Omar Diaz"


@pytest.mark.parametrize("extra, status, field", [
    ({"login": {"email": "taken@example.org"}}, 409, "login.email"),
    ({"login": {"email": "weak@example.org", "temporary_password": "password1"}}, 422, "login.temporary_password"),
    ({"login": {"email": "both@example.org"}, "user_email": "taken@example.org"}, 422, "_schema"),
    ({"login": {"email": "not an email"}}, 422, "login.email"),
    ({"login": {"email": "x@example.org", "password": PASSWORD}}, 422, "login.password"),
])
def test_a_new_login_that_cannot_be_made_writes_nothing(app, client, make_user, extra, status, field):
    make_user(email="taken@example.org")
    before = in_db(app, select(func.count()).select_from(User)), in_db(app, select(func.count()).select_from(Member))
    response = client.post("/api/v1/members", json={"card_number": card(), "name": "Nobody", **extra})
    assert field in assert_problem(response, status)["errors"]
    assert (in_db(app, select(func.count()).select_from(User)), in_db(app, select(func.count()).select_from(Member))) == before


def test_a_card_taken_meanwhile_leaves_no_login_behind(app, client):
    taken = card()
    assert client.post("/api/v1/members", json={"card_number": taken, "name": "First"}).status_code == 201
    response = client.post("/api/v1/members", json={"card_number": taken, "name": "Second",
                                                    "login": {"email": "second@example.org"}})
    assert_problem(response, 409)
    assert in_db(app, select(User.id).where(User.email == "second@example.org")) is None


def test_staff_link_unlink_and_give_a_login_to_an_existing_card(app, client, make_user):
    user_id = make_user(email="reader@example.org")
    member = client.post("/api/v1/members", json={"card_number": card(), "name": "Ria"}).get_json()
    linked = client.patch(f"/api/v1/members/{member['id']}", json={"user_email": "READER@example.org"})
    assert linked.get_json()["user_id"] == user_id and linked.get_json()["user_email"] == "reader@example.org"
    unlinked = client.patch(f"/api/v1/members/{member['id']}", json={"user_id": None})
    assert unlinked.get_json()["user_id"] is None and unlinked.get_json()["user_email"] is None

    given = client.post(f"/api/v1/members/{member['id']}/login", json={"email": "ria@example.org"})
    assert given.status_code == 201, given.get_json()
    assert given.get_json()["member"]["user_email"] == "ria@example.org"
    assert given.headers["Location"].endswith(f"/api/v1/users/{given.get_json()['member']['user_id']}")
    set_password_with(app, given.get_json()["password_link"]["url"])
    assert "already has an account" in assert_problem(
        client.post(f"/api/v1/members/{member['id']}/login", json={"email": "other@example.org"}), 409)["detail"]


def test_staff_edit_a_members_name_card_number_contact_and_status(client):
    member = client.post("/api/v1/members", json={"card_number": card(), "name": "Old Name"}).get_json()
    other = client.post("/api/v1/members", json={"card_number": card(), "name": "Other"}).get_json()
    new_card = card()
    changed = client.patch(f"/api/v1/members/{member['id']}", json={"name": "New Name", "card_number": new_card,
                                                                    "email": "new@example.org", "phone": "555 0100",
                                                                    "status": "suspended"})
    assert changed.status_code == 200
    assert {k: changed.get_json()[k] for k in ("name", "card_number", "email", "phone", "status")} == {
        "name": "New Name", "card_number": new_card, "email": "new@example.org", "phone": "555 0100",
        "status": "suspended"}
    clash = client.patch(f"/api/v1/members/{member['id']}", json={"card_number": other["card_number"]})
    assert "card_number" in assert_problem(clash, 409)["errors"]
    assert "status" in assert_problem(client.patch(f"/api/v1/members/{member['id']}", json={"status": "pending"}),
                                      422)["errors"]


# --- members' own details ---------------------------------------------------------------------------

def test_members_edit_their_own_contact_details_and_nothing_else(client, as_role):
    me = as_role("member")
    assert_problem(me.patch("/api/v1/members/me", json={"phone": "1"}), 404)  # no card yet
    client.post("/api/v1/members", json={"card_number": card(), "name": "Mo", "user_id": me.user_id})
    changed = me.patch("/api/v1/members/me", json={"email": "MO@home.example", "phone": " 555 0199 "})
    assert changed.status_code == 200
    assert (changed.get_json()["email"], changed.get_json()["phone"]) == ("mo@home.example", "555 0199")
    assert me.patch("/api/v1/members/me", json={"phone": None}).get_json()["phone"] is None
    for field, value in (("name", "Someone Else"), ("card_number", "X1"), ("status", "active"), ("user_id", 1)):
        assert field in assert_problem(me.patch("/api/v1/members/me", json={field: value}), 422)["errors"]


# --- self-registration ------------------------------------------------------------------------------

def test_signing_up_is_off_by_default(anon):
    assert anon.get("/api/v1/settings/public").get_json()["self_registration"] is False
    refused = anon.post("/api/v1/auth/register", json={"name": "Vi", "email": "vi@example.org", "password": PASSWORD})
    assert "turned off" in assert_problem(refused, 403)["detail"]


def test_a_visitor_signs_up_and_staff_approve_the_pending_card(app, anon, desk, as_role, registration_on):  # noqa: F811
    signed = anon.post("/api/v1/auth/register", json={"name": "Vera Lind", "email": "Vera@Example.org",
                                                      "password": PASSWORD, "phone": "555 0123"})
    assert signed.status_code == 202 and signed.get_json()["detail"]
    vera = login(app, "vera@example.org")
    mine = vera.get("/api/v1/members/me").get_json()
    assert (mine["status"], mine["card_number"], mine["name"], mine["phone"]) == ("pending", None, "Vera Lind", "555 0123")

    # Pending: no holds, no loans.
    book, (copy,) = desk.book_with_copies(1)
    refused = vera.post("/api/v1/holds", json={"book_id": book["id"]}, headers={"X-CSRFToken": vera.csrf})
    assert "waiting for approval" in assert_problem(refused, 409)["detail"]
    refused = desk.post("/api/v1/loans", json={"barcode": copy["barcode"], "member_id": mine["id"]})
    assert "waiting for approval" in assert_problem(refused, 409)["detail"]
    refused = desk.post("/api/v1/holds", json={"book_id": book["id"], "member_id": mine["id"]})
    assert "waiting for approval" in assert_problem(refused, 409)["detail"]
    assert_problem(desk.patch(f"/api/v1/members/{mine['id']}", json={"status": "active"}), 409)

    pending = desk.get("/api/v1/members?status=pending").get_json()
    assert [m["id"] for m in pending["items"]] == [mine["id"]]
    number = card()
    approved = desk.post(f"/api/v1/members/{mine['id']}/approve", json={"card_number": number})
    assert approved.status_code == 200 and approved.get_json()["status"] == "active"
    assert approved.get_json()["card_number"] == number
    assert desk.checkout(copy["barcode"], number).status_code == 201
    assert_problem(desk.post(f"/api/v1/members/{mine['id']}/approve", json={"card_number": card()}), 409)

    events = as_role("admin").get(f"/api/v1/audit?resource_type=member&resource_id={mine['id']}").get_json()["items"]
    by_action = {e["action"]: e for e in events}
    assert by_action["member.register"]["actor"] == "vera@example.org"
    assert by_action["member.create"]["actor"] == "vera@example.org"
    assert by_action["member.update"]["summary"]["status"] == ["pending", "active"]


def test_signing_up_with_a_taken_email_answers_the_same_and_changes_nothing(app, anon, make_user, registration_on):
    make_user(email="kim@example.org")
    fresh = anon.post("/api/v1/auth/register", json={"name": "New", "email": "new@example.org", "password": PASSWORD})
    taken = anon.post("/api/v1/auth/register", json={"name": "Kim", "email": "KIM@example.org",
                                                     "password": "an attacker's passphrase"})
    assert (fresh.status_code, fresh.get_data()) == (taken.status_code, taken.get_data())
    assert in_db(app, select(func.count()).select_from(User).where(User.email == "kim@example.org")) == 1
    login(app, "kim@example.org")  # the old password still works
    assert in_db(app, select(func.count()).select_from(Member)) == 1  # only the new sign-up's card


def test_staff_reject_a_pending_card_and_its_account_is_disabled(app, anon, client, registration_on):
    anon.post("/api/v1/auth/register", json={"name": "Spam Bot", "email": "bot@example.org", "password": PASSWORD})
    pending = client.get("/api/v1/members?status=pending").get_json()["items"][0]
    active = client.post("/api/v1/members", json={"card_number": card(), "name": "Real"}).get_json()
    assert "suspend" in assert_problem(client.post(f"/api/v1/members/{active['id']}/reject"), 409)["detail"]
    assert client.post(f"/api/v1/members/{pending['id']}/reject").status_code == 204
    assert_problem(client.get(f"/api/v1/members/{pending['id']}"), 404)
    assert_problem(app.test_client().post("/api/v1/auth/login", json={"email": "bot@example.org", "password": PASSWORD}),
                   401)
    again = anon.post("/api/v1/auth/register", json={"name": "Spam Bot", "email": "bot@example.org", "password": PASSWORD})
    assert again.status_code == 202
    assert client.get("/api/v1/members?status=pending").get_json()["total"] == 0


def test_approval_needs_a_free_card_number(anon, client, registration_on):
    anon.post("/api/v1/auth/register", json={"name": "Ada", "email": "ada@example.org", "password": PASSWORD})
    pending = client.get("/api/v1/members?status=pending").get_json()["items"][0]
    taken = client.post("/api/v1/members", json={"card_number": card(), "name": "Bo"}).get_json()["card_number"]
    clash = client.post(f"/api/v1/members/{pending['id']}/approve", json={"card_number": taken})
    assert "card_number" in assert_problem(clash, 409)["errors"]
    assert "card_number" in assert_problem(client.post(f"/api/v1/members/{pending['id']}/approve", json={}), 422)["errors"]


def test_a_signed_in_user_without_a_card_asks_for_one(as_role, client, registration_on):
    me = as_role("member")
    asked = me.post("/api/v1/members/me", json={"name": "Pat Lee"})
    assert asked.status_code == 201 and asked.get_json()["status"] == "pending"
    assert asked.headers["Location"].endswith("/api/v1/members/me")
    assert "already has" in assert_problem(me.post("/api/v1/members/me", json={"name": "Pat Lee"}), 409)["detail"]
    assert as_role("admin").patch("/api/v1/settings", json={"self_registration": False}).status_code == 200
    assert_problem(as_role("member").post("/api/v1/members/me", json={"name": "Late"}), 403)


def test_signing_up_is_throttled_per_address(anon, registration_on):
    for n in range(30):
        response = anon.post("/api/v1/auth/register", json={"name": f"P{n}", "email": f"p{n}@example.org",
                                                            "password": PASSWORD})
        assert response.status_code == 202
    assert_problem(anon.post("/api/v1/auth/register", json={"name": "Late", "email": "late@example.org",
                                                            "password": PASSWORD}), 429)


def test_the_database_refuses_an_active_card_without_a_number(app, client):
    member = client.post("/api/v1/members", json={"card_number": card(), "name": "Checked"}).get_json()
    with app.app_context():
        from library.extensions import db

        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.update(Member).where(Member.id == member["id"]).values(card_number=None))
            db.session.commit()
        db.session.rollback()


# --- the migration ----------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_keeps_members_with_their_loans_and_holds(request, tmp_path, backend):
    """0007 rebuilds the member table on SQLite (loans and holds refer to it): every row and reference stays."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    from library.extensions import db
    from library.services import revisions

    before = ScriptDirectory(str(revisions.MIGRATIONS_DIR)).get_revision("0007_member_logins").down_revision
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LIBRARY_ENV": "testing", "LIBRARY_DATA_DIR": str(tmp_path)})
    now = "2026-11-27 09:00:00"
    with app.app_context():
        upgrade(revision=before)
        for statement in (
            f"INSERT INTO book (id, title, created_at, updated_at) VALUES (1, 'Kept', '{now}', '{now}')",
            f"INSERT INTO copy (id, book_id, barcode, status, created_at, updated_at) VALUES (1, 1, 'C1', 'on_loan', '{now}', '{now}')",
            f"INSERT INTO member (id, card_number, name, status, created_at, updated_at) VALUES (7, 'M7', 'Ann', 'active', '{now}', '{now}')",
            f"INSERT INTO loan (copy_id, member_id, loaned_at, due_at, renewals) VALUES (1, 7, '{now}', '{now}', 0)",
            f"INSERT INTO hold (book_id, member_id, placed_at, status) VALUES (1, 7, '{now}', 'waiting')",
        ):
            db.session.execute(sa.text(statement))
        db.session.commit()
        upgrade()
        assert db.session.execute(sa.text("SELECT id, card_number, name FROM member")).all() == [(7, "M7", "Ann")]
        assert db.session.execute(sa.text("SELECT member_id FROM loan")).all() == [(7,)]
        with pytest.raises(sa.exc.IntegrityError):  # the references are still enforced
            db.session.execute(sa.text("DELETE FROM member WHERE id = 7"))
            db.session.commit()
        db.session.rollback()
        downgrade(revision=before)
        assert db.session.execute(sa.text("SELECT card_number FROM member")).all() == [("M7",)]
        db.session.commit()
        db.engine.dispose()
