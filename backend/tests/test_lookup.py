"""ISBN lookup against a local server replaying the providers' recorded answers (tests/replay.py): found, not
found, slow, failing then the next provider, malformed, the cache and the back-off. Nothing reaches the internet."""

import time

import pytest

from library.services import covers

from .factories import image_bytes
from .replay import FOX_COVER, FOX_ISBN, ReplayServer, cover_path, googlebooks_path, openlibrary_path

LOOKUP = "/api/v1/lookup/isbn/"


@pytest.fixture
def replay():
    with ReplayServer() as server:
        yield server


@pytest.fixture
def lookup_client(make_app, replay):
    """A librarian's client on an app whose providers are the replay server (Open Library, then Google Books)."""

    def make(providers="openlibrary,googlebooks", timeout=1.0):
        app = make_app(**replay.config(providers, timeout))
        return app, _librarian(app)

    return make


def _librarian(app):
    from library.extensions import db
    from library.models import User
    from library.services import auth, passwords

    with app.app_context():
        user = User(email="lookup@example.org", display_name="Lookup", role="librarian", is_active=True,
                    password_hash=passwords.hash_password("a long passphrase", app.config["LIBRARY_ARGON2"]))
        db.session.add(user)
        db.session.commit()
        raw = auth.create_token(user, "t", ["read", "write"], 30, frozenset(auth.SCOPES))[1]
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def test_found_in_open_library_with_its_cover(lookup_client, replay, tmp_path):
    replay.answer(openlibrary_path(FOX_ISBN), file="openlibrary-9780140328721.json")
    replay.answer(cover_path(FOX_COVER), body=image_bytes("JPEG", (360, 540)), content_type="image/jpeg")
    _app, client = lookup_client()
    response = client.get(LOOKUP + "0-14-032872-6")  # the ISBN-10 of the same book
    assert response.status_code == 200, response.get_json()
    found = response.get_json()
    book = found["book"]
    assert found["provider"] == "openlibrary" and found["isbn"] == FOX_ISBN
    assert found["source_url"] == "https://openlibrary.org/books/OL7353617M/Fantastic_Mr._Fox"
    assert book["title"] == "Fantastic Mr. Fox" and book["authors"] == [{"name": "Roald Dahl"}]
    assert book["publisher"] == "Puffin" and book["published_year"] == 1988 and book["isbn"] == FOX_ISBN
    assert book["subjects"] == ["Animals", "Foxes", "Juvenile fiction", "Farmers"]
    assert found["cover"]["id"] == book["cover_id"]
    assert (tmp_path / "covers" / book["cover_id"][:2] / f"{book['cover_id']}-list.webp").is_file()
    assert replay.hits[googlebooks_path(FOX_ISBN)] == 0  # the first provider knew it

    # The prefilled book is a valid POST body as it stands, cover included.
    created = client.post("/api/v1/books", json=book)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["cover"] == found["cover"]
    assert created.get_json()["authors"][0]["name"] == "Roald Dahl"


def test_not_found_anywhere_is_404_and_cached(lookup_client, replay):
    isbn = "9780306406157"
    replay.answer(openlibrary_path(isbn), file="openlibrary-not-found.json")
    replay.answer(googlebooks_path(isbn), file="googlebooks-not-found.json")
    _app, client = lookup_client()
    for _ in range(2):
        response = client.get(LOOKUP + isbn)
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
        assert "978-0-306-40615-7" in response.get_json()["detail"]
    assert replay.hits[openlibrary_path(isbn)] == 1 and replay.hits[googlebooks_path(isbn)] == 1


def test_found_answers_are_cached(lookup_client, replay):
    replay.answer(openlibrary_path(FOX_ISBN), file="openlibrary-9780140328721.json")
    _app, client = lookup_client(providers="openlibrary")
    first = client.get(LOOKUP + FOX_ISBN).get_json()
    second = client.get(LOOKUP + FOX_ISBN).get_json()
    assert first == second and first["cover"] is None  # the Covers API has no image for it here
    assert replay.hits[openlibrary_path(FOX_ISBN)] == 1


@pytest.mark.parametrize("answer", [
    {"status": 500, "body": b'{"error": "internal"}'},
    {"status": 429, "body": b"Too Many Requests", "content_type": "text/plain"},
    {"file": "openlibrary-maintenance.html", "content_type": "text/html"},
    {"file": "openlibrary-truncated.json"},
    {"file": "openlibrary-wrong-shape.json"},
    {"status": 200, "body": b'["ISBN:9780140328721"]'},
], ids=["500", "429", "html", "truncated", "wrong-shape", "not-an-object"])
def test_a_failing_or_malformed_provider_is_skipped_for_the_next(lookup_client, replay, answer):
    replay.answer(openlibrary_path(FOX_ISBN), **answer)
    replay.answer(googlebooks_path(FOX_ISBN), file="googlebooks-9780140328721.json")
    _app, client = lookup_client()
    response = client.get(LOOKUP + FOX_ISBN)
    assert response.status_code == 200, response.get_json()
    found = response.get_json()
    assert found["provider"] == "googlebooks"
    assert found["book"]["language"] == "en" and found["book"]["published_year"] == 1988
    assert found["book"]["subjects"] == ["Juvenile Fiction"]
    assert "<" not in found["book"]["description"] and found["book"]["description"].startswith("Boggis, Bunce")

    # Open Library is backed off now: the next lookup goes straight to Google Books.
    client.get(LOOKUP + "9780306406157")
    assert replay.hits[openlibrary_path("9780306406157")] == 0
    assert replay.hits[googlebooks_path("9780306406157")] == 1


def test_a_slow_provider_times_out_and_then_rests(lookup_client, replay):
    replay.answer(openlibrary_path(FOX_ISBN), file="openlibrary-9780140328721.json", delay=3)
    _app, client = lookup_client(providers="openlibrary", timeout=0.5)
    started = time.monotonic()
    response = client.get(LOOKUP + FOX_ISBN)
    assert time.monotonic() - started < 2.5
    assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 1
    assert "Open Library" in response.get_json()["detail"]
    started = time.monotonic()
    again = client.get(LOOKUP + FOX_ISBN)  # backed off: not asked again, answered at once
    assert again.status_code == 503 and time.monotonic() - started < 0.5
    assert replay.hits[openlibrary_path(FOX_ISBN)] == 1


def test_a_dripping_answer_is_cut_at_the_deadline(lookup_client, replay):
    replay.answer(openlibrary_path(FOX_ISBN), file="openlibrary-9780140328721.json", drip=0.05)
    _app, client = lookup_client(providers="openlibrary", timeout=0.5)
    started = time.monotonic()
    response = client.get(LOOKUP + FOX_ISBN)
    assert response.status_code == 503
    assert time.monotonic() - started < 2


def test_a_provider_that_cannot_be_reached_is_503(make_app):
    app = make_app(LIBRARY_LOOKUP_PROVIDERS="openlibrary", LIBRARY_OPENLIBRARY_URL="http://127.0.0.1:9",
                   LIBRARY_LOOKUP_TIMEOUT=1.0)
    client = _librarian(app)
    response = client.get(LOOKUP + FOX_ISBN)
    assert response.status_code == 503 and response.mimetype == "application/problem+json"


def test_a_bad_cover_from_the_provider_leaves_the_book_without_one(lookup_client, replay):
    replay.answer(openlibrary_path(FOX_ISBN), file="openlibrary-9780140328721.json")
    replay.answer(cover_path(FOX_COVER), body=b"GIF89a not really", content_type="image/gif")
    _app, client = lookup_client(providers="openlibrary")
    found = client.get(LOOKUP + FOX_ISBN).get_json()
    assert found["book"]["title"] == "Fantastic Mr. Fox" and found["cover"] is None and "cover_id" not in found["book"]


@pytest.mark.parametrize("isbn", ["978-0-14-032872-2", "12345", "97801403287210000"])
def test_an_invalid_isbn_is_422(client, isbn):
    response = client.get(LOOKUP + isbn)
    assert response.status_code == 422
    assert "isbn" in response.get_json()["errors"]


def test_without_providers_the_lookup_is_unavailable(client, anon, as_role):
    assert client.get(LOOKUP + FOX_ISBN).status_code == 503  # tests configure no provider unless they ask
    assert anon.get(LOOKUP + FOX_ISBN).status_code == 401
    assert as_role("member").get(LOOKUP + FOX_ISBN).status_code == 403


def test_provider_names_are_checked():
    from library.services.lookup import provider_names

    assert provider_names(" OpenLibrary , googlebooks") == ["openlibrary", "googlebooks"]
    with pytest.raises(ValueError, match="unknown provider 'amazon'"):
        provider_names("openlibrary,amazon")


def test_prefilled_values_are_tidied():
    from library.services.lookup import _language, _text, _year

    assert _year("October 1, 1988") == 1988 and _year("c1999-2001") == 1999 and _year("n.d.") is None
    assert _language("/languages/eng") == "en" and _language("fre") == "fr" and _language("en-GB") == "en"
    assert _text("  A\x00 title\n with  spaces ", 500) == "A title with spaces"
    assert len(_text("x" * 600, 500)) == 500
    assert covers.urls(None) is None
