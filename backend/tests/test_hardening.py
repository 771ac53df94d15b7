"""Holes found by probing as an attacker would (issue 13), each with its regression test, on SQLite and
PostgreSQL: JSON the parser cannot take, NUL and other control characters in every text and URL field, CSV
formula injection in every export, calendar feeds of suspended members and disabled accounts."""

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from library.api.csvfile import cell

from .conftest import PASSWORD
from .factories import book_payload, create_book
from .test_accounts import email_of, login
from .test_books import assert_problem
from .test_circulation import clock, code, desk  # noqa: F401 - fixtures


# --- JSON the parser cannot take: 400, never 500 ------------------------------------------------------------

HOSTILE_JSON = {
    "nested arrays": "[" * 100_000 + "]" * 100_000,
    "nested objects": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "a 5000-digit integer": '{"email": ' + "7" * 5000 + ', "password": "x"}',
}


@pytest.mark.parametrize("body", HOSTILE_JSON.values(), ids=HOSTILE_JSON.keys())
@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/books"])
def test_json_too_deep_or_with_huge_numbers_is_a_400_problem(client, anon, path, body):
    caller = anon if path.endswith("login") else client  # anonymous login parses its body too
    response = caller.post(path, data=body, content_type="application/json")
    problem = assert_problem(response, 400)
    assert "not valid JSON" in problem["detail"]


def test_huge_numbers_where_a_number_belongs_are_refused_as_fields(client):
    for value in (10**4000, 2**63, -(2**63) - 1, 1e308 * 10):
        response = client.post("/api/v1/books", json=book_payload(published_year=value))
        assert "published_year" in assert_problem(response, 422)["errors"]


# --- control characters in every text and URL field ---------------------------------------------------------

def string_fields(spec, schema):
    """(name, property) of every string property of a request body schema in the spec (refs resolved), but
    enums and passwords (any characters, kept exactly as typed)."""
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for name, prop in schema.get("properties", {}).items():
        types = prop.get("type")
        if types == "string" or (isinstance(types, list) and "string" in types):
            if "enum" not in prop and prop.get("format") != "password":
                yield name, prop


def test_every_text_and_url_field_of_every_write_refuses_nul(app, as_role, make_user):
    """Found: a NUL byte in cover_url was a 500 on PostgreSQL (and stored as is on SQLite). Every string field
    of every request body in the spec must refuse it with a 422 naming the field (or with a 400/404 before
    the body is looked at), and nothing may be written."""
    admin = as_role("admin")
    spec = admin.get("/api/openapi.json").get_json()
    book = create_book(admin)
    ids = {"book_id": book["id"], "author_id": book["authors"][0]["id"], "user_id": make_user("member"),
           "member_id": admin.post("/api/v1/members", json={"card_number": code("N"), "name": "Nul"}).get_json()["id"],
           "copy_id": admin.post(f"/api/v1/books/{book['id']}/copies", json={"barcode": code("B")}).get_json()["id"],
           "import_id": 2**31 - 1,  # no such import: its writes' bodies have no free text (a mapping, a policy enum)
           "kind": "due_soon"}  # a notice template
    checked = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("post", "put", "patch"):
                continue
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not content:
                continue
            url = path.format(**ids) if "{" in path else path
            for name, _prop in string_fields(spec, content["schema"]):
                before = admin.get("/api/v1/audit?per_page=1").get_json()["total"]
                response = admin.open(url, method=method.upper(), json={name: "a\x00b"})
                assert response.status_code in (400, 422), (method, path, name, response.status_code)
                if response.status_code == 422:
                    assert name in response.get_json()["errors"], (method, path, name, response.get_json())
                assert admin.get("/api/v1/audit?per_page=1").get_json()["total"] == before, (method, path, name)
                checked += 1
    assert checked >= 30  # books, authors, copies, members, users, tokens, settings ...


@pytest.mark.parametrize("value, stored", [
    ("", None),                                            # empty: no cover, like every optional text
    ("https://covers.example.org/a.jpg", "https://covers.example.org/a.jpg"),
    ("http://localhost:8080/c?id=1#x", "http://localhost:8080/c?id=1#x"),
])
def test_cover_url_accepts_what_the_spec_allows(client, value, stored):
    response = client.post("/api/v1/books", json=book_payload(cover_url=value))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["cover_url"] == stored


@pytest.mark.parametrize("value", ["https://a.org/\x00", "https://a.org/ b", "javascript:alert(1)",
                                   "https://a.org/\n", "data:image/png;base64,AAAA", "https://" + "a" * 2000 + ".org"])
def test_cover_url_refuses_what_the_spec_refuses(client, value):
    assert "cover_url" in assert_problem(client.post("/api/v1/books", json=book_payload(cover_url=value)), 422)["errors"]


# --- CSV: one escaping rule, applied to what a spreadsheet would evaluate -----------------------------------

@pytest.mark.parametrize("value, written", [
    ("-1-1", "'-1-1"),                      # a formula: =-1-1 is -2
    ("+1-555-0100", "'+1-555-0100"),        # a formula too (subtraction)
    ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("  =1+1", "'  =1+1"),                  # leading spaces do not defuse it
    ("\uff1d1+1", "'\uff1d1+1"),            # full-width equals sign
    ("\t=1", "'\t=1"),
    ("+1 555 0100", "+1 555 0100"),         # a phone number in international notation: a literal
    ("-5", "-5"), ("+1.5", "+1.5"), ("-2e3", "-2e3"),   # numbers: literals
    ("DEMO-0001-1", "DEMO-0001-1"), ("Le Guin, Ursula", "Le Guin, Ursula"),
    (-3, "-3"), (None, ""), (True, "true"),
])
def test_csv_cell_escapes_exactly_what_a_spreadsheet_evaluates(value, written):
    assert cell(value) == written


def _csv_rows(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_overdue_csv_escapes_barcodes_and_cards_but_keeps_phone_numbers(desk, clock):
    """Found: barcodes and card numbers like -1-1 were exported raw, while "+1 555 0100" gained a quote."""
    _book, _ = desk.book_with_copies(0, title='=HYPERLINK("http://evil.example/?"&A1)')
    copy = desk.add_copy(_book["id"], barcode="-1-1")
    member = desk.member(card_number="-2-2", name="@SUM(1+1)", phone="+1 555 0100", email="late@example.org")
    assert desk.checkout(copy["barcode"], member["card_number"]).status_code == 201
    clock.advance(days=30)
    header, row = _csv_rows(desk.get("/api/v1/reports/overdue.csv"))
    values = dict(zip(header, row))
    assert values["barcode"] == "'-1-1"
    assert values["card_number"] == "'-2-2"
    assert values["member"] == "'@SUM(1+1)"
    assert values["title"].startswith("'=HYPERLINK(")
    assert values["phone"] == "+1 555 0100"
    assert values["days_overdue"] == "9"  # 30 days on, a 21-day loan


def test_every_csv_export_escapes_formulas(app, desk, clock, as_role):
    """Every CSV download in the spec (text/csv responses; other teams add theirs through csv_response) is
    read as an admin after hostile values went into the catalog and circulation: no cell may start a formula."""
    book, _ = desk.book_with_copies(0, title="=1+1", subtitle="-2-2", publisher="@x", subjects=["+3+3"],
                                    authors=[{"name": "=cmd|' /C calc'!A0"}])
    copy = desk.add_copy(book["id"], barcode="-4-4", location="=A1", call_number="+5+5", notes="@6")
    member = desk.member(card_number="-7-7", name="=8", phone="+9-9")
    assert desk.checkout(copy["barcode"], member["card_number"]).status_code == 201
    # Two holds on a book with two copies on the shelf: one copy captured (the hold shelf), one to pull.
    held, _ = desk.book_with_copies(0, title="=10+10")
    pulled = [desk.add_copy(held["id"], barcode=f"-1{n}-1", location="=B2", call_number="+11") for n in (1, 2)]
    for name in ("=12", "@13"):
        waiting = desk.member(card_number=code("-"), name=name)
        assert desk.hold(held["id"], waiting["card_number"]).status_code == 201
    assert desk.post("/api/v1/holds/capture", json={"barcode": pulled[0]["barcode"]}).status_code == 200
    clock.advance(days=30)
    # More than a month after the copies were added (created_at is the wall clock's): the copy left on the shelf is a
    # weeding candidate for months=1.
    clock.now = max(clock.now, datetime.now(timezone.utc) + timedelta(days=32))
    admin = as_role("admin")  # a token made after the clock moved on
    spec = admin.get("/api/openapi.json").get_json()
    exports = [path for path, item in spec["paths"].items() if "{" not in path
               and "text/csv" in item.get("get", {}).get("responses", {}).get("200", {}).get("content", {})]
    assert "/api/v1/reports/overdue.csv" in exports
    # The statistics' lists cover a period (the last 30 days by default) or copies idle for months: wide enough here.
    queries = {"/api/v1/stats/top.csv": {"from": "2026-10-01"}, "/api/v1/stats/weeding.csv": {"months": 1}}
    for path in exports:
        rows = _csv_rows(admin.get(path, query_string=queries.get(path, {})))
        assert len(rows) >= 2, path
        for row in rows[1:]:
            for value in row:
                assert cell(value.removeprefix("'")) == value or value == "", (path, value)


# --- the calendar feed ends with the card's or the account's rights ----------------------------------------

def test_calendar_feed_stops_when_the_member_is_suspended_or_the_user_disabled(app, desk, make_user, anon, as_role):
    user_id = make_user("member")
    member = desk.member(user_id=user_id)
    _book, (copy,) = desk.book_with_copies(1)
    assert desk.checkout(copy["barcode"], member["card_number"]).status_code == 201
    browser = login(app, email_of(app, user_id))
    path = browser.get("/api/v1/members/me/calendar").get_json()["url"].split("localhost", 1)[1]
    assert anon.get(path).status_code == 200

    assert desk.patch(f"/api/v1/members/{member['id']}", json={"status": "suspended"}).status_code == 200
    assert_problem(anon.get(path), 404)
    assert desk.patch(f"/api/v1/members/{member['id']}", json={"status": "active"}).status_code == 200
    assert anon.get(path).status_code == 200  # the card restored: the same URL works again

    admin = as_role("admin")
    assert admin.patch(f"/api/v1/users/{user_id}", json={"is_active": False}).status_code == 200
    assert_problem(anon.get(path), 404)
    assert admin.patch(f"/api/v1/users/{user_id}", json={"is_active": True}).status_code == 200
    assert anon.get(path).status_code == 200


# --- login throttle: guessing stays slow, the owner is not locked out by someone else -----------------------

FREE = 5  # failures a client has for free at one account, before its back-off starts


def _login_from(app, address, email, password):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_a_stranger_failing_all_along_never_locks_the_owner_out(app, make_user, clock, as_role):
    """Found: one failed attempt a minute from a stranger kept the account's back-off running, and the
    owner's correct password was refused 29 times of 30. Now the back-off belongs to the stranger's address."""
    email = email_of(app, make_user("member"))
    stranger, owner = "203.0.113.9", "198.51.100.20"
    owner_answers = []
    for n in range(60):  # an hour of guessing, one a minute, with the owner logging in every 2 minutes
        guess = _login_from(app, stranger, email, f"guess {n}")
        assert guess.status_code in (401, 429)
        if n % 2 == 0:
            owner_answers.append(_login_from(app, owner, email, PASSWORD).status_code)
        clock.advance(seconds=60)
    assert owner_answers == [200] * 30
    # The stranger, meanwhile, is slowed: after 5 free failures each guess waits out a doubling back-off.
    for _ in range(FREE):
        _login_from(app, "203.0.113.10", email, "another guess")
    refused = _login_from(app, "203.0.113.10", email, PASSWORD)  # even the right password, during the wait
    assert_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) >= 1

    # Lockouts are in the audit trail, with the address they came from.
    events = as_role("admin").get("/api/v1/audit?action=auth.lockout").get_json()["items"]
    assert {e["summary"]["client"] for e in events} == {stranger, "203.0.113.10"}
    assert all(e["actor"] == email and e["summary"]["scope"] == "client" for e in events)


def test_ipv6_clients_are_throttled_per_64_network(app, make_user, clock):
    email = email_of(app, make_user("member"))
    for n in range(FREE):  # one host hopping through its /64
        assert _login_from(app, f"2001:db8:1:2::{n + 1:x}", email, "wrong").status_code == 401
    assert_problem(_login_from(app, "2001:db8:1:2::ffff", email, PASSWORD), 429)
    assert _login_from(app, "2001:db8:1:3::1", email, PASSWORD).status_code == 200  # another network


def test_a_distributed_guess_hits_the_account_ceiling_but_the_owner_still_gets_in(app, make_user, clock,
                                                                                    monkeypatch):
    from library.services import auth

    monkeypatch.setattr(auth, "ACCOUNT_MAX_FAILURES", 12)
    email = email_of(app, make_user("member"))
    for n in range(12):  # 12 addresses, one failure each: the account's ceiling is reached
        assert _login_from(app, f"192.0.2.{n + 1}", email, "wrong").status_code == 401
    # Every client that has failed already now waits for the window to end ...
    refused = _login_from(app, "192.0.2.1", email, PASSWORD)
    assert_problem(refused, 429)
    assert 3000 < int(refused.headers["Retry-After"]) <= 3600
    # ... while a client without failures of its own (the owner's usual device) is still heard.
    assert _login_from(app, "198.51.100.1", email, PASSWORD).status_code == 200
    assert _login_from(app, "198.51.100.2", email, "wrong").status_code == 401  # one guess, then that one waits too
    assert_problem(_login_from(app, "198.51.100.2", email, PASSWORD), 429)
    clock.advance(hours=1)
    assert _login_from(app, "192.0.2.1", email, PASSWORD).status_code == 200


# --- absolute URLs come from LIBRARY_PUBLIC_URL, never from the Host header -------------------------------------

def test_links_and_calendar_urls_use_the_public_url_whatever_the_host(make_app, make_user):
    app = make_app(LIBRARY_PUBLIC_URL="https://library.example.org/", LIBRARY_PROXY_HOPS=1)  # trailing / dropped
    client = app.test_client()
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
    for n in range(3):
        assert client.get("/api/v1/books", headers=forged).status_code == 200
    response = client.get("/api/v1/authors?per_page=1", headers=forged)
    assert "evil.example" not in response.headers["Link"]
    assert "<https://library.example.org/api/v1/authors?per_page=1&page=1>" in response.headers["Link"]

    user_id = make_user("member")
    admin = app.test_client()
    admin_id = make_user("admin")
    login(app, email_of(app, admin_id), client=admin)
    created = admin.post("/api/v1/members", json={"card_number": code("P"), "name": "Pat", "user_id": user_id},
                         headers={"X-CSRFToken": admin.csrf})
    assert created.status_code == 201, created.get_json()
    member = login(app, email_of(app, user_id))
    # X-Forwarded-Host only (a forged Host would also keep the test client's cookie jar from sending the session).
    url = member.get("/api/v1/members/me/calendar", headers={"X-Forwarded-Host": "evil.example"}).get_json()["url"]
    assert url.startswith("https://library.example.org/api/v1/calendar/")


@pytest.mark.parametrize("value", ["library.example.org", "ftp://x.org", "https://x.org/path", "https://x y"])
def test_a_public_url_that_is_not_scheme_host_port_is_refused_at_start(value):
    from library import create_app

    with pytest.raises(RuntimeError, match="LIBRARY_PUBLIC_URL"):
        create_app({"LIBRARY_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://", "LIBRARY_PUBLIC_URL": value})
