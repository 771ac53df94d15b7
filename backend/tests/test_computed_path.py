"""The computed path (issue 12): what is kept per data version (catalog.by_version: the size of the whole
catalog, the range of book ids) is never stale, whichever worker or process wrote, and the facets counted over
the matching ids read once are the counts of the books."""

from collections import Counter

from library.services import catalog

from .factories import create_book
from .test_import import run_import


def total(client, marker):
    """The catalog's total, by a URL no response cache has seen (a unique ignored parameter, as bench's /uncached)."""
    body = client.get(f"/api/v1/books?per_page=1&_fresh={marker}").get_json()
    return body["total"], body["total_is_estimate"]


def test_the_catalog_total_follows_every_write(make_app, client, database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(catalog, "COUNT_EXACT_MAX", 3)  # the estimate's path (id range) too, on a few books
    other = make_app().test_client()  # another worker, with its own response cache and memo
    made = [create_book(client, title=f"Book {n}") for n in range(3)]
    assert total(other, 1) == (3, False) and total(client, 1) == (3, False)
    made.append(create_book(client, title="Book 3"))
    assert total(other, 2) == total(client, 2) == (4, True)  # more than COUNT_EXACT_MAX: estimated
    path = tmp_path / "two.csv"
    path.write_text("title,authors\nImported One,A. Writer\nImported Two,A. Writer\n", encoding="utf-8")
    assert run_import(database_url, path).returncode == 0  # another process
    assert total(other, 3) == total(client, 3) == (6, True)
    for book in made[:3]:
        assert client.delete(f"/api/v1/books/{book['id']}").status_code == 204
    assert total(other, 4) == total(client, 4) == (3, False)
    assert client.get("/api/v1/books?per_page=1&_fresh=4").get_json()["total"] == 3


def test_the_whole_catalog_estimate_holds_after_edits(client, monkeypatch):
    """Above COUNT_EXACT_MAX the size of the whole catalog is estimated from its first books by id; editing the
    oldest books (PostgreSQL writes an updated row anew, at the end of the table) must not shrink it."""
    monkeypatch.setattr(catalog, "COUNT_EXACT_MAX", 3)
    made = [create_book(client, title=f"Book {n}") for n in range(8)]
    for book in made[:4]:
        assert client.patch(f"/api/v1/books/{book['id']}", json={"title": book["title"] + " (revised)"}).status_code == 200
    assert total(client, 1) == (8, True)


def test_facets_count_the_matching_books(client, monkeypatch):
    books = [create_book(client, title=f"Garden {n}", authors=[{"name": f"Writer {n % 3}"}],
                         subjects=[f"Subject {n % 2}", "Common"], language=("fr" if n % 4 == 0 else "en"),
                         published_year=1990 + 3 * n) for n in range(9)]
    create_book(client, title="Elsewhere", authors=[{"name": "Writer 0"}], subjects=["Common"], language="de")
    expected = {
        "subject": Counter(s for b in books for s in b["subjects"]),
        "author": Counter(a["id"] for b in books for a in b["authors"]),
        "language": Counter(b["language"] for b in books),
        "decade": Counter(b["published_year"] // 10 * 10 for b in books),
    }
    body = client.get("/api/v1/books?q=garden&facets=subject,language,author,decade&facet_limit=50").get_json()
    assert body["total"] == 9 and not body["total_is_estimate"]
    for name, counts in expected.items():
        assert {v["value"]: v["count"] for v in body["facets"][name]} == dict(counts), name
        assert [v["count"] for v in body["facets"][name]] == sorted(counts.values(), reverse=True)
    # Estimated: counted in the sample (the first COUNT_EXACT_MAX + 1 matches by id) and scaled to the total.
    monkeypatch.setattr(catalog, "COUNT_EXACT_MAX", 5)
    body = client.get("/api/v1/books?q=garden&facets=language&_fresh=1").get_json()
    assert body["total_is_estimate"]
    sample = Counter(b["language"] for b in sorted(books, key=lambda b: b["id"])[:6])
    scale = body["total"] / 6
    assert {v["value"]: v["count"] for v in body["facets"]["language"]} == {
        language: max(1, round(n * scale)) for language, n in sample.items()}
