"""The API index, health, docs, seed-demo and migrations."""

import re
import subprocess
import sys

import sqlalchemy as sa
from sqlalchemy import func, select

from library import create_app
from library.models import Author, Book, Copy, Member, Subject

from .conftest import BACKEND_DIR
from .test_books import assert_problem


def test_index_links_to_resources_and_docs(client):
    body = client.get("/api").get_json()
    assert body["links"]["books"] == "/api/v1/books" and body["links"]["docs"] == "/api/docs"
    for url in body["links"].values():
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()


def test_health_ok(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_health_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",
                      "LIBRARY_ENV": "testing", "LIBRARY_DATA_DIR": str(tmp_path)})
    response = app.test_client().get("/api/health")
    assert_problem(response, 503)
    assert response.get_json()["database"] == "unreachable"
    # Other endpoints say so too, as problem+json without SQL text.
    books = app.test_client().get("/api/v1/books")
    body = assert_problem(books, 503)
    assert "SELECT" not in books.get_data(as_text=True) and "psycopg" not in body["detail"]


def test_docs_page_uses_local_assets_only(client):
    page = client.get("/api/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "text/html" in page.content_type
    assert "http://" not in html and "https://" not in html and "<script>" not in html  # no CDN, no inline script
    for asset in ("/api/docs/assets/swagger-ui.css", "/api/docs/assets/swagger-ui-bundle.js", "/api/docs/assets/docs-init.js"):
        assert asset in html
        response = client.get(asset)
        assert response.status_code == 200 and len(response.data) > 50, asset
        response.close()
    assert_problem(client.get("/api/docs/assets/../../config.py"), 404)
    assert_problem(client.get("/api/docs/assets/index.html"), 404)


def test_openapi_document(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/books/{book_id}" in spec["paths"]
    problem = spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]
    assert "application/problem+json" in problem


def _counts(url):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        counts = tuple(conn.scalar(select(func.count()).select_from(m)) for m in (Book, Author, Subject, Copy, Member))
    engine.dispose()
    return counts


def test_seed_demo_loads_about_200_books_and_twice_changes_nothing(database_url):
    def seed():
        return subprocess.run([sys.executable, "-m", "flask", "--app", "library", "seed-demo"], cwd=BACKEND_DIR,
                              env={"DATABASE_URL": database_url, "LIBRARY_ENV": "testing", "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True, check=True).stdout

    assert "Added 200" in seed()
    first = _counts(database_url)
    assert first[0] == 200 and first[1] > 50 and first[2] > 10
    assert 200 <= first[3] <= 600 and first[4] == 10  # copies of every book, and demo members
    assert "Added 0" in seed()
    assert _counts(database_url) == first


def test_demo_books_are_valid_and_varied():
    from library.services import isbn
    from library.services.demo import demo_books

    books = demo_books()
    assert all(isbn.normalize(b["isbn"]) == b["isbn"] for b in books)
    assert len({b["isbn"] for b in books}) == len(books) == 200
    assert len({b["language"] for b in books}) >= 5
    assert len({a["name"] for b in books for a in b["authors"]}) > 50
    assert demo_books() == books  # deterministic


def test_demo_titles_are_grammatical():
    """"A Endless History of Birds" was one: the indefinite article follows the next word's sound."""
    from library.services.demo import ADJECTIVES, demo_books, with_article

    titles = [b["title"] for b in demo_books()]
    wrong = [t for t in titles if re.search(r"\bA [AEIOU]|\bAn [^AEIOU]", t)]
    assert wrong == []
    assert "An Endless History of Birds" in titles
    assert [with_article(a) for a in ("Endless", "Quiet", "Old")] == ["An Endless", "A Quiet", "An Old"]
    assert all(re.fullmatch(r"(A [^AEIOU]|An [AEIOU])\w+", with_article(a)) for a in ADJECTIVES)


def test_migrations_downgrade_and_upgrade_again(database_url, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LIBRARY_ENV": "testing", "LIBRARY_DATA_DIR": str(tmp_path)})
    from flask_migrate import downgrade, upgrade

    from library.extensions import db

    with app.app_context():
        downgrade(revision="base")
        assert "book" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        assert {"book", "author", "subject", "book_author", "book_subject"} <= set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "LIBRARY_ENV": "testing"})
    from library.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        db.engine.dispose()


def test_placeholder_secret_is_refused_in_production():
    import pytest

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"LIBRARY_ENV": "production", "SECRET_KEY": "change-me"})
