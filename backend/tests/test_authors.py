"""/api/v1/authors and /api/v1/subjects on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import func, select

from library.models import Author

from .conftest import wait_for_a_lock_wait
from .factories import create_book
from .test_books import assert_problem


def test_author_crud_and_derived_sort_name(client):
    created = client.post("/api/v1/authors", json={"name": "Ursula K. Le Guin"})
    assert created.status_code == 201
    author = created.get_json()
    assert created.headers["Location"].endswith(f"/api/v1/authors/{author['id']}")
    assert author["sort_name"] == "Le Guin, Ursula K." and author["book_count"] == 0

    given = client.post("/api/v1/authors", json={"name": "Gabriel García Márquez", "sort_name": "García Márquez, Gabriel"})
    assert given.get_json()["sort_name"] == "García Márquez, Gabriel"

    renamed = client.patch(f"/api/v1/authors/{author['id']}", json={"name": "Ursula Kroeber Le Guin"})
    assert renamed.status_code == 200
    assert renamed.get_json()["sort_name"] == "Le Guin, Ursula Kroeber"  # derived again from the new name
    only_sort = client.patch(f"/api/v1/authors/{author['id']}", json={"sort_name": "LeGuin, Ursula"})
    assert only_sort.get_json()["name"] == "Ursula Kroeber Le Guin" and only_sort.get_json()["sort_name"] == "LeGuin, Ursula"

    assert client.delete(f"/api/v1/authors/{author['id']}").status_code == 204
    assert_problem(client.get(f"/api/v1/authors/{author['id']}"), 404)


def test_author_names_are_unique_case_insensitively(client, scalar):
    first = client.post("/api/v1/authors", json={"name": "Mary Shelley"}).get_json()
    body = assert_problem(client.post("/api/v1/authors", json={"name": "mary shelley"}), 409)
    assert str(first["id"]) in body["detail"]
    other = client.post("/api/v1/authors", json={"name": "Percy Shelley"}).get_json()
    assert_problem(client.patch(f"/api/v1/authors/{other['id']}", json={"name": "MARY SHELLEY"}), 409)
    assert scalar(select(func.count()).select_from(Author)) == 2


def test_an_author_with_books_cannot_be_deleted(client):
    book = create_book(client, authors=[{"name": "Herman Melville"}])
    author_id = book["authors"][0]["id"]
    body = assert_problem(client.delete(f"/api/v1/authors/{author_id}"), 409)
    assert "1 book" in body["detail"]
    client.patch(f"/api/v1/books/{book['id']}", json={"authors": []})
    assert client.delete(f"/api/v1/authors/{author_id}").status_code == 204


def test_author_books_and_counts(client):
    a = create_book(client, title="Typee", authors=[{"name": "Herman Melville"}], published_year=1846)
    author_id = a["authors"][0]["id"]
    create_book(client, title="Moby-Dick", authors=[{"id": author_id}], published_year=1851)
    create_book(client, title="Other", authors=[{"name": "Someone Else"}])
    assert client.get(f"/api/v1/authors/{author_id}").get_json()["book_count"] == 2
    books = client.get(f"/api/v1/authors/{author_id}/books?sort=-published_year")
    assert [b["title"] for b in books.get_json()["items"]] == ["Moby-Dick", "Typee"]
    assert books.get_json()["total"] == 2 and "Link" in books.headers
    assert_problem(client.get("/api/v1/authors/2147483647/books"), 404)


def test_author_list_is_by_sort_name_and_searchable(client):
    for name in ["Zadie Smith", "Chinua Achebe", "Jane Austen"]:
        client.post("/api/v1/authors", json={"name": name})
    body = client.get("/api/v1/authors").get_json()
    assert [a["name"] for a in body["items"]] == ["Chinua Achebe", "Jane Austen", "Zadie Smith"]
    assert [a["name"] for a in client.get("/api/v1/authors?q=SMI").get_json()["items"]] == ["Zadie Smith"]
    page = client.get("/api/v1/authors?per_page=1&page=2").get_json()
    assert page["total"] == 3 and [a["name"] for a in page["items"]] == ["Jane Austen"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "name"), ({"name": ""}, "name"), ({"name": "x" * 301}, "name"), ({"name": "A", "book_count": 3}, "book_count"),
     ({"name": "A", "id": 1}, "id"), ({"name": ["A"]}, "name")],
)
def test_invalid_author_is_422(client, scalar, payload, field):
    body = assert_problem(client.post("/api/v1/authors", json=payload), 422)
    assert field in body["errors"]
    assert scalar(select(func.count()).select_from(Author)) == 0


def test_subjects_list_with_counts_and_search(client):
    create_book(client, subjects=["Poetry", "History"])
    create_book(client, subjects=["history"])
    body = client.get("/api/v1/subjects").get_json()
    assert body["items"] == [
        {"id": body["items"][0]["id"], "name": "History", "book_count": 2},
        {"id": body["items"][1]["id"], "name": "Poetry", "book_count": 1},
    ]
    assert [s["name"] for s in client.get("/api/v1/subjects?q=poe").get_json()["items"]] == ["Poetry"]
    assert_problem(client.get("/api/v1/subjects?per_page=1000"), 422)


def test_merging_two_authors_moves_the_books_keeps_order_and_is_audited(client, as_role, anon):
    tolkien = create_book(client, title="The Hobbit", authors=[{"name": "J. R. R. Tolkien"}])["authors"][0]
    typo_book = create_book(client, title="Beren and Luthien", authors=[{"name": "J.R.R. Tolkein"}])
    typo = typo_book["authors"][0]
    both = create_book(client, title="Letters", authors=[{"name": "J.R.R. Tolkein"}, {"name": "Christopher Tolkien"},
                                                          {"name": "J. R. R. Tolkien"}])
    merged = client.post(f"/api/v1/authors/{tolkien['id']}/merge", json={"duplicate_id": typo["id"]})
    assert merged.status_code == 200, merged.get_json()
    assert merged.get_json()["id"] == tolkien["id"] and merged.get_json()["book_count"] == 3
    assert_problem(client.get(f"/api/v1/authors/{typo['id']}"), 404)
    assert [a["name"] for a in anon.get(f"/api/v1/books/{typo_book['id']}").get_json()["authors"]] == ["J. R. R. Tolkien"]
    # A book that named both keeps the survivor once, in the duplicate's (earlier) place.
    assert [a["name"] for a in anon.get(f"/api/v1/books/{both['id']}").get_json()["authors"]] == [
        "J. R. R. Tolkien", "Christopher Tolkien"]
    assert [b["title"] for b in anon.get("/api/v1/books", query_string={"q": "tolkein"}).get_json()["items"]] == []
    assert sorted(b["title"] for b in anon.get(f"/api/v1/authors/{tolkien['id']}/books").get_json()["items"]) == [
        "Beren and Luthien", "Letters", "The Hobbit"]
    assert anon.get("/api/v1/books", query_string={"sort": "author", "q": "letters"}).get_json()["total"] == 1
    events = as_role("admin").get("/api/v1/audit", query_string={"action": "author.merge"}).get_json()["items"]
    assert events[0]["resource_id"] == tolkien["id"]
    assert events[0]["summary"]["merged"] == {"id": typo["id"], "name": "J.R.R. Tolkein"}
    assert sorted(events[0]["summary"]["books"]) == sorted([typo_book["id"], both["id"]])


@pytest.mark.parametrize("duplicate", ["self", "missing"])
def test_merge_refuses_itself_and_unknown_authors(client, duplicate):
    author = create_book(client)["authors"][0]
    duplicate_id = author["id"] if duplicate == "self" else 2**31 - 1
    body = assert_problem(client.post(f"/api/v1/authors/{author['id']}/merge", json={"duplicate_id": duplicate_id}), 422)
    assert "duplicate_id" in body["errors"]


def test_only_staff_merge_authors(client, as_role):
    first, second = create_book(client)["authors"][0], create_book(client)["authors"][0]
    response = as_role("member").post(f"/api/v1/authors/{first['id']}/merge", json={"duplicate_id": second["id"]})
    assert_problem(response, 403)


def delete_author_under_a_waiting_save(database_url, author_id, start_save):
    """PostgreSQL: another librarian's transaction holds the author's row while start_save() begins a save of it;
    once that save, having read the author, waits to write it (pg_stat_activity), the other deletes the author and
    commits. The save then finds its row gone."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as other, engine.connect() as watcher:
            other.exec_driver_sql("BEGIN")
            other.execute(text("SELECT id FROM author WHERE id = :id FOR UPDATE"), {"id": author_id})
            start_save()
            wait_for_a_lock_wait(watcher, "query LIKE 'UPDATE author%'")  # the save waits for the author's row
            other.execute(text("DELETE FROM author WHERE id = :id"), {"id": author_id})
            other.exec_driver_sql("COMMIT")
    finally:
        engine.dispose()


def test_saving_an_author_deleted_meanwhile_answers_a_conflict_or_not_found(app, client, database_url):
    """A librarian saves an author while another deletes it. Whichever way the two meet, the save answers a clear
    problem (PostgreSQL: its write finds the row gone after its read, a 409 to reload and retry; SQLite: its write
    transaction waits for the delete's, then finds no author, a 404), never a 500, and writes nothing."""
    import sqlite3
    import threading
    import time

    author = client.post("/api/v1/authors", json={"name": "Deleted Meanwhile"}).get_json()
    postgres = database_url.startswith("postgresql")
    answers = []
    saving = threading.Thread(target=lambda: answers.append(
        client.patch(f"/api/v1/authors/{author['id']}", json={"name": "Saved Meanwhile"})))
    if postgres:
        delete_author_under_a_waiting_save(database_url, author["id"], saving.start)
        saving.join(30)
    else:  # the other librarian's write transaction holds the database; the save's waits for it
        other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            saving.start()
            time.sleep(0.3)
            other.execute("DELETE FROM author WHERE id = ?", (author["id"],))
            other.execute("COMMIT")
            saving.join(30)
        finally:
            other.close()
    (answer,) = answers
    assert_problem(answer, 409 if postgres else 404)
    if postgres:
        assert "another request meanwhile" in answer.get_json()["detail"]
    assert_problem(client.get(f"/api/v1/authors/{author['id']}"), 404)
    assert client.get("/api/v1/authors", query_string={"q": "Saved Meanwhile"}).get_json()["items"] == []
