"""Accounts, roles, sessions, tokens, CSRF, throttling and audit (SECURITY-CHECKLIST rows A, N, S, C-02/03)."""

import hashlib
import json
import logging
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from library import create_app
from library.authz import endpoint_rule
from library.models import ApiToken, AuditEvent, Book, User, UserSession
from library.services import passwords

from .conftest import PASSWORD
from .factories import book_payload, create_book
from .test_books import assert_problem


class Clock:
    """A controllable clock for the app (config LIBRARY_CLOCK)."""

    def __init__(self):
        self.now = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(app):
    app.config["LIBRARY_CLOCK"] = clock = Clock()
    return clock


def email_of(app, user_id):
    with app.app_context():
        from library.extensions import db

        return db.session.get(User, user_id).email


def login(app, email, password=PASSWORD, client=None, **kwargs):
    """A test client logged in through the API (cookie jar), with its CSRF token in .csrf."""
    client = client or app.test_client()
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password}, **kwargs)
    assert response.status_code == 200, response.get_json()
    client.csrf = response.get_json()["csrf_token"]
    return client


def assert_visitor(client):
    """GET /auth/me answers as to a visitor: the client's session (if it had one) is over."""
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"user": None, "member": None, "csrf_token": None}


def session_cookie(client):
    cookie = client.get_cookie("library_session") or client.get_cookie("__Host-session")
    return cookie.value if cookie else None


# --- the permission matrix (A-04, C-03) --------------------------------------------------------------

EXPECTED = {  # rule name -> who may: the policy, written out independently of the code
    "public": {None, "member", "librarian", "admin"},
    "login": {None, "member", "librarian", "admin"},
    "user": {"member", "librarian", "admin"},
    "user_session": {"member", "librarian", "admin"},
    "staff": {"librarian", "admin"},
    "admin": {"admin"},
    "metrics": {None, "member", "librarian", "admin"},  # the view checks its own scrape token
}


def api_routes(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_api_route_declares_an_access_rule(app):
    missing = [(rule.rule, method) for rule, method in api_routes(app) if endpoint_rule(rule.endpoint, method, app) is None]
    assert missing == []


@pytest.mark.parametrize("role", [None, "member", "librarian", "admin"])
def test_permission_matrix(app, as_role, role):
    """Every (role, method, route) of the URL map answers as its declared rule says: 401, 403 or through."""
    client = as_role(role)
    owner = as_role("librarian")
    book = create_book(owner)
    author_id = book["authors"][0]["id"]
    missing = 2**31 - 1  # ids that exist nowhere: the rule still decides before the 404
    ids = {"book_id": book["id"], "author_id": author_id, "user_id": owner.user_id, "token_id": missing,
           "copy_id": missing, "member_id": missing, "loan_id": missing, "hold_id": missing, "job_id": missing,
           "import_id": missing, "token": "x" * 43, "filename": "swagger-ui.css", "isbn": "9780306406157",
           "notice_id": missing, "kind": "hold_ready"}
    checked = 0
    for rule, method in api_routes(app):
        url = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(ids[m.group(1)]), rule.rule)
        access = endpoint_rule(rule.endpoint, method, app)
        body = {} if method in ("POST", "PATCH", "PUT") else None
        response = client.open(url, method=method, json=body)
        response.close()
        allowed = role in EXPECTED[access.name]
        if allowed and access.session_only:  # these clients use tokens
            assert response.status_code == 403, (role, method, url)
        elif allowed:
            assert response.status_code not in (401, 403), (role, method, url, response.get_json())
        elif role is None:
            assert response.status_code == 401, (role, method, url)
        else:
            assert response.status_code == 403, (role, method, url)
        checked += 1
    assert checked >= 25


def test_spec_shows_each_rule(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    users = spec["paths"]["/api/v1/users"]["post"]
    assert users["security"] == [{"bearerAuth": []}, {"sessionCookie": []}]
    assert {"401", "403"} <= set(users["responses"]) and "admin" in users["description"]
    assert spec["paths"]["/api/v1/books"]["get"]["security"] == []
    assert "429" in spec["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert spec["paths"]["/api/v1/auth/password"]["post"]["security"] == [{"sessionCookie": []}]
    assert set(spec["components"]["securitySchemes"]) == {"bearerAuth", "sessionCookie", "metricsToken"}


# --- mass assignment (A-05) and data exposure (A-06) -------------------------------------------------

@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/users", {"email": "x@example.org", "display_name": "X", "role": "member",
                                   "password": PASSWORD, "id": 999}, "id"),
        ("post", "/api/v1/users", {"email": "x@example.org", "display_name": "X", "role": "member",
                                   "password": PASSWORD, "is_admin": True}, "is_admin"),
        ("patch", "/api/v1/users/{me}", {"email": "new@example.org"}, "email"),
        ("patch", "/api/v1/users/{me}", {"password_hash": "x"}, "password_hash"),
        ("patch", "/api/v1/users/{me}", {"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ("post", "/api/v1/tokens", {"name": "t", "scopes": ["read"], "user_id": 1}, "user_id"),
        ("post", "/api/v1/tokens", {"name": "t", "scopes": ["read"], "token": "chosen"}, "token"),
    ],
)
def test_server_owned_fields_are_refused(as_role, method, path, body, field):
    admin = as_role("admin")
    response = getattr(admin, method)(path.format(me=admin.user_id), json=body)
    assert field in assert_problem(response, 422)["errors"]


def test_members_cannot_raise_their_token_scopes_or_role(as_role, app):
    member = as_role("member")
    body = assert_problem(member.post("/api/v1/tokens", json={"name": "sneaky", "scopes": ["read", "admin"]}), 422)
    assert "scopes" in body["errors"]
    assert_problem(member.patch(f"/api/v1/users/{member.user_id}", json={"role": "admin"}), 403)
    with app.app_context():
        from library.extensions import db

        assert db.session.get(User, member.user_id).role == "member"


def test_responses_never_carry_secrets(as_role, app):
    admin = as_role("admin")
    bodies = [admin.get("/api/v1/users").get_data(as_text=True), admin.get("/api/v1/tokens").get_data(as_text=True),
              admin.get("/api/v1/auth/me").get_data(as_text=True),
              admin.post("/api/v1/tokens", json={"name": "x", "scopes": ["read"]}).get_data(as_text=True)]
    for body in bodies:
        for key in ("password", "password_hash", "token_hash", "id_hash", "secret"):
            assert f'"{key}"' not in body


# --- passwords (N-01 .. N-03) ------------------------------------------------------------------------

def test_password_hashes_are_argon2id_with_strong_parameters_and_unique_salts(make_app):
    app = make_app(LIBRARY_ENV="development")  # production parameters: argon2-cffi's defaults
    first, second = (passwords.hash_password(PASSWORD, app.config["LIBRARY_ARGON2"]) for _ in range(2))
    match = re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", first)
    assert match and int(match[1]) >= 19456 and int(match[2]) >= 2
    assert first != second


def test_login_rehashes_a_weaker_hash(app, make_user):
    user_id = make_user("member", password=PASSWORD)
    weak = passwords.hasher((1, 8192, 1)).hash(PASSWORD)
    with app.app_context():
        from library.extensions import db

        db.session.get(User, user_id).password_hash = weak
        db.session.commit()
    login(app, email_of(app, user_id))
    with app.app_context():
        from library.extensions import db

        stored = db.session.get(User, user_id).password_hash
    assert stored != weak and "m=19456,t=2" in stored


@pytest.mark.parametrize(
    ("password", "ok"),
    [("x" * 7, False), ("Tr0ub4d!", True), ("a" * 64, True), ("b" * 128, True), ("c" * 129, False),
     ("password1234", False), ("Password1234", False), ("qwertyuiop", False),
     ("ünïcødé 🔑 pass", True), ("nodigitsorsymbolsatall", True)],
)
def test_password_policy(as_role, app, password, ok):
    admin = as_role("admin")
    response = admin.post("/api/v1/users", json={"email": f"p{len(password)}{ok}@example.org", "display_name": "P",
                                                 "role": "member", "password": password})
    if not ok:
        assert "password" in assert_problem(response, 422)["errors"]
        return
    assert response.status_code == 201
    login(app, response.get_json()["email"], password)  # Unicode round-trips exactly


# --- sessions (S-01 .. S-05) -------------------------------------------------------------------------

def test_login_sets_a_strict_http_only_cookie_and_logout_revokes_it(app, make_user):
    email = email_of(app, make_user("librarian"))
    client = app.test_client()
    response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("library_session=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/" in cookie and "Domain" not in cookie
    raw = session_cookie(client)
    assert len(raw) >= 43
    client.csrf = response.get_json()["csrf_token"]
    assert client.get("/api/v1/auth/me").get_json()["user"]["email"] == email

    assert client.post("/api/v1/auth/logout", headers={"X-CSRFToken": client.csrf}).status_code == 204
    replay = app.test_client()
    replay.set_cookie("library_session", raw)
    assert_visitor(replay)
    assert_problem(replay.post("/api/v1/books", json=book_payload()), 401)


def test_me_answers_a_visitor_and_says_whether_the_user_has_a_library_card(app, anon, as_role, make_user):
    """A visitor is not an error: 200 with user null (the SPA asks on every page load). A user learns whether they
    have a card (so the SPA asks GET /members/me only then), also at login."""
    assert_visitor(anon)
    spec = anon.get("/api/openapi.json").get_json()
    me = spec["paths"]["/api/v1/auth/me"]["get"]
    assert me["security"] == [] and "401" not in me["responses"]

    staff = as_role("librarian")
    body = staff.get("/api/v1/auth/me").get_json()
    assert body["user"]["id"] == staff.user_id and body["member"] is None and body["via"] == "token"

    user_id = make_user("member")
    card = staff.post("/api/v1/members", json={"card_number": "CARD-1", "name": "Ann Reader", "user_id": user_id})
    assert card.status_code == 201, card.get_json()
    browser = login(app, email_of(app, user_id))
    answer = browser.post("/api/v1/auth/login", json={"email": email_of(app, user_id), "password": PASSWORD})
    assert answer.get_json()["member"] == {"id": card.get_json()["id"], "status": "active"}
    assert staff.patch(f"/api/v1/members/{card.get_json()['id']}", json={"status": "suspended"}).status_code == 200
    assert browser.get("/api/v1/auth/me").get_json()["member"] == {"id": card.get_json()["id"], "status": "suspended"}


def test_over_https_the_cookie_is_host_prefixed_and_secure(make_app, make_user):
    app = make_app(LIBRARY_PROXY_HOPS=1)
    email = email_of(app, make_user("member"))
    response = app.test_client().post("/api/v1/auth/login", json={"email": email, "password": PASSWORD},
                                      headers={"X-Forwarded-Proto": "https"})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=") and "Secure" in cookie and "Domain" not in cookie and "Path=/" in cookie


def test_a_new_session_id_at_each_login_and_after_a_role_change(app, make_user, as_role):
    user_id = make_user("librarian")
    email = email_of(app, user_id)
    client = login(app, email)
    first = session_cookie(client)
    login(app, email, client=client)
    second = session_cookie(client)
    assert first != second
    stale = app.test_client()
    stale.set_cookie("library_session", first)
    assert_visitor(stale)  # the session replaced at login is over

    as_role("admin").patch(f"/api/v1/users/{user_id}", json={"role": "member"})
    assert_visitor(client)  # a new role means logging in again
    assert login(app, email).get("/api/v1/auth/me").get_json()["user"]["role"] == "member"


def test_idle_and_absolute_session_expiry(app, make_user, clock):
    email = email_of(app, make_user("member"))
    idle = login(app, email)
    clock.advance(minutes=29)
    assert idle.get("/api/v1/auth/me").status_code == 200
    clock.advance(minutes=30, seconds=1)
    assert_visitor(idle)

    busy = login(app, email)
    start = clock.now
    while clock.now + timedelta(minutes=5) < start + timedelta(hours=12):
        clock.advance(minutes=5)  # active every 5 minutes ...
        assert busy.get("/api/v1/auth/me").status_code == 200
    clock.now = start + timedelta(hours=12, minutes=1)  # ... but not past 12 hours
    assert_visitor(busy)


def test_disabling_a_user_ends_sessions_and_tokens_at_once(app, make_user, make_token, as_role):
    user_id = make_user("librarian")
    email = email_of(app, user_id)
    browsers = [login(app, email), login(app, email)]
    token = app.test_client()
    token.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {make_token(user_id)}"
    assert token.get("/api/v1/auth/me").status_code == 200

    admin = as_role("admin")
    assert len(admin.get(f"/api/v1/users/{user_id}/sessions").get_json()) == 2
    assert admin.patch(f"/api/v1/users/{user_id}", json={"is_active": False}).status_code == 200
    for browser in browsers:
        assert_visitor(browser)
    assert_problem(token.get("/api/v1/auth/me"), 401)
    assert admin.get(f"/api/v1/users/{user_id}/sessions").get_json() == []
    response = app.test_client().post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert_problem(response, 401)


def test_admin_can_end_a_users_sessions(app, make_user, as_role):
    user_id = make_user("member")
    browser = login(app, email_of(app, user_id))
    assert as_role("admin").delete(f"/api/v1/users/{user_id}/sessions").status_code == 204
    assert_visitor(browser)


def test_admins_cannot_demote_or_disable_themselves(as_role):
    admin = as_role("admin")
    assert_problem(admin.patch(f"/api/v1/users/{admin.user_id}", json={"role": "librarian"}), 409)
    assert_problem(admin.patch(f"/api/v1/users/{admin.user_id}", json={"is_active": False}), 409)
    assert admin.patch(f"/api/v1/users/{admin.user_id}", json={"display_name": "Boss"}).status_code == 200


# --- password change (N-07) --------------------------------------------------------------------------

def test_password_change_needs_the_current_one_and_ends_other_sessions_and_tokens(app, make_user, make_token):
    user_id = make_user("librarian")
    email = email_of(app, user_id)
    me, other = login(app, email), login(app, email)
    token = app.test_client()
    token.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {make_token(user_id)}"
    new = "a brand new passphrase"

    body = assert_problem(me.post("/api/v1/auth/password", json={"current_password": "wrong one!", "new_password": new},
                                  headers={"X-CSRFToken": me.csrf}), 422)
    assert "current_password" in body["errors"]
    assert_problem(me.post("/api/v1/auth/password", json={"new_password": new}, headers={"X-CSRFToken": me.csrf}), 422)
    changed = me.post("/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": new},
                      headers={"X-CSRFToken": me.csrf})
    assert changed.status_code == 200
    assert me.get("/api/v1/auth/me").status_code == 200  # this browser has a fresh session
    assert_visitor(other)
    assert_problem(token.get("/api/v1/auth/me"), 401)
    assert_problem(app.test_client().post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}), 401)
    login(app, email, new)
    # A token cannot change the password: it needs the browser session.
    assert_problem(token.post("/api/v1/auth/password", json={"current_password": new, "new_password": PASSWORD}), 401)


# --- CSRF (S-06) -------------------------------------------------------------------------------------

def test_cookie_writes_need_a_valid_fresh_csrf_token(app, make_user, clock, scalar):
    email = email_of(app, make_user("librarian"))
    me, other = login(app, email), login(app, email)
    body = book_payload()
    for headers in ({}, {"X-CSRFToken": other.csrf}, {"X-CSRFToken": "garbage"}):
        detail = assert_problem(me.post("/api/v1/books", json=body, headers=headers), 400)["detail"]
        assert "CSRF" in detail
    for _ in range(3):  # an hour later, the session kept alive meanwhile
        clock.advance(minutes=20)
        assert me.get("/api/v1/auth/me").status_code == 200
    clock.advance(seconds=1)
    expired = assert_problem(me.post("/api/v1/books", json=body, headers={"X-CSRFToken": me.csrf}), 400)
    assert "expired" in expired["detail"]
    assert scalar(select(func.count()).select_from(Book)) == 0
    fresh = me.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    assert me.post("/api/v1/books", json=body, headers={"X-CSRFToken": fresh}).status_code == 201


# --- API tokens (N-08, N-09) -------------------------------------------------------------------------

def test_tokens_shown_once_hashed_at_rest_scoped_and_revocable(app, make_user, scalar):
    user_id = make_user("librarian")
    browser = login(app, email_of(app, user_id))
    created = browser.post("/api/v1/tokens", json={"name": "catalog script", "scopes": ["read"], "expires_in_days": 7},
                           headers={"X-CSRFToken": browser.csrf})
    assert created.status_code == 201
    raw = created.get_json()["token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", raw)
    listed = browser.get("/api/v1/tokens").get_json()["items"]
    assert [t["name"] for t in listed] == ["catalog script"] and "token" not in listed[0]

    stored = scalar(select(ApiToken.token_hash).where(ApiToken.id == created.get_json()["id"]))
    assert stored == hashlib.sha256(raw.encode()).hexdigest()
    with app.app_context():
        from library.extensions import db

        dump = "\n".join(str(row) for table in ("api_token", "user_account", "user_session", "audit_event")
                         for row in db.session.execute(text(f"SELECT * FROM {table}")))
    assert raw not in dump and PASSWORD not in dump

    reader = app.test_client()
    reader.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    assert reader.get("/api/v1/auth/me").get_json()["scopes"] == ["read"]
    assert "scope" in assert_problem(reader.post("/api/v1/books", json=book_payload()), 403)["detail"]
    assert scalar(select(ApiToken.last_used_at).where(ApiToken.id == created.get_json()["id"])) is not None

    for name in ("token", "api_key", "access_token"):
        assert_problem(app.test_client().get(f"/api/v1/auth/me?{name}={raw}"), 401)

    token_id = created.get_json()["id"]
    assert browser.delete(f"/api/v1/tokens/{token_id}", headers={"X-CSRFToken": browser.csrf}).status_code == 204
    assert_problem(reader.get("/api/v1/auth/me"), 401)
    assert_problem(reader.get("/api/v1/books"), 401)  # a bad token is refused even on public reads


def test_expired_tokens_and_other_peoples_tokens(app, make_user, make_token, clock, as_role):
    user_id = make_user("librarian")
    raw = make_token(user_id, days=1)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    assert client.get("/api/v1/auth/me").status_code == 200
    clock.advance(days=1, seconds=1)
    assert_problem(client.get("/api/v1/auth/me"), 401)

    stranger = as_role("librarian")
    with app.app_context():
        from library.extensions import db

        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user_id))
    assert_problem(stranger.delete(f"/api/v1/tokens/{token_id}"), 404)


def test_bearer_token_wins_over_the_cookie_and_needs_no_csrf(app, make_user, make_token):
    cookie_user = login(app, email_of(app, make_user("member")))
    librarian_id = make_user("librarian")
    both = cookie_user
    both.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {make_token(librarian_id)}"
    assert both.get("/api/v1/auth/me").get_json()["user"]["id"] == librarian_id
    assert both.post("/api/v1/books", json=book_payload()).status_code == 201  # no CSRF header needed
    del both.environ_base["HTTP_AUTHORIZATION"]
    assert_problem(both.post("/api/v1/books", json=book_payload(), headers={"X-CSRFToken": both.csrf}), 403)
    assert_problem(both.post("/api/v1/auth/logout"), 400)  # cookie, no CSRF token


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-token", "Token abc"])
def test_malformed_authorization_is_401(anon, header):
    response = anon.get("/api/v1/books", headers={"Authorization": header})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# --- throttling and enumeration (N-04, N-05) ---------------------------------------------------------

def _attempt(client, email, password, **headers):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password}, headers=headers)


def test_failed_logins_back_off_and_at_most_100_an_hour_are_evaluated(app, make_user, clock):
    email = email_of(app, make_user("member"))
    client = app.test_client()
    evaluated = throttled = 0
    for n in range(150):  # 150 attempts spread over 59 minutes, from "different" addresses
        response = _attempt(client, email, "wrong password", **{"X-Forwarded-For": f"10.0.{n}.1"})
        if response.status_code == 401:
            evaluated += 1
        else:
            assert_problem(response, 429)
            assert int(response.headers["Retry-After"]) >= 1
            throttled += 1
        clock.advance(seconds=23.6)
    assert evaluated <= 100 and throttled >= 1
    # No permanent lockout: after the window the right password works.
    clock.advance(hours=1)
    assert _attempt(client, email, PASSWORD).status_code == 200


def test_backoff_cannot_be_escaped_with_a_spoofed_forwarded_for(app, make_user, clock):
    """The back-off is per account and client address (test_hardening.py has the owner's side); without a
    trusted proxy, X-Forwarded-For is the client's own word and changes nothing."""
    email = email_of(app, make_user("member"))
    client = app.test_client()
    for n in range(5):
        assert _attempt(client, email, "wrong password", **{"X-Forwarded-For": f"192.0.2.{n}"}).status_code == 401
    response = _attempt(client, email, PASSWORD, **{"X-Forwarded-For": "198.51.100.7"})
    assert_problem(response, 429)
    clock.advance(seconds=int(response.headers["Retry-After"]))
    assert _attempt(client, email, PASSWORD).status_code == 200
    # Success resets the count.
    assert _attempt(client, email, "wrong password").status_code == 401
    assert _attempt(client, email, "wrong password").status_code == 401


@pytest.mark.parametrize("email", ["nul\x00@example.org", "lone\udcc8@example.org", "x" * 255])
def test_hostile_login_input_is_refused_not_a_500(anon, email):
    assert_problem(anon.post("/api/v1/auth/login", json={"email": email, "password": "whatever it is"}), 422)
    assert_problem(anon.post("/api/v1/auth/login", json={"email": "a@b.org", "password": "lone \udcc8"}), 422)


def test_unknown_email_and_wrong_password_answer_alike(app, make_user):
    email = email_of(app, make_user("member"))
    disabled = email_of(app, make_user("member", active=False))
    client = app.test_client()
    answers = [_attempt(client, e, "wrong password") for e in (email, "nobody@example.org", disabled)]
    answers.append(_attempt(client, disabled, PASSWORD))
    assert {r.status_code for r in answers} == {401}
    assert len({json.dumps({k: v for k, v in r.get_json().items() if k != "request_id"}) for r in answers}) == 1
    assert len({tuple(sorted(k for k, _ in r.headers if k not in ("Content-Length",))) for r in answers}) == 1


# --- logging and audit (N-10, A-07, audit) -----------------------------------------------------------

def test_auth_events_are_logged_without_secrets(app, make_user, caplog):
    email = email_of(app, make_user("librarian"))
    caplog.set_level(logging.INFO)
    client = app.test_client()
    _attempt(client, email, "the wrong one")
    browser = login(app, email)
    created = browser.post("/api/v1/tokens", json={"name": "t", "scopes": ["read"]},
                           headers={"X-CSRFToken": browser.csrf}).get_json()
    browser.get("/api/v1/users")  # a denial
    log = caplog.text
    assert "auth.login_failed" in log and "auth.login " in log and "auth.token_created" in log
    assert "access denied" in log and "route=/api/v1/users" in log
    assert PASSWORD not in log and "the wrong one" not in log and created["token"] not in log


def test_staff_writes_are_audited_and_admins_read_them(app, as_role):
    librarian = as_role("librarian")
    book = create_book(librarian, title="Audited", subjects=["One"])
    librarian.patch(f"/api/v1/books/{book['id']}", json={"title": "Audited Again", "subjects": ["One", "Two"]})
    librarian.delete(f"/api/v1/books/{book['id']}")
    admin = as_role("admin")
    events = admin.get(f"/api/v1/audit?resource_type=book&resource_id={book['id']}").get_json()["items"]
    assert [e["action"] for e in events] == ["book.delete", "book.update", "book.create"]
    assert all(e["actor_id"] == librarian.user_id and "@" in e["actor"] for e in events)
    assert events[2]["summary"]["title"] == "Audited"
    assert events[1]["summary"]["title"] == ["Audited", "Audited Again"]
    assert events[1]["summary"]["subjects"] == [["One"], ["One", "Two"]]
    assert events[0]["summary"] == {"title": "Audited Again"}
    by_actor = admin.get(f"/api/v1/audit?actor={librarian.user_id}&action=book.create").get_json()
    assert by_actor["total"] >= 1 and all(e["action"] == "book.create" for e in by_actor["items"])
    assert_problem(librarian.get("/api/v1/audit"), 403)


# --- users API and CLI -------------------------------------------------------------------------------

def test_admin_manages_users(as_role, app):
    admin = as_role("admin")
    created = admin.post("/api/v1/users", json={"email": " Reader@Example.ORG ", "display_name": "Reader",
                                                "role": "member", "password": PASSWORD})
    assert created.status_code == 201 and created.get_json()["email"] == "reader@example.org"
    duplicate = admin.post("/api/v1/users", json={"email": "READER@example.org", "display_name": "Again",
                                                  "role": "member", "password": PASSWORD})
    assert "email" in assert_problem(duplicate, 409)["errors"]
    found = admin.get("/api/v1/users?q=reader&role=member").get_json()
    assert [u["email"] for u in found["items"]] == ["reader@example.org"]
    user_id = created.get_json()["id"]
    promoted = admin.patch(f"/api/v1/users/{user_id}", json={"role": "librarian", "display_name": "Head Reader"})
    assert promoted.get_json()["role"] == "librarian"
    login(app, "READER@example.org")  # emails are case-insensitive


def _flask(database_url, *args, stdin=None):
    import subprocess
    import sys

    from .conftest import BACKEND_DIR

    env = {"DATABASE_URL": database_url, "LIBRARY_ENV": "testing", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "library", *args], cwd=BACKEND_DIR, env=env,
                          input=stdin, capture_output=True, text=True)


def test_cli_creates_users_admins_and_tokens(app, database_url):
    result = _flask(database_url, "ensure-admin")
    assert result.returncode == 0 and "admin@example.com" in result.stdout
    generated = re.search(r"shown only now\): (\S+)", result.stdout)[1]
    login(app, "admin@example.com", generated)
    assert "nothing to do" in _flask(database_url, "ensure-admin").stdout

    made = _flask(database_url, "create-user", "clerk@example.org", "--role", "librarian", "--password-stdin",
                  stdin=PASSWORD + "\n")
    assert made.returncode == 0
    assert _flask(database_url, "create-user", "weak@example.org", "--role", "member", "--password-stdin",
                  stdin="password\n").returncode != 0
    token = _flask(database_url, "create-token", "clerk@example.org", "--name", "import", "--scopes", "read,write")
    raw = token.stdout.split()[-1]
    client = app.test_client()
    assert client.post("/api/v1/books", json=book_payload(), headers={"Authorization": f"Bearer {raw}"}).status_code == 201
    refused = _flask(database_url, "create-token", "clerk@example.org", "--name", "x", "--scopes", "admin")
    assert refused.returncode != 0


# --- configuration (C-02), CORS (S-09), safe GETs (S-08) ----------------------------------------------

@pytest.mark.parametrize("secret", [None, "", "dev", "change-me", "short-but-random-9f8e7d"])
def test_production_refuses_weak_secrets(secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"LIBRARY_ENV": "production", "SECRET_KEY": secret})


def test_no_cors_headers_for_other_origins(client):
    for response in (client.get("/api/v1/books", headers={"Origin": "https://evil.example"}),
                     client.options("/api/v1/books", headers={"Origin": "https://evil.example",
                                                               "Access-Control-Request-Method": "POST"})):
        assert "Access-Control-Allow-Origin" not in response.headers


def test_get_requests_change_nothing(app, as_role, client):
    """S-08: every GET route without an id leaves the data as it was (activity timestamps aside)."""
    admin = as_role("admin")
    create_book(admin)
    client.post("/api/v1/members", json={"card_number": "GET-SAFE", "name": "Admin Card", "user_id": admin.user_id})
    tables = ("book", "author", "member", "copy", "loan", "hold", "user_account", "audit_event", "login_throttle")

    def snapshot():
        with app.app_context():
            from library.extensions import db

            return {t: sorted(map(tuple, db.session.execute(text(f"SELECT * FROM {t}")).all()), key=repr) for t in tables}

    before = snapshot()
    routes = [rule.rule for rule, method in api_routes(app) if method == "GET" and "<" not in rule.rule]
    assert "/api/v1/members/me/calendar" in routes
    for route in routes:
        admin.get(route).close()
    assert snapshot() == before
