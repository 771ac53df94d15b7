"""Idempotency-Key on POSTs: a retry gets the first answer and does no second write; another body is a 422;
a request still in flight is a 409; a claim left by a dead worker is taken over; keys last 24 h, per caller."""

import subprocess
import uuid

import pytest
from sqlalchemy import func, select

from library.models import Book, IdempotencyKey, Loan

from .conftest import PASSWORD
from .factories import book_payload
from .test_accounts import Clock, email_of
from .test_books import assert_problem


def key():
    return str(uuid.uuid4())


def post(client, path, body, idem, **headers):
    return client.post(path, json=body, headers={"Idempotency-Key": idem, **headers})


def test_a_retry_gets_the_first_answer_and_writes_nothing_twice(client, scalar):
    body, idem = book_payload(), key()
    first = post(client, "/api/v1/books", body, idem)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = post(client, "/api/v1/books", body, idem)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]  # a new request all the same
    assert scalar(select(func.count()).select_from(Book).where(Book.title == body["title"])) == 1
    # A quoted key (a structured-field string) is the same key.
    assert post(client, "/api/v1/books", body, f'"{idem}"').headers.get("Idempotent-Replayed") == "true"


def test_without_a_key_every_post_does_the_work(client):
    body = book_payload()
    assert client.post("/api/v1/books", json=body).status_code == 201
    assert client.post("/api/v1/books", json=body).status_code == 409  # the duplicate ISBN: work was done again


def test_the_same_key_with_another_body_or_target_is_a_422(client):
    idem = key()
    assert post(client, "/api/v1/books", book_payload(), idem).status_code == 201
    body = assert_problem(post(client, "/api/v1/books", book_payload(), idem), 422)
    assert "Idempotency-Key" in body["errors"]
    assert_problem(post(client, "/api/v1/members", {"card_number": "C-1", "name": "N"}, idem), 422)


def test_keys_belong_to_their_caller(as_role, scalar):
    one, other = as_role("librarian"), as_role("librarian")
    idem = key()
    assert post(one, "/api/v1/books", book_payload(title="Mine"), idem).status_code == 201
    assert post(other, "/api/v1/books", book_payload(title="Yours"), idem).status_code == 201  # not a replay
    assert scalar(select(func.count()).select_from(Book).where(Book.title.in_(["Mine", "Yours"]))) == 2


def test_error_answers_are_kept_too_and_checkouts_are_covered(client, scalar):
    book = client.post("/api/v1/books", json=book_payload()).get_json()
    client.post(f"/api/v1/books/{book['id']}/copies", json={"barcode": "IDEM-1"})
    client.post("/api/v1/members", json={"card_number": "IDEM-M1", "name": "Idem Member"})
    checkout, idem = {"barcode": "IDEM-1", "card_number": "IDEM-M1"}, key()
    first = post(client, "/api/v1/loans", checkout, idem)
    assert first.status_code == 201
    again = post(client, "/api/v1/loans", checkout, idem)  # without the key this would be a 409: on loan
    assert again.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    assert scalar(select(func.count()).select_from(Loan)) == 1
    missing, idem = {"barcode": "NO-SUCH", "card_number": "IDEM-M1"}, key()
    refused = post(client, "/api/v1/loans", missing, idem)
    assert refused.status_code in (404, 409, 422)
    replayed = post(client, "/api/v1/loans", missing, idem)
    assert (replayed.status_code, replayed.get_json()["detail"]) == (refused.status_code, refused.get_json()["detail"])


def test_a_key_still_in_flight_is_a_409(app, client):
    from library.services import idempotency

    body, idem = book_payload(), key()
    with app.app_context():  # another worker of this host, alive (this process), holds the claim
        claimed = idempotency.key_for(str(client.user_id), idem, app.config["SECRET_KEY"])
        fingerprint = idempotency.fingerprint("POST", "/api/v1/books?", _json(body))
        assert idempotency.claim(claimed, fingerprint).kind == "proceed"
    response = client.post("/api/v1/books", data=_json(body), content_type="application/json",
                           headers={"Idempotency-Key": idem})
    assert "still being processed" in assert_problem(response, 409)["detail"]
    assert response.headers["Retry-After"] == "1"


def _json(body):
    import json

    return json.dumps(body, separators=(",", ":")).encode()


def _dead_pid():
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_claim_of_a_dead_worker_is_taken_over(app, client, scalar):
    from library.extensions import db
    from library.services import idempotency

    body, idem = book_payload(), key()
    with app.app_context():
        claimed = idempotency.key_for(str(client.user_id), idem, app.config["SECRET_KEY"])
        assert idempotency.claim(claimed, idempotency.fingerprint("POST", "/api/v1/books?", _json(body))).kind \
            == "proceed"
        db.session.get(IdempotencyKey, claimed.key_hash).owner_pid = _dead_pid()  # killed before committing
        db.session.commit()
    retry = client.post("/api/v1/books", data=_json(body), content_type="application/json",
                        headers={"Idempotency-Key": idem})
    assert retry.status_code == 201
    assert scalar(select(func.count()).select_from(Book).where(Book.title == body["title"])) == 1


def test_a_claim_this_process_left_behind_is_taken_over_at_once(app, client, scalar, database_url):
    """A request's 5xx could not free its key (the database refused the release: here a lock another connection
    holds, as a PostgreSQL restart refuses it), so the claim stays in_flight under this live process's pid. The
    client's retry, answered by this same process, does the work, instead of a 409 until the lease (60 s) runs
    out: this process knows it is working on that key no more."""
    import sqlite3

    import sqlalchemy as sa

    from library.database import configure_sqlite
    from library.extensions import db
    from library.services import idempotency

    body, idem = book_payload(), key()
    sqlite = database_url.startswith("sqlite")
    locker = None if sqlite else sa.create_engine(database_url, poolclass=sa.NullPool)
    try:
        with app.app_context():
            if sqlite:  # the release's BEGIN IMMEDIATE gives up after 100 ms instead of 5 s
                configure_sqlite(100)
                db.engine.dispose()
            claimed = idempotency.key_for(str(client.user_id), idem, app.config["SECRET_KEY"])
            fingerprint = idempotency.fingerprint("POST", "/api/v1/books?", _json(body))
            assert idempotency.claim(claimed, fingerprint).kind == "proceed"
            if sqlite:  # another writer holds the database's write lock
                other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
                other.execute("BEGIN IMMEDIATE")
            else:
                other = locker.connect()
                other.exec_driver_sql("LOCK TABLE idempotency_key IN ACCESS EXCLUSIVE MODE")
                db.session.execute(sa.text("SET LOCAL lock_timeout = '100ms'"))
            try:
                with pytest.raises(sa.exc.OperationalError):
                    idempotency.release(claimed)  # what keep_answer does after a 5xx, refused
                db.session.rollback()
            finally:
                other.rollback()
                other.close()
            assert idempotency.stored_state(claimed.key_hash) == "in_flight"
    finally:
        if locker is not None:
            locker.dispose()
        with app.app_context():
            configure_sqlite(app.config["SQLITE_BUSY_TIMEOUT_MS"])
            db.engine.dispose()
    retry = client.post("/api/v1/books", data=_json(body), content_type="application/json",
                        headers={"Idempotency-Key": idem})
    assert retry.status_code == 201, retry.get_data(as_text=True)
    assert scalar(select(func.count()).select_from(Book).where(Book.title == body["title"])) == 1
    again = client.post("/api/v1/books", data=_json(body), content_type="application/json",
                        headers={"Idempotency-Key": idem})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_json() == retry.get_json()


def test_work_committed_whose_answer_was_lost_is_never_done_twice(app, client, scalar):
    """The worker died between committing the write and keeping the answer: the key says committed."""
    from library.extensions import db

    body, idem = book_payload(), key()
    assert post(client, "/api/v1/books", body, idem).status_code == 201
    with app.app_context():
        row = db.session.scalars(select(IdempotencyKey)).one()
        row.state, row.status, row.response = "committed", None, None
        db.session.commit()
    assert "answer was lost" in assert_problem(post(client, "/api/v1/books", body, idem), 409)["detail"]
    assert scalar(select(func.count()).select_from(Book).where(Book.title == body["title"])) == 1


def test_the_write_and_the_committed_mark_are_one_transaction(app, client):
    """Right after the view's commit (before the answer is kept) the key already says committed."""
    from library.extensions import db
    from library.services import idempotency

    seen = []

    @app.after_request
    def look(response):  # registered after the idempotency hook: Flask runs after_request in reverse order
        seen.append(db.session.scalars(select(IdempotencyKey.state)).all())  # the view has committed its work
        return response

    assert post(client, "/api/v1/books", book_payload(), key()).status_code == 201
    assert seen == [["committed"]]
    with app.app_context():
        assert idempotency.stored_state(db.session.scalars(select(IdempotencyKey.key_hash)).one()) == "done"


def test_kept_answers_are_encrypted_and_keys_expire_after_24_hours(app, client):
    app.config["LIBRARY_CLOCK"] = clock = Clock()
    idem = key()
    first = post(client, "/api/v1/tokens", {"name": "script", "scopes": ["read"]}, idem)
    token = first.get_json()["token"]
    from library.extensions import db

    with app.app_context():
        stored = db.session.scalars(select(IdempotencyKey.response)).one()
    assert token not in stored and "script" not in stored
    again = post(client, "/api/v1/tokens", {"name": "script", "scopes": ["read"]}, idem)
    assert again.get_json()["token"] == token and again.headers["Idempotent-Replayed"] == "true"
    clock.advance(hours=24, seconds=1)
    later = post(client, "/api/v1/tokens", {"name": "script", "scopes": ["read"]}, idem)
    assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers and later.get_json()["token"] != token


@pytest.mark.parametrize("value", ["", " ", "x" * 256, "é-not-ascii", 'has"quote'])
def test_a_malformed_key_is_a_400(client, value):
    assert_problem(client.post("/api/v1/books", json=book_payload(), headers={"Idempotency-Key": value}), 400)


def test_a_login_ignores_the_key(app, make_user):
    email = email_of(app, make_user("member"))
    client = app.test_client()
    for _ in range(2):
        response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD},
                               headers={"Idempotency-Key": "same-key-0001"})
        assert response.status_code == 200 and "Idempotent-Replayed" not in response.headers


def test_every_post_by_a_caller_documents_the_header(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    posts = [(path, item["post"]) for path, item in spec["paths"].items() if "post" in item]
    assert len(posts) > 10
    anonymous = set()
    for path, operation in posts:
        names = [p["name"] for p in operation.get("parameters", [])]
        if operation["security"]:
            assert "Idempotency-Key" in names and {"409", "422"} <= set(operation["responses"]), path
        else:
            anonymous.add(path)
            assert "Idempotency-Key" not in names, path
    # Only the anonymous POSTs ignore it: logging in and the pages of a forgotten password and of signing up.
    assert anonymous == {f"/api/v1/auth/{name}" for name in ("login", "reset-requests", "reset-link", "reset-password",
                                                              "register")}
