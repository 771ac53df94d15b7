"""Exports (CSV, MARC 21, MARCXML, JSON) on SQLite and PostgreSQL, and the round trip: export as MARC and as CSV,
import into an empty database, and find the same books, authors, subjects, ISBNs and copies."""

import csv
import io
import json
import shutil

import pytest

from library import create_app
from library.extensions import db
from library.services import importer, imports

from . import marcfiles as mf
from .test_books import assert_problem
from .test_imports import commit, previewed

SOURCE = mf.iso2709(
    mf.koha_record("The Dispossessed", "Le Guin, Ursula K.", ["9780060512750", "9780061054884"], ["R-1", "R-2"]),
    mf.koha_record("Good omens", "Pratchett, Terry", ["9780552137034"], ["R-3"], year="1990", location="Annex"),
    mf.koha_record("Unnumbered", "Nobody, Anne", [], [], year="2001"),
)


@pytest.fixture
def catalog(app, client):
    """Books from a Koha file, plus one made through the API with everything a book can have."""
    commit(app, client, previewed(app, client, SOURCE))
    made = client.post("/api/v1/books", json={
        "title": "=Formula; with a semicolon", "subtitle": "Sub", "authors": [{"name": "Jane Q. Public"},
                                                                               {"name": "Studio Ghibli"}],
        "isbn": "978-0-306-40615-7", "publisher": "Pub", "published_year": 2020, "language": "fr",
        "subjects": ["History -- 20th century", "Zebras"], "description": "Line one.\nLine two, with \"quotes\".",
        "edition": "2nd ed.", "call_number": "QA76 .P8"}).get_json()
    copy = client.post(f"/api/v1/books/{made['id']}/copies", json={"barcode": "R-9", "location": "Main",
                                                                   "call_number": "QA76 .P8 c.2"}).get_json()
    client.patch(f"/api/v1/copies/{copy['id']}", json={"status": "lost"})
    client.post(f"/api/v1/books/{made['id']}/copies", json={"barcode": "R-10"})
    return made


def snapshot(app_or_client, exported_json):
    """What must survive a round trip, per book title."""
    return {b["title"]: {
        "subtitle": b["subtitle"], "authors": [a["name"] for a in b["authors"]], "subjects": sorted(b["subjects"]),
        "isbn": b["isbn"], "other_isbns": sorted(b["other_isbns"]), "edition": b["edition"],
        "call_number": b["call_number"], "publisher": b["publisher"], "year": b["published_year"],
        "language": b["language"], "description": b["description"],
        "copies": sorted((c["barcode"], c["location"], c["call_number"], c["status"]) for c in b["copies"]),
    } for b in exported_json["books"]}


def empty_database(database_url, request, tmp_path):
    if database_url.startswith("sqlite"):
        path = tmp_path / "empty.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("pg_server").create_database(template="library_template")


@pytest.mark.parametrize("fmt", ["mrc", "csv"])
def test_export_then_import_into_an_empty_database_gives_the_same_catalog(catalog, client, database_url, request,
                                                                           tmp_path, fmt):
    before = snapshot(client, client.get("/api/v1/exports/books.json").get_json())
    assert len(before) == 4 and before["The Dispossessed"]["other_isbns"] == ["9780061054884"]
    response = client.get(f"/api/v1/exports/books.{fmt}")
    assert response.status_code == 200 and response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(response.data)

    other = create_app({"SQLALCHEMY_DATABASE_URI": empty_database(database_url, request, tmp_path),
                        "LIBRARY_ENV": "testing", "TESTING": True, "LIBRARY_DATA_DIR": str(tmp_path / "other")})
    try:
        with other.app_context():
            fmt_name = imports.sniff(path.read_bytes()[:4096], path.name)
            mapping = None
            if fmt_name == "csv":
                from library.services import bookcsv

                with open(path, "rb") as binary:
                    mapping = bookcsv.suggest_mapping(bookcsv.read_header(binary)[0])
            report = importer.plan_and_write(imports.records_of(fmt_name, path, mapping))
            importer.finish(0)
            db.session.commit()
            assert (report.added, report.invalid, report.warnings) == (4, 0, 0), report.as_dict()
        librarian = other.test_client()  # with a token of the other app's own librarian
        from library.models import User
        from library.services import auth, passwords

        with other.app_context():
            user = User(email="l@example.org", display_name="L", role="librarian", is_active=True,
                        password_hash=passwords.hash_password("correct horse battery", other.config["LIBRARY_ARGON2"]))
            db.session.add(user)
            db.session.commit()
            _token, raw = auth.create_token(user, "t", ["read", "write"], 1, frozenset(auth.SCOPES))
        librarian.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        after = snapshot(librarian, librarian.get("/api/v1/exports/books.json").get_json())
        for title in before:
            assert after.get(title) == before[title], title
        assert librarian.get("/api/v1/books?q=dispossessed").get_json()["total"] == 1  # the search index is built
    finally:
        with other.app_context():
            db.engine.dispose()


def test_exports_follow_the_book_lists_filters_and_write_each_format(catalog, client, anon):
    rows = list(csv.reader(io.StringIO(client.get("/api/v1/exports/books.csv?language=fr").get_data(as_text=True))))
    assert rows[0][:4] == ["title", "subtitle", "authors", "isbn"] and len(rows) == 2
    assert rows[1][0] == "'=Formula; with a semicolon" and rows[1][2] == "Jane Q. Public;Studio Ghibli"
    assert rows[1][rows[0].index("copy_statuses")] == "lost;available"
    marc = client.get("/api/v1/exports/books.mrc?q=omens")
    assert marc.mimetype == "application/marc" and marc.data.count(b"\x1d") == 1 and b"R-3" in marc.data
    xml = client.get("/api/v1/exports/books.xml").get_data(as_text=True)
    assert xml.count("<record>") == 4 and 'tag="952"' in xml
    data = json.loads(client.get("/api/v1/exports/books.json?year_from=2000").data)
    assert sorted(b["title"] for b in data["books"]) == ["=Formula; with a semicolon", "Unnumbered"]
    assert anon.get("/api/v1/exports/books.csv").status_code == 401
    # A book is found by any of its ISBNs: the other ISBN an import kept, as a filter and as a search.
    assert [b["title"] for b in anon.get("/api/v1/books?isbn=0061054887").get_json()["items"]] == ["The Dispossessed"]
    assert anon.get("/api/v1/books?q=978-0-06-105488-4").get_json()["items"][0]["title"] == "The Dispossessed"
    assert_problem(client.get("/api/v1/exports/books.csv?year_from=99"), 422)
