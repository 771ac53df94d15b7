"""GET /api/v1/languages on SQLite and PostgreSQL: the languages the catalog's books are in, named and counted, for
the catalog's language filter (which listed all 184 ISO 639-1 codes, 51 of them as bare codes)."""

from .factories import create_book
from .test_books import assert_problem


def test_lists_only_the_catalogs_languages_by_name_with_counts(client, anon):
    assert anon.get("/api/v1/languages").get_json() == {"items": [], "total": 0, "page": 1, "per_page": 20}
    for language in ("fr", "en", "el", "en", None, "sw"):
        create_book(client, language=language)

    body = anon.get("/api/v1/languages").get_json()
    assert body["items"] == [
        {"code": "en", "name": "English", "book_count": 2},
        {"code": "fr", "name": "French", "book_count": 1},
        {"code": "el", "name": "Modern Greek", "book_count": 1},  # ISO's "(1453-)" left out
        {"code": "sw", "name": "Swahili", "book_count": 1},  # and its "(macrolanguage)"
    ]
    assert body["total"] == 4

    # The same names as the language facet of a search, so the filter and the facet agree.
    facets = anon.get("/api/v1/books?facets=language").get_json()["facets"]["language"]
    assert {f["value"]: f["label"] for f in facets} == {i["code"]: i["name"] for i in body["items"]}


def test_follows_the_catalog_and_pages_like_every_list(client, anon):
    french = create_book(client, language="fr")
    create_book(client, language="de")
    create_book(client, language="en")
    first = anon.get("/api/v1/languages?per_page=2")
    assert [i["code"] for i in first.get_json()["items"]] == ["en", "fr"]
    assert 'rel="next"' in first.headers["Link"]
    second = anon.get("/api/v1/languages?per_page=2&page=2").get_json()
    assert [i["code"] for i in second["items"]] == ["de"] and second["total"] == 3

    # Cached and tagged like the other public catalog reads, and never stale: the last French book goes, so does French.
    etag = first.headers["ETag"]
    assert anon.get("/api/v1/languages?per_page=2", headers={"If-None-Match": etag}).status_code == 304
    assert client.delete(f"/api/v1/books/{french['id']}").status_code == 204
    after = anon.get("/api/v1/languages?per_page=2", headers={"If-None-Match": etag})
    assert after.status_code == 200 and [i["code"] for i in after.get_json()["items"]] == ["en", "de"]  # German


def test_bad_paging_is_a_422(anon):
    for query in ("per_page=0", "per_page=101", "page=0", "page=x"):
        assert_problem(anon.get(f"/api/v1/languages?{query}"), 422)
