"""Password links, "Forgot your password?" and temporary passwords, on SQLite and PostgreSQL: a link works once,
expires, is stored only as a hash and ends the account's other sessions and tokens; a request says nothing about
which accounts exist and is throttled; a temporary password allows nothing but changing it."""

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from library.models import AuditEvent, PasswordLink, User

from .conftest import PASSWORD
from .test_accounts import Clock, _flask, email_of, login
from .test_books import assert_problem

NEW_PASSWORD = "a brand new passphrase for the library"


@pytest.fixture
def clock(app):
    app.config["LIBRARY_CLOCK"] = clock = Clock()
    return clock


def token_of(url):
    found = re.fullmatch(r"http://localhost/#/reset-password\?token=([A-Za-z0-9_-]{43})", url)
    assert found, url
    return found[1]


def reset_link(admin, user_id):
    response = admin.post(f"/api/v1/users/{user_id}/reset-link")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def in_db(app, statement, scalars=False):
    with app.app_context():
        from library.extensions import db

        return db.session.scalars(statement).all() if scalars else db.session.scalar(statement)


# --- links ------------------------------------------------------------------------------------------

def test_a_link_is_on_the_public_address_whatever_host_the_request_names(make_app, make_user, make_token):
    admin = make_app(LIBRARY_PUBLIC_URL="https://library.example.org").test_client()  # the same database
    headers = {"Authorization": f"Bearer {make_token(make_user('admin'))}",
               "Host": "attacker.example", "X-Forwarded-Host": "attacker.example"}
    response = admin.post(f"/api/v1/users/{make_user()}/reset-link", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["url"].startswith("https://library.example.org/#/reset-password?token=")


def test_an_admin_makes_a_reset_link_that_works_once_and_ends_the_users_other_sessions(app, as_role, make_user,
                                                                                        make_token, anon):
    admin = as_role("admin")
    user_id = make_user("librarian")
    email = email_of(app, user_id)
    browser = login(app, email)
    token = make_token(user_id)
    link = reset_link(admin, user_id)
    assert link["purpose"] == "reset"
    raw = token_of(link["url"])

    checked = anon.post("/api/v1/auth/reset-link", json={"token": raw})
    assert checked.status_code == 200 and checked.get_json()["email"] == email
    weak = anon.post("/api/v1/auth/reset-password", json={"token": raw, "new_password": "password1"})
    assert "new_password" in assert_problem(weak, 422)["errors"]

    done = anon.post("/api/v1/auth/reset-password", json={"token": raw, "new_password": NEW_PASSWORD})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["user"]["email"] == email and done.get_json()["csrf_token"]
    assert anon.get("/api/v1/auth/me").status_code == 200  # this browser is logged in
    assert browser.get("/api/v1/auth/me").get_json()["user"] is None  # the other session ended
    assert_problem(browser.get("/api/v1/tokens"), 401)
    assert_problem(app.test_client().get("/api/v1/tokens", headers={"Authorization": f"Bearer {token}"}), 401)
    assert_problem(app.test_client().post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}), 401)
    login(app, email, NEW_PASSWORD)

    again = anon.post("/api/v1/auth/reset-password", json={"token": raw, "new_password": "another fine passphrase"})
    assert "used already" in assert_problem(again, 404)["detail"]
    assert "used already" in assert_problem(anon.post("/api/v1/auth/reset-link", json={"token": raw}), 404)["detail"]
    actions = [e["action"] for e in admin.get(f"/api/v1/audit?resource_type=user&resource_id={user_id}").get_json()["items"]]
    assert {"auth.password_link_created", "auth.password_set_by_link"} <= set(actions)


def test_links_are_stored_only_as_a_hash(app, as_role, make_user):
    user_id = make_user()
    raw = token_of(reset_link(as_role("admin"), user_id)["url"])
    rows = in_db(app, select(PasswordLink).where(PasswordLink.user_id == user_id), scalars=True)
    assert len(rows) == 1
    assert rows[0].token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in repr({c.name: getattr(rows[0], c.name) for c in PasswordLink.__table__.columns})
    events = in_db(app, select(AuditEvent.summary).where(AuditEvent.action == "auth.password_link_created"), scalars=True)
    assert events and all(raw not in repr(summary) for summary in events)


def test_a_link_expires_after_a_day(app, as_role, make_user, anon, clock):
    raw = token_of(reset_link(as_role("admin"), make_user())["url"])
    clock.advance(hours=23, minutes=59)
    assert anon.post("/api/v1/auth/reset-link", json={"token": raw}).status_code == 200
    clock.advance(minutes=1)
    assert "expired" in assert_problem(anon.post("/api/v1/auth/reset-link", json={"token": raw}), 404)["detail"]
    late = anon.post("/api/v1/auth/reset-password", json={"token": raw, "new_password": NEW_PASSWORD})
    assert "expired" in assert_problem(late, 404)["detail"]


@pytest.mark.parametrize("token", ["x" * 43, "", "x" * 101])
def test_unknown_or_malformed_tokens_are_refused(anon, token):
    response = anon.post("/api/v1/auth/reset-password", json={"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == (404 if len(token) == 43 else 422)


def test_a_new_link_replaces_the_open_one_and_a_password_change_closes_it(app, as_role, make_user, anon):
    admin = as_role("admin")
    user_id = make_user()
    first = token_of(reset_link(admin, user_id)["url"])
    second = token_of(reset_link(admin, user_id)["url"])
    assert "does not work" in assert_problem(anon.post("/api/v1/auth/reset-link", json={"token": first}), 404)["detail"]
    assert anon.post("/api/v1/auth/reset-link", json={"token": second}).status_code == 200
    user = login(app, email_of(app, user_id))
    changed = user.post("/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                        headers={"X-CSRFToken": user.csrf})
    assert changed.status_code == 200
    assert_problem(anon.post("/api/v1/auth/reset-link", json={"token": second}), 404)


def test_a_link_is_used_once_even_when_sent_twice_at_the_same_moment(app, as_role, make_user):
    raw = token_of(reset_link(as_role("admin"), make_user())["url"])

    def use(password):
        return app.test_client().post("/api/v1/auth/reset-password", json={"token": raw, "new_password": password})

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(r.status_code for r in pool.map(use, [NEW_PASSWORD, "yet another fine passphrase"]))
    assert statuses == [200, 404]


def test_disabled_accounts_get_no_link_and_their_links_stop_working(app, as_role, make_user, anon):
    admin = as_role("admin")
    user_id = make_user()
    raw = token_of(reset_link(admin, user_id)["url"])
    assert admin.patch(f"/api/v1/users/{user_id}", json={"is_active": False}).status_code == 200
    assert_problem(anon.post("/api/v1/auth/reset-link", json={"token": raw}), 404)
    assert_problem(admin.post(f"/api/v1/users/{user_id}/reset-link"), 409)


def test_only_admins_make_reset_links_for_any_user(as_role, make_user, anon):
    user_id = make_user("admin")
    assert_problem(as_role("librarian").post(f"/api/v1/users/{user_id}/reset-link"), 403)
    assert_problem(as_role("member").post(f"/api/v1/users/{user_id}/reset-link"), 403)
    assert_problem(anon.post(f"/api/v1/users/{user_id}/reset-link"), 401)
    assert_problem(as_role("admin", scopes=["read", "write"]).post(f"/api/v1/users/{user_id}/reset-link"), 403)


def test_librarians_make_links_for_members_accounts_but_not_for_staff(app, client, as_role, make_user):
    member_user, staff_user = make_user("member"), make_user("librarian")
    card = client.post("/api/v1/members", json={"card_number": "LINK-1", "name": "Mia", "user_id": member_user}).get_json()
    staff_card = client.post("/api/v1/members", json={"card_number": "LINK-2", "name": "Sam", "user_id": staff_user})
    no_login = client.post("/api/v1/members", json={"card_number": "LINK-3", "name": "Noa"}).get_json()
    made = client.post(f"/api/v1/members/{card['id']}/password-link")
    assert made.status_code == 200 and made.get_json()["purpose"] == "welcome"  # never logged in yet
    assert "staff account" in assert_problem(client.post(f"/api/v1/members/{staff_card.get_json()['id']}/password-link"),
                                             409)["detail"]
    assert as_role("admin").post(f"/api/v1/members/{staff_card.get_json()['id']}/password-link").status_code == 200
    assert "no account" in assert_problem(client.post(f"/api/v1/members/{no_login['id']}/password-link"), 409)["detail"]


# --- "Forgot your password?" ------------------------------------------------------------------------

def test_forgot_password_answers_the_same_for_any_email_and_tells_the_admins(app, as_role, make_user, anon):
    admin = as_role("admin")
    known = email_of(app, make_user())
    disabled_id = make_user(active=False)
    answers = [anon.post("/api/v1/auth/reset-requests", json={"email": email})
               for email in (known.upper(), "nobody@example.org", email_of(app, disabled_id), "not an email")]
    assert {r.status_code for r in answers} == {202}
    assert len({r.get_data() for r in answers}) == 1
    def same_for_everyone(response):  # every header but the request's own id
        return {(name, value) for name, value in response.headers if name != "X-Request-ID"}

    assert len({frozenset(same_for_everyone(r)) for r in answers}) == 1

    asked = admin.get("/api/v1/users?reset_requested=true").get_json()["items"]
    assert [u["email"] for u in asked] == [known]
    assert asked[0]["password_reset_requested_at"]
    link = reset_link(admin, asked[0]["id"])  # the admin answers the request with a link
    assert link["purpose"] == "reset"
    assert admin.get("/api/v1/users?reset_requested=true").get_json()["total"] == 0


def test_reset_requests_are_throttled_per_email_and_per_address(app, anon, clock):
    def ask(email, address="192.0.2.1"):
        return anon.post("/api/v1/auth/reset-requests", json={"email": email}, environ_base={"REMOTE_ADDR": address})

    for _ in range(3):
        assert ask("someone@example.org").status_code == 202
    refused = assert_problem(ask("someone@example.org"), 429)
    assert refused["detail"] and int(ask("SOMEONE@example.org").headers["Retry-After"]) > 3000
    assert ask("someone-else@example.org").status_code == 202

    for n in range(16):  # 20 from one address in an hour, whatever the emails
        assert ask(f"flood{n}@example.org").status_code == 202
    assert_problem(ask("fresh@example.org"), 429)
    assert ask("fresh@example.org", address="192.0.2.2").status_code == 202
    clock.advance(hours=1)
    assert ask("someone@example.org").status_code == 202


# --- temporary passwords ----------------------------------------------------------------------------

def test_a_temporary_password_allows_nothing_but_changing_it(app, as_role, anon):
    admin = as_role("admin")
    created = admin.post("/api/v1/users", json={"email": "temp@example.org", "display_name": "Temp",
                                                "role": "librarian", "password": PASSWORD})
    assert created.status_code == 201 and created.get_json()["must_change_password"] is True
    user = login(app, "temp@example.org")
    headers = {"X-CSRFToken": user.csrf}
    me = user.get("/api/v1/auth/me").get_json()
    assert me["user"]["must_change_password"] is True
    assert user.get("/api/v1/books").status_code == 200  # what anyone may do stays open
    for response in (user.get("/api/v1/tokens"), user.get("/api/v1/members"),
                     user.post("/api/v1/tokens", json={"name": "x", "scopes": ["read"]}, headers=headers)):
        assert "temporary" in assert_problem(response, 403)["detail"]
    assert user.get("/api/v1/auth/csrf").status_code == 200
    changed = user.post("/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                        headers=headers)
    assert changed.status_code == 200 and changed.get_json()["user"]["must_change_password"] is False
    assert user.get("/api/v1/members").status_code == 200
    assert in_db(app, select(User.must_change_password).where(User.email == "temp@example.org")) is False


def test_an_admin_may_create_a_user_whose_password_is_not_temporary(app, as_role):
    created = as_role("admin").post("/api/v1/users", json={"email": "kept@example.org", "display_name": "Kept",
                                                           "role": "member", "password": PASSWORD,
                                                           "must_change_password": False})
    assert created.get_json()["must_change_password"] is False
    assert login(app, "kept@example.org").get("/api/v1/tokens").status_code == 200


# --- the command line -------------------------------------------------------------------------------

def test_operators_print_a_link_or_set_a_password_on_the_command_line(app, database_url, make_user, anon):
    email = email_of(app, make_user())
    printed = _flask(database_url, "reset-password", email.upper(), "--base-url", "https://library.example.org/")
    assert printed.returncode == 0, printed.stderr
    url = printed.stdout.split()[-1]
    assert url.startswith("https://library.example.org/#/reset-password?token=")
    raw = url.rsplit("=", 1)[1]
    assert anon.post("/api/v1/auth/reset-link", json={"token": raw}).get_json()["email"] == email

    weak = _flask(database_url, "reset-password", email, "--password-stdin", stdin="password\n")
    assert weak.returncode != 0 and "common" in weak.stderr
    set_ = _flask(database_url, "reset-password", email, "--password-stdin", "--temporary", stdin=NEW_PASSWORD + "\n")
    assert set_.returncode == 0, set_.stderr
    user = login(app, email, NEW_PASSWORD)
    assert user.get("/api/v1/auth/me").get_json()["user"]["must_change_password"] is True
    assert_problem(anon.post("/api/v1/auth/reset-link", json={"token": raw}), 404)  # setting it closed the link
    assert _flask(database_url, "reset-password", "nobody@example.org").returncode != 0
