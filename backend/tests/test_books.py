"""/api/v1/books on SQLite and PostgreSQL: CRUD, lists, filters, sorts, errors, concurrency."""

import threading

import pytest
from sqlalchemy import event, func, select

from library.models import Author, Book

from .factories import book_payload, create_book, isbn13

PROBLEM = "application/problem+json"


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["type"]
    return body


# --- create, read, update, delete ----------------------------------------------------------------

def test_create_read_update_delete(client):
    created = client.post("/api/v1/books", json=book_payload(
        title="  The Dispossessed ", subtitle="An Ambiguous Utopia", isbn="0-06-051275-X",
        authors=[{"name": "Ursula K. Le Guin"}], subjects=["Science fiction", "Politics"],
        publisher="Harper", published_year=1974, language="EN", description="Shevek, a physicist...",
        cover_url="https://covers.example.org/dispossessed.jpg",
    ))
    assert created.status_code == 201
    book = created.get_json()
    assert created.headers["Location"].endswith(f"/api/v1/books/{book['id']}")
    assert book["title"] == "The Dispossessed"  # trimmed
    assert book["isbn"] == "9780060512750"
    assert book["isbn10"] == "006051275X"
    assert book["isbn_formatted"] == "978-0-06-051275-0"
    assert book["language"] == "en"
    assert book["authors"] == [{"id": book["authors"][0]["id"], "name": "Ursula K. Le Guin", "sort_name": "Le Guin, Ursula K."}]
    assert book["subjects"] == ["Politics", "Science fiction"]
    assert book["created_at"].endswith("+00:00") and book["updated_at"]

    fetched = client.get(f"/api/v1/books/{book['id']}")
    assert fetched.status_code == 200 and fetched.get_json() == book

    patched = client.patch(f"/api/v1/books/{book['id']}", json={"subtitle": None, "published_year": 1975})
    assert patched.status_code == 200
    assert patched.get_json()["subtitle"] is None and patched.get_json()["published_year"] == 1975
    assert patched.get_json()["title"] == "The Dispossessed"  # untouched fields stay

    deleted = client.delete(f"/api/v1/books/{book['id']}")
    assert deleted.status_code == 204 and deleted.data == b""
    assert_problem(client.get(f"/api/v1/books/{book['id']}"), 404)
    assert_problem(client.delete(f"/api/v1/books/{book['id']}"), 404)


def test_authors_keep_their_order_and_are_reused_by_name_or_id(client, scalar):
    first = create_book(client, authors=[{"name": "Terry Pratchett"}, {"name": "Neil Gaiman"}])
    assert [a["name"] for a in first["authors"]] == ["Terry Pratchett", "Neil Gaiman"]
    gaiman_id = first["authors"][1]["id"]
    second = create_book(client, authors=[{"id": gaiman_id}, {"name": "terry pratchett"}])
    assert [a["name"] for a in second["authors"]] == ["Neil Gaiman", "Terry Pratchett"]  # same rows, new order
    assert scalar(select(func.count()).select_from(Author)) == 2

    reordered = client.patch(f"/api/v1/books/{first['id']}", json={"authors": [{"id": gaiman_id}]})
    assert [a["id"] for a in reordered.get_json()["authors"]] == [gaiman_id]


def test_unknown_author_id_is_a_field_error_and_nothing_is_written(client, scalar):
    body = assert_problem(client.post("/api/v1/books", json=book_payload(authors=[{"name": "New Person"}, {"id": 999999}])), 422)
    assert body["errors"] == {"authors.1.id": ["No author with id 999999."]}
    assert scalar(select(func.count()).select_from(Book)) == 0
    assert scalar(select(func.count()).select_from(Author)) == 0  # the new author was not kept either


def test_subjects_are_deduplicated_case_insensitively_and_shared(client):
    book = create_book(client, subjects=["History", "history", " HISTORY ", "Maps"])
    assert book["subjects"] == ["History", "Maps"]
    other = create_book(client, subjects=["maps"])
    assert other["subjects"] == ["Maps"]  # the existing subject, with its spelling
    subjects = client.get("/api/v1/subjects").get_json()
    assert {s["name"]: s["book_count"] for s in subjects["items"]} == {"History": 1, "Maps": 2}


# --- lists ----------------------------------------------------------------------------------------

def test_page_envelope_and_link_header(client):
    for n in range(5):
        create_book(client, title=f"Book {n}")
    response = client.get("/api/v1/books?per_page=2&page=2&sort=title")
    body = response.get_json()
    assert body["total"] == 5 and body["page"] == 2 and body["per_page"] == 2
    assert [b["title"] for b in body["items"]] == ["Book 2", "Book 3"]
    links = {rel: url for url, rel in _links(response.headers["Link"])}
    assert set(links) == {"first", "prev", "next", "last"}
    assert "page=1" in links["first"] and "page=1" in links["prev"] and "page=3" in links["next"] and "page=3" in links["last"]
    assert all("per_page=2" in url and "sort=title" in url for url in links.values())

    last = client.get("/api/v1/books?per_page=2&page=3")
    assert {rel for _, rel in _links(last.headers["Link"])} == {"first", "prev", "last"}
    assert len(last.get_json()["items"]) == 1
    beyond = client.get("/api/v1/books?per_page=2&page=9").get_json()
    assert beyond["items"] == [] and beyond["total"] == 5


def _links(header):
    for part in header.split(","):
        url, rel = part.split(";")
        yield url.strip()[1:-1], rel.strip().removeprefix('rel="').removesuffix('"')


def test_default_and_maximum_page_size(client):
    assert client.get("/api/v1/books").get_json()["per_page"] == 20
    assert client.get("/api/v1/books?per_page=100").status_code == 200
    body = assert_problem(client.get("/api/v1/books?per_page=101"), 422)
    assert "per_page" in body["errors"]
    assert "page" in assert_problem(client.get("/api/v1/books?page=0"), 422)["errors"]


@pytest.fixture
def shelf(client):
    """A small catalog with known answers for every filter and sort."""
    books = {
        "dune": create_book(client, title="Dune", authors=[{"name": "Frank Herbert"}], published_year=1965,
                            language="en", subjects=["Science fiction"], isbn="9780441172719"),
        "emma": create_book(client, title="emma", authors=[{"name": "Jane Austen"}], published_year=1815,
                            language="en", subjects=["Classics", "Romance"]),
        "etranger": create_book(client, title="L'Étranger", authors=[{"name": "Albert Camus"}], published_year=1942,
                                language="fr", subjects=["Classics"]),
        "anon": create_book(client, title="Beowulf", authors=[], published_year=None, language=None, subjects=[]),
        "pct": create_book(client, title="100% Cotton_Wool", authors=[{"name": "Zadie Smith"}], published_year=2000,
                           language="en", subjects=["Crafts"]),
    }
    return books


def _titles(client, query):
    response = client.get(f"/api/v1/books?{query}")
    assert response.status_code == 200, response.get_json()
    return [b["title"] for b in response.get_json()["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=title", ["100% Cotton_Wool", "Beowulf", "Dune", "emma", "L'Étranger"]),
        ("sort=-title", ["L'Étranger", "emma", "Dune", "Beowulf", "100% Cotton_Wool"]),
        ("sort=published_year", ["emma", "L'Étranger", "Dune", "100% Cotton_Wool", "Beowulf"]),
        ("sort=-published_year", ["100% Cotton_Wool", "Dune", "L'Étranger", "emma", "Beowulf"]),
        ("sort=author", ["emma", "L'Étranger", "Dune", "100% Cotton_Wool", "Beowulf"]),  # Austen, Camus, Herbert, Smith, none
        ("sort=created_at", ["Dune", "emma", "L'Étranger", "Beowulf", "100% Cotton_Wool"]),
        ("sort=-created_at", ["100% Cotton_Wool", "Beowulf", "L'Étranger", "emma", "Dune"]),
    ],
)
def test_sorts(client, shelf, query, expected):
    assert _titles(client, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("isbn=0-441-17271-7", ["Dune"]),            # ISBN-10 form finds the ISBN-13
        ("isbn=978-0441172719", ["Dune"]),
        ("subject=classics", ["emma", "L'Étranger"]),  # case-insensitive
        ("language=fr", ["L'Étranger"]),
        ("language=EN", ["100% Cotton_Wool", "Dune", "emma"]),
        ("year_from=1900", ["100% Cotton_Wool", "Dune", "L'Étranger"]),
        ("year_to=1942", ["emma", "L'Étranger"]),
        ("year_from=1900&year_to=1970", ["Dune", "L'Étranger"]),
        ("q=DUNE", ["Dune"]),                          # title, case-insensitive
        ("q=austen", ["emma"]),                        # author name
        ("q=du", ["Dune"]),                            # the last word is a prefix of a word
        ("q=beo", ["Beowulf"]),
        ("q=un", []),                                  # but only from a word's start: not a substring
        ("q=wul", []),
        ("q=etranger", ["L'Étranger"]),                # accent-insensitive
        ("q=classics&sort=title", ["emma", "L'Étranger"]),  # subjects
        ("q=100%25", ["100% Cotton_Wool"]),            # punctuation is no wildcard
        ("q=wool", ["100% Cotton_Wool"]),              # _ separates words
        ("q=%25", ["100% Cotton_Wool", "Beowulf", "Dune", "emma", "L'Étranger"]),  # no words: the same as no q
        ("q=_", ["100% Cotton_Wool", "Beowulf", "Dune", "emma", "L'Étranger"]),
        ("subject=Classics&language=fr", ["L'Étranger"]),
        ("q=e&year_from=1800&sort=-published_year", ["L'Étranger", "emma"]),  # Étranger, emma; not Herbert or Zadie
        ("q=e&language=en", ["emma"]),
        ("subject=Nothing", []),
        ("year_from=2000&year_to=1990", []),           # an empty range finds nothing
    ],
)
def test_filters(client, shelf, query, expected):
    assert _titles(client, query) == expected


def test_filter_by_author_id(client, shelf):
    austen = shelf["emma"]["authors"][0]["id"]
    assert _titles(client, f"author={austen}") == ["emma"]
    assert _titles(client, "author=2147483647") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=price", "sort"),
        ("isbn=123", "isbn"),
        ("language=xx", "language"),
        ("language=english", "language"),
        ("year_from=999", "year_from"),
        ("year_to=abc", "year_to"),
        ("author=0", "author"),
        ("author=99999999999999999999", "author"),
        ("q=" + "x" * 201, "q"),
        ("per_page=2.5", "per_page"),
    ],
)
def test_bad_list_parameters_are_422_with_the_field_named(client, query, field):
    body = assert_problem(client.get(f"/api/v1/books?{query}"), 422)
    assert field in body["errors"], body


def test_list_costs_a_constant_number_of_queries(client, anon, app):
    for n in range(30):
        create_book(client, authors=[{"name": f"A{n} One"}, {"name": f"A{n} Two"}], subjects=[f"S{n}", "Common"])
    with app.app_context():
        from library.extensions import db

        engine = db.engine
    counts = []
    # The figures kept per data version (the whole catalog's total, the id range: catalog.by_version) are read by
    # the first list after a write; read them here, so that each page size below is counted alike.
    assert anon.get("/api/v1/books?per_page=1&sort=title").status_code == 200

    def count(_conn, _cursor, statement, *_args):
        if not statement.startswith("BEGIN"):  # SQLite's explicit BEGIN is not a query
            counts[-1] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        for per_page in (1, 10, 30):
            counts.append(0)
            assert len(anon.get(f"/api/v1/books?per_page={per_page}&sort=author").get_json()["items"]) == per_page
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # count, page, authors, subjects, availability (2), and on PostgreSQL the response cache's version
    assert counts[0] == counts[1] == counts[2] <= 7, counts


# --- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": None}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"title": 42}, "title"),
        ({"title": "ok\x00bad"}, "title"),
        ({"title": "lone \udcc8 surrogate"}, "title"),
        ({"title": "ok", "subtitle": "x" * 501}, "subtitle"),
        ({"title": "ok", "isbn": "978-0-306-40615-8"}, "isbn"),
        ({"title": "ok", "isbn": "12345"}, "isbn"),
        ({"title": "ok", "isbn": 9780306406157}, "isbn"),
        ({"title": "ok", "published_year": 999}, "published_year"),
        ({"title": "ok", "published_year": 2101}, "published_year"),
        ({"title": "ok", "published_year": "1999"}, "published_year"),
        ({"title": "ok", "published_year": 1999.5}, "published_year"),
        ({"title": "ok", "published_year": True}, "published_year"),
        ({"title": "ok", "language": "xx"}, "language"),
        ({"title": "ok", "language": "eng"}, "language"),
        ({"title": "ok", "description": "x" * 10_001}, "description"),
        ({"title": "ok", "cover_url": "javascript:alert(1)"}, "cover_url"),
        ({"title": "ok", "cover_url": "ftp://example.org/c.jpg"}, "cover_url"),
        ({"title": "ok", "cover_url": "not a url"}, "cover_url"),
        ({"title": "ok", "authors": "Jane Austen"}, "authors"),
        ({"title": "ok", "authors": [{}]}, "authors.0._schema"),
        ({"title": "ok", "authors": [{"id": 1, "name": "Both"}]}, "authors.0._schema"),
        ({"title": "ok", "authors": [{"name": ""}]}, "authors.0.name"),
        ({"title": "ok", "authors": [{"id": -1}]}, "authors.0.id"),
        ({"title": "ok", "authors": [{"id": 2**63}]}, "authors.0.id"),
        ({"title": "ok", "authors": [{"name": "A", "role": "editor"}]}, "authors.0.role"),
        ({"title": "ok", "authors": [{"name": f"Author {i}"} for i in range(51)]}, "authors"),
        ({"title": "ok", "subjects": ["x" * 101]}, "subjects.0"),
        ({"title": "ok", "subjects": [None]}, "subjects.0"),
        ({"title": "ok", "id": 5}, "id"),                 # server-owned fields are unknown fields
        ({"title": "ok", "created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({"title": "ok", "isbn10": "0306406152"}, "isbn10"),
    ],
)
def test_invalid_book_is_422_with_field_messages_and_nothing_written(client, scalar, payload, field):
    body = assert_problem(client.post("/api/v1/books", json=payload), 422)
    assert field in body["errors"], body["errors"]
    assert all(isinstance(m, str) for messages in body["errors"].values() for m in messages)
    assert scalar(select(func.count()).select_from(Book)) == 0


def test_patch_validates_like_create_and_changes_nothing_on_error(client):
    book = create_book(client, title="Before")
    body = assert_problem(client.patch(f"/api/v1/books/{book['id']}", json={"title": "After", "isbn": "123"}), 422)
    assert set(body["errors"]) == {"isbn"}
    assert client.get(f"/api/v1/books/{book['id']}").get_json()["title"] == "Before"
    assert "title" in assert_problem(client.patch(f"/api/v1/books/{book['id']}", json={"title": None}), 422)["errors"]


def test_empty_optional_strings_mean_no_value(client):
    book = create_book(client, isbn="", subtitle="  ", language="", publisher="")
    assert (book["isbn"], book["subtitle"], book["language"], book["publisher"]) == (None, None, None, None)


def test_malformed_json_is_400(client):
    body = assert_problem(client.post("/api/v1/books", data='{"title": ', content_type="application/json"), 400)
    assert "JSON" in body["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_writes_need_json_content_type(client, content_type):
    body = '{"title": "Sneaky"}'
    assert_problem(client.post("/api/v1/books", data=body, content_type=content_type), 415)
    book = create_book(client)
    assert_problem(client.patch(f"/api/v1/books/{book['id']}", data=body, content_type=content_type), 415)
    assert client.get(f"/api/v1/books/{book['id']}").get_json()["title"] == book["title"]


def test_json_that_is_not_an_object_is_422(client):
    assert_problem(client.post("/api/v1/books", json=["title"]), 422)
    assert_problem(client.post("/api/v1/books", json="title"), 422)


def test_body_over_one_mebibyte_is_413(client, scalar):
    huge = '{"title": "x", "description": "' + "x" * (1024 * 1024) + '"}'
    assert_problem(client.post("/api/v1/books", data=huge, content_type="application/json"), 413)
    assert scalar(select(func.count()).select_from(Book)) == 0


@pytest.mark.parametrize("path", ["/api/v1/books/0", "/api/v1/books/-1", "/api/v1/books/2147483648",
                                  "/api/v1/books/99999999999999999999999", "/api/v1/books/abc", "/api/v1/nothing"])
def test_unknown_paths_and_ids_out_of_range_are_404(client, path):
    assert_problem(client.get(path), 404)
    assert_problem(client.patch(path, json={"title": "x"}), 404)


def test_wrong_method_is_405_with_allow(client):
    response = client.put("/api/v1/books", json={})
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_duplicate_isbn_is_409_naming_the_existing_book(client, scalar):
    original = create_book(client, isbn="9780306406157")
    body = assert_problem(client.post("/api/v1/books", json=book_payload(isbn="0-306-40615-2")), 409)
    assert str(original["id"]) in body["detail"] and "9780306406157" in body["detail"]
    assert "isbn" in body["errors"]
    other = create_book(client)
    body = assert_problem(client.patch(f"/api/v1/books/{other['id']}", json={"isbn": "0306406152"}), 409)
    assert str(original["id"]) in body["detail"]
    # Saving a book with its own ISBN is no conflict.
    assert client.patch(f"/api/v1/books/{original['id']}", json={"isbn": "9780306406157"}).status_code == 200
    assert scalar(select(func.count()).select_from(Book)) == 2


def test_concurrent_creates_of_the_same_isbn_give_one_201(app, client, scalar):
    isbn = isbn13()
    barrier = threading.Barrier(20)
    statuses = []

    def create(n):
        racer = app.test_client()
        racer.environ_base.update(client.environ_base)  # the librarian's token
        barrier.wait()
        response = racer.post("/api/v1/books", json=book_payload(title=f"Racer {n}", isbn=isbn, authors=[{"name": "Same Author"}]))
        statuses.append(response.status_code)
        if response.status_code != 201:
            assert response.mimetype == PROBLEM

    threads = [threading.Thread(target=create, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 19
    assert scalar(select(func.count()).select_from(Book).where(Book.isbn == isbn)) == 1


@pytest.mark.parametrize("q", ["\x00", "a\x00b", "'; DROP TABLE book; --", '"', "\\", "%_%", "NEAR(a b)", "*", " "])
def test_hostile_search_text_is_a_result_or_422_never_500(client, q):
    response = client.get("/api/v1/books", query_string={"q": q, "subject": q})
    assert response.status_code in (200, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert "q" in response.get_json()["errors"]
