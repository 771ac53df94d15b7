"""flask import-books: the API's rules per row, duplicates skipped, batches, on SQLite and PostgreSQL."""

import subprocess
import sys

from sqlalchemy import func, select

from library.models import Author, Book, BookAuthor

from .conftest import BACKEND_DIR

CSV = """title,subtitle,authors,isbn,publisher,year,language,subjects
The Dispossessed,An Ambiguous Utopia,Ursula K. Le Guin,0-06-051275-X,Harper,1974,en,Science fiction;Politics
The Left Hand of Darkness,,ursula k. le guin,,Ace,1969,en,Science fiction
Good Omens,,Terry Pratchett; Neil Gaiman,978-0-552-13703-4,Corgi,1990,EN,Fantasy;Humour
Bad ISBN,,Someone,978-0-306-40615-8,,2001,en,
,,No Title,,,2001,en,
Too Late,,Someone,,,2999,en,
Duplicate of the first,,Someone,9780060512750,,2000,en,
"Commas, quoted",,"Author, Inverted",,,2010,fr,Essays
"""


def run_import(database_url, path, *extra):
    env = {"DATABASE_URL": database_url, "LIBRARY_ENV": "testing", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "library", "import-books", str(path), *extra],
                          cwd=BACKEND_DIR, env=env, capture_output=True, text=True)


def test_import_books_from_csv(database_url, tmp_path, anon, scalar):
    path = tmp_path / "books.csv"
    path.write_text(CSV, encoding="utf-8")
    result = run_import(database_url, path, "--batch-size", "2")
    assert result.returncode == 0, result.stderr
    assert "Read 8 rows: added 4, skipped 4" in result.stdout and "rows/s" in result.stdout
    for line, field in ((5, "isbn"), (6, "title"), (7, "published_year"), (8, "isbn")):
        assert f"line {line}: {field}" in result.stderr

    assert scalar(select(func.count()).select_from(Book)) == 4
    assert scalar(select(func.count()).select_from(Author).where(func.lower(Author.name) == "ursula k. le guin")) == 1
    omens = anon.get("/api/v1/books?isbn=0552137030").get_json()["items"][0]
    assert [a["name"] for a in omens["authors"]] == ["Terry Pratchett", "Neil Gaiman"]
    assert omens["language"] == "en" and omens["subjects"] == ["Fantasy", "Humour"]
    dispossessed = anon.get("/api/v1/books?isbn=9780060512750").get_json()["items"][0]
    assert dispossessed["authors"][0]["sort_name"] == "Le Guin, Ursula K." and dispossessed["published_year"] == 1974
    assert anon.get("/api/v1/books?q=commas").get_json()["items"][0]["authors"][0]["sort_name"] == "Author, Inverted"

    again = run_import(database_url, path)
    # Nothing is imported twice: rows with an ISBN by their ISBN, the two without by their title and first author.
    assert "added 0, skipped 8" in again.stdout
    assert "line 3: likely duplicate (title and first author) of book" in again.stderr
    assert scalar(select(func.count()).select_from(BookAuthor)) == 5


def test_import_refuses_an_unknown_header(database_url, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("name,writer\nx,y\n", encoding="utf-8")
    result = run_import(database_url, path)
    assert result.returncode != 0 and "header" in result.stderr


def test_import_books_reads_marc_with_a_dry_run_first(database_url, tmp_path, scalar):
    from . import marcfiles as mf

    path = tmp_path / "koha.mrc"
    path.write_bytes(mf.iso2709(mf.koha_record("The Dispossessed", "Le Guin, Ursula K.", ["9780060512750"], ["B-1"]),
                                mf.koha_record("Truncated", "A, B", [], [])) [:-40])
    dry = run_import(database_url, path, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Checked 2 records: 1 new, 0 duplicate, 0 likely duplicate, 1 invalid; nothing was written." in dry.stdout
    assert "record 2: the file ends in the middle of this record" in dry.stderr
    assert scalar(select(func.count()).select_from(Book)) == 0
    real = run_import(database_url, path)
    assert "Read 2 records: added 1, skipped 1" in real.stdout and "1 copies added" in real.stdout
    assert scalar(select(func.count()).select_from(Book)) == 1


def test_a_broken_file_is_a_message_and_exit_status_1_never_a_traceback(database_url, tmp_path):
    from . import marcfiles as mf

    for name, body, message in (("books.xml", mf.zip_bomb(), "zip archive"), ("empty.csv", b"", "empty"),
                                ("laughs.xml", mf.billion_laughs(), "DTD or entities"),
                                ("junk.bin", b"\x00\x01\x02" * 100, "neither MARC")):
        path = tmp_path / name
        path.write_bytes(body)
        result = run_import(database_url, path)
        assert result.returncode == 1 and message in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.stderr
