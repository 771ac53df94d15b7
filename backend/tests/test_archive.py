"""Deletes without dead ends, on SQLite and PostgreSQL: copies never lent are deleted, others withdrawn; a book whose
copies are all withdrawn is deleted when it never circulated, archived (out of the catalog and its search, kept with
its loan history, restorable) when it did."""

from sqlalchemy import func, select

from library.models import Loan

from .test_books import assert_problem
from .test_circulation import code, desk, scalar_in  # noqa: F401 (fixtures)


def withdraw(desk, copy):
    response = desk.patch(f"/api/v1/copies/{copy['id']}", json={"status": "withdrawn"})
    assert response.status_code == 200, response.get_json()


def ids(client, **params):
    return [book["id"] for book in client.get("/api/v1/books", query_string=params).get_json()["items"]]


def test_a_copy_never_lent_is_deletable_and_one_with_history_is_withdrawn(desk):
    book, (fresh, used) = desk.book_with_copies(2)
    desk.checkout(used["barcode"], desk.member()["card_number"])
    desk.give_back(used["barcode"])
    listed = {c["id"]: c["deletable"] for c in desk.get(f"/api/v1/books/{book['id']}/copies").get_json()["items"]}
    assert listed == {fresh["id"]: True, used["id"]: False}
    assert "withdrawn instead" in assert_problem(desk.delete(f"/api/v1/copies/{used['id']}"), 409)["detail"]
    assert desk.delete(f"/api/v1/copies/{fresh['id']}").status_code == 204
    withdraw(desk, used)
    assert desk.get(f"/api/v1/copies/{used['id']}").get_json()["status"] == "withdrawn"


def test_a_book_that_never_circulated_is_deleted_with_its_withdrawn_copies(desk, anon):
    book, (copy,) = desk.book_with_copies(1)
    refused = assert_problem(desk.delete(f"/api/v1/books/{book['id']}"), 409)["detail"]
    assert "still in service" in refused and copy["barcode"] in refused
    withdraw(desk, copy)
    assert desk.delete(f"/api/v1/books/{book['id']}").status_code == 204
    assert_problem(anon.get(f"/api/v1/books/{book['id']}"), 404)
    assert_problem(desk.get(f"/api/v1/copies/{copy['id']}"), 404)


def test_a_book_with_history_is_archived_out_of_the_catalog_and_restored(app, desk, anon):
    word = code("archivable")
    book, (copy, other) = desk.book_with_copies(2, title=f"The {word} Chronicle")
    loan = desk.checkout(copy["barcode"], desk.member()["card_number"]).get_json()
    desk.give_back(copy["barcode"])
    waiting = desk.hold(book["id"], desk.member()["card_number"])  # holds wait even with copies on the shelf
    assert waiting.status_code == 201
    assert_problem(desk.post(f"/api/v1/books/{book['id']}/archive"), 409)  # copies still in service
    withdraw(desk, copy)
    desk.delete(f"/api/v1/copies/{other['id']}")
    assert "archive it instead" in assert_problem(desk.delete(f"/api/v1/books/{book['id']}"), 409)["detail"]

    archived = desk.post(f"/api/v1/books/{book['id']}/archive")
    assert archived.status_code == 200 and archived.get_json()["archived_at"]
    assert desk.get(f"/api/v1/holds/{waiting.get_json()['id']}").get_json()["status"] == "cancelled"
    assert_problem(desk.post(f"/api/v1/books/{book['id']}/archive"), 409)
    # Out of the catalog for everyone: the page, lists, search (the index), filters and the author's books.
    assert_problem(anon.get(f"/api/v1/books/{book['id']}"), 404)
    for client in (anon, desk):
        assert ids(client, q=word) == [] and book["id"] not in ids(client, per_page=100)
        assert ids(client, isbn=book["isbn"]) == [] and ids(client, q=book["isbn"]) == []
    author_id = book["authors"][0]["id"]
    assert anon.get(f"/api/v1/authors/{author_id}/books").get_json()["items"] == []
    assert "book_id" in assert_problem(desk.hold(book["id"], desk.member()["card_number"]), 422)["errors"]
    assert_problem(desk.post(f"/api/v1/books/{book['id']}/copies", json={"barcode": code("C")}), 409)
    # ... kept for staff and the statistics: the archive list and the loan history.
    listed = desk.get("/api/v1/books/archived").get_json()
    assert [b["id"] for b in listed["items"]] == [book["id"]] and listed["items"][0]["title"] == book["title"]
    assert desk.get(f"/api/v1/loans/{loan['id']}").get_json()["book_title"] == book["title"]
    assert scalar_in(app, select(func.count()).select_from(Loan).where(Loan.copy_id == copy["id"])) == 1
    # A reindex keeps it out of the search index too.
    assert "rebuilt" in app.test_cli_runner().invoke(args=["reindex"]).output
    assert ids(anon, q=word) == []

    restored = desk.post(f"/api/v1/books/{book['id']}/restore")
    assert restored.status_code == 200 and restored.get_json()["id"] == book["id"]
    assert ids(anon, q=word) == [book["id"]] and anon.get(f"/api/v1/books/{book['id']}").status_code == 200
    assert desk.get("/api/v1/books/archived").get_json()["total"] == 0
    assert_problem(desk.post(f"/api/v1/books/{book['id']}/restore"), 409)


def test_editing_an_archived_books_author_does_not_bring_it_back_to_search(desk, anon):
    word = code("hidden")
    book, (copy,) = desk.book_with_copies(1, title=f"Hidden {word}")
    desk.checkout(copy["barcode"], desk.member()["card_number"])
    desk.give_back(copy["barcode"])
    withdraw(desk, copy)
    desk.post(f"/api/v1/books/{book['id']}/archive")
    author_id = book["authors"][0]["id"]
    assert desk.patch(f"/api/v1/authors/{author_id}", json={"name": f"Renamed {word}"}).status_code == 200
    assert ids(anon, q=word) == []


def test_archive_is_for_staff(as_role, anon):
    for path in ("/api/v1/books/archived",):
        assert_problem(anon.get(path), 401)
        assert_problem(as_role("member").get(path), 403)


def test_an_archived_book_is_no_duplicate_and_cannot_be_merged(desk):
    title, author = f"Twice {code('told')}", [{"name": f"Teller {code('a')}"}]
    old, (copy,) = desk.book_with_copies(1, title=title, authors=author)
    new, _ = desk.book_with_copies(1, title=title, authors=author)

    def grouped():
        return [sorted(b["id"] for b in group["books"])
                for group in desk.get("/api/v1/duplicates", query_string={"per_page": 100}).get_json()["items"]]

    assert sorted([old["id"], new["id"]]) in grouped()
    desk.checkout(copy["barcode"], desk.member()["card_number"])
    desk.give_back(copy["barcode"])
    withdraw(desk, copy)
    assert desk.post(f"/api/v1/books/{old['id']}/archive").status_code == 200
    assert not [ids for ids in grouped() if old["id"] in ids]
    for into, source in ((new, old), (old, new)):
        refused = assert_problem(desk.post(f"/api/v1/books/{into['id']}/merge", json={"from": [source["id"]]}), 409)
        assert "archived" in refused["detail"]
    assert desk.get(f"/api/v1/books/{new['id']}").status_code == 200
