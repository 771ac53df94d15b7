"""Stored book documents (services/documents.py, migration 0022, issue 12): the lean lane sends each book's stored
JSON when it is current, and the same bytes as the views compute; every change to what a document holds makes it
stale in the change's own transaction, so a stale one is never sent; the committing session, the worker's poller
and `flask --app library documents` write them again."""

from uuid import uuid4

from sqlalchemy import create_engine, text

from library.extensions import db
from library.services import documents, jobs, tasks  # noqa: F401 - tasks registers the worker's pollers

from .factories import create_book, isbn13
from .test_fastpath import lanes, same  # noqa: F401 - the fixture
from .test_merge import copy


def stored(app, book_id):
    """The book's document row: (head, tail), or None when it has none."""
    with app.app_context():
        row = db.session.execute(text("SELECT head, tail FROM book_document WHERE book_id = :id"),
                                 {"id": book_id}).first()
        return None if row is None else (row[0], row[1])


def raw_sql(app, statement, **params):
    """A write straight to the database, as an operator's SQL would be: no session hooks, only the triggers."""
    with app.app_context():
        db.session.execute(text(statement), params)
        db.session.commit()  # (touches no model: the session writes no document)


def test_the_lane_sends_the_stored_document_and_the_same_bytes_as_the_views(app, client, lanes):
    lean, flask, answered = lanes
    book = create_book(client, title="Garden of Ève", authors=[{"name": "B Two"}, {"name": "A One"}],
                       subjects=["Zoology", "Art"], other_isbns=[isbn13()])
    copy(client, book["id"])
    head, tail = stored(app, book["id"])  # written by the commit that created it
    assert head.startswith(b'{"authors":[{"id":') and head.endswith(b'"availability":')
    assert tail.startswith(b',"call_number":')
    path = f"/api/v1/books/{book['id']}"
    for url in (path, "/api/v1/books", "/api/v1/books?q=garden", "/api/v1/books?q=garden&facets=subject"):
        same(lean, flask, url)
    assert len(answered) == 4
    # The lane really sends the stored bytes: a document changed behind the app's back is what it shows.
    raw_sql(app, "UPDATE book_document SET tail = :tail WHERE book_id = :id",
            tail=tail.replace(b"Garden of \xc3\x88ve", b"Stored title"), id=book["id"])
    assert lean.get(f"{path}?fresh=1").get_json()["title"] == "Stored title"


def test_every_change_to_what_a_document_holds_is_sent_at_once(app, client, lanes):
    lean, flask, _answered = lanes
    book = create_book(client, title="First", authors=[{"name": "Kept Name"}], subjects=["Old"])
    other = create_book(client, title="Second", authors=[{"name": "Kept Name"}])
    path = f"/api/v1/books/{book['id']}"
    author_id = book["authors"][0]["id"]

    def check(expected):
        for url in (path, f"/api/v1/books/{other['id']}", "/api/v1/books"):
            same(lean, flask, url)
        shown = lean.get(path).get_json()
        assert {key: shown[key] for key in expected} == expected
        assert stored(app, book["id"])[0] is not None  # written again by the change's own commit

    client.patch(path, json={"title": "First, again", "subjects": ["New", "Also"], "other_isbns": [isbn13()]})
    check({"title": "First, again", "subjects": ["Also", "New"]})
    assert client.patch(f"/api/v1/authors/{author_id}", json={"name": "Renamed Author"}).status_code == 200
    check({"authors": [{"id": author_id, "name": "Renamed Author", "sort_name": "Author, Renamed"}]})
    assert lean.get(f"/api/v1/books/{other['id']}").get_json()["authors"][0]["name"] == "Renamed Author"
    held = copy(client, book["id"])
    check({"availability": {"available": 1, "holds": 0, "total": 1}})  # counted when read, never stored
    assert client.patch(f"/api/v1/copies/{held['id']}", json={"status": "withdrawn"}).status_code == 200
    check({"availability": {"available": 0, "holds": 0, "total": 0}})
    assert client.post(f"/api/v1/books/{book['id']}/archive").status_code == 200
    assert lean.get(path).status_code == flask.get(path).status_code == 404
    assert stored(app, book["id"]) is None  # an archived book has nothing to send
    assert client.post(f"/api/v1/books/{book['id']}/restore").status_code == 200
    check({"title": "First, again"})


def test_a_change_made_outside_the_app_is_never_sent_stale(app, client, lanes):
    """SQL run by hand (or any writer without the app's session) marks the documents stale through the triggers:
    the lane computes those books until the worker's poller writes them again."""
    lean, flask, _answered = lanes
    book = create_book(client, title="By the app", subjects=["Birds"])
    path = f"/api/v1/books/{book['id']}"
    raw_sql(app, "UPDATE book SET title = 'By hand' WHERE id = :id", id=book["id"])
    raw_sql(app, "UPDATE subject SET name = 'Bees' WHERE name = 'Birds'")
    assert stored(app, book["id"]) == (None, None)
    assert same(lean, flask, path).get_json()["title"] == "By hand"
    assert same(lean, flask, "/api/v1/books").get_json()["items"][0]["subjects"] == ["Bees"]
    with app.app_context():
        jobs.run_pollers("test-worker")
    assert stored(app, book["id"])[0] is not None
    assert same(lean, flask, path).get_json()["subjects"] == ["Bees"]


def test_the_documents_command_writes_what_is_stale_or_missing(app, client, lanes):
    lean, flask, answered = lanes
    books = [create_book(client, title=f"Book {n}") for n in range(3)]
    raw_sql(app, "DELETE FROM book_document WHERE book_id = :id", id=books[0]["id"])  # missing
    raw_sql(app, "UPDATE book_document SET head = NULL, tail = NULL WHERE book_id = :id", id=books[1]["id"])  # stale
    # Pages mixing missing, stale and current documents (each page one statement with its documents): the list,
    # its cursor page, a search and its cursor page, all answered by the lane with the views' bytes.
    answered.clear()
    for url in ("/api/v1/books", "/api/v1/books?q=book"):
        first = same(lean, flask, f"{url}{'&' if '?' in url else '?'}per_page=2").get_json()
        assert [item["title"] for item in first["items"]] == ["Book 0", "Book 1"] and first["next_cursor"]
        rest = same(lean, flask, f"{url}{'&' if '?' in url else '?'}per_page=2&cursor={first['next_cursor']}")
        assert [item["title"] for item in rest.get_json()["items"]] == ["Book 2"]
    assert len(answered) == 4
    same(lean, flask, "/api/v1/books")
    output = app.test_cli_runner().invoke(args=["documents"]).output
    assert "Wrote 2 book document(s)" in output
    assert all(stored(app, book["id"])[0] is not None for book in books)
    with app.app_context():
        assert documents.stale_count(db.session.connection()) == 0
    same(lean, flask, "/api/v1/books")


def test_concurrent_changes_never_leave_a_stale_document(stack):
    """PostgreSQL through nginx and gunicorn's workers: renames of a shared author and edits of its books, sent
    together, each committing its documents. Afterwards every book's public page (the lean lane: its stored
    document) is what the staff's view computes from the tables. (SQLite has one writer at a time.)"""
    import requests

    from .test_circulation_races import Desk

    desk, engine = Desk(stack, "postgresql"), create_engine(stack.database_url)
    try:
        name = f"Race Author {uuid4().hex[:8]}"
        books = [desk.ok("POST", "/books", {"title": f"Race {n} {uuid4().hex[:6]}", "authors": [{"name": name}],
                                            "subjects": ["Racing"]}, expect=201) for n in range(6)]
        author_id = books[0]["authors"][0]["id"]
        changes = [("PATCH", f"/authors/{author_id}", {"name": f"{name} {n}"}) for n in range(8)] + [
            ("PATCH", f"/books/{book['id']}", {"title": f"Edited {n} {book['title']}", "subjects": [f"Race {n}"]})
            for n, book in enumerate(books * 2)]
        for _round in range(3):
            answers = desk.parallel(lambda change: desk.call(*change).status_code, changes)
            assert set(answers) == {200}, answers
            for book in books:
                public = requests.get(f"{stack.url}/api/v1/books/{book['id']}", timeout=30)
                assert public.status_code == 200
                assert public.json() == desk.get(f"/books/{book['id']}"), book["id"]
            ids = ",".join(str(book["id"]) for book in books)
            with engine.connect() as connection:  # each written by the change that made it stale
                assert connection.exec_driver_sql(
                    f"SELECT count(*) FROM book_document WHERE book_id IN ({ids}) AND head IS NOT NULL").scalar() == 6
    finally:
        desk.close()
        engine.dispose()


def test_concurrent_edits_of_one_book_all_succeed_and_the_last_wins(stack):
    """PostgreSQL through nginx and gunicorn's workers: librarians save the same book at once, each replacing its
    subjects, authors and other ISBNs. Every save answers 200 (none meets the rows another just replaced), and the
    book is then exactly one of the saves, its public page included. (SQLite has one writer at a time.)"""
    import requests

    from .test_circulation_races import Desk

    desk = Desk(stack, "postgresql")
    try:
        tag = uuid4().hex[:8]
        book = desk.ok("POST", "/books", {"title": f"Contested {tag}", "authors": [{"name": f"First {tag}"}],
                                          "subjects": [f"Start {tag}"], "other_isbns": [isbn13()]}, expect=201)
        for round_ in range(4):  # each round's saves share a new subject and a new second author
            saves = [{"title": f"Saved {n} {tag}", "subjects": [f"Topic {n} {tag}", f"Shared {round_} {tag}"],
                      "authors": [{"name": f"Writer {n} {tag}"}, {"name": f"Coauthor {round_} {tag}"}],
                      "other_isbns": [isbn13()]} for n in range(8)]
            mark = desk.log_mark()
            answers = desk.parallel(lambda save: desk.call("PATCH", f"/books/{book['id']}", save), saves)
            assert [answer.status_code for answer in answers] == [200] * len(saves), \
                [answer.text[:200] for answer in answers if answer.status_code != 200]
            assert desk.log_errors(desk.log_since(mark)) == []
            staff = desk.get(f"/books/{book['id']}")
            kept = next(save for save in saves if save["title"] == staff["title"])
            assert sorted(subject for subject in staff["subjects"]) == sorted(kept["subjects"])
            assert [author["name"] for author in staff["authors"]] == [author["name"] for author in kept["authors"]]
            assert staff["other_isbns"] == kept["other_isbns"]
            assert requests.get(f"{stack.url}/api/v1/books/{book['id']}", timeout=30).json() == staff
    finally:
        desk.close()


def test_a_commit_writes_its_own_documents_not_a_backlog(app, client, lanes):
    """With many documents stale (an import's, an upgrade's), a librarian's edit writes its own book's document in
    its commit and leaves the backlog to the worker, so the edit does not wait for it."""
    lean, flask, _answered = lanes
    waiting = [create_book(client, title=f"Waiting {n}") for n in range(3)]
    edited = create_book(client, title="Edited soon")
    raw_sql(app, "UPDATE book_document SET head = NULL, tail = NULL")  # every document stale
    assert client.patch(f"/api/v1/books/{edited['id']}", json={"title": "Edited now"}).status_code == 200
    assert stored(app, edited["id"])[0] is not None
    assert all(stored(app, book["id"]) == (None, None) for book in waiting)
    assert same(lean, flask, f"/api/v1/books/{edited['id']}").get_json()["title"] == "Edited now"
