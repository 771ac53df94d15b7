"""Full-text search on GET /api/v1/books, on SQLite and PostgreSQL: relevance, query syntax, index sync, facets,
cursors, estimates, suggestions, ETags and hostile input."""

import base64
import json
import random
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from library.models import Book

from .factories import create_book, isbn13
from .test_books import PROBLEM, _links, assert_problem
from .test_import import run_import

DUNE_ISBN = "9780441172719"           # 0-441-17271-7
DISPOSSESSED_ISBN = "9780060512750"   # 0-06-051275-X
FACETS = "subject,language,author,decade"


def search(client, **params):
    """GET /api/v1/books with these query parameters; asserts 200 and returns the body."""
    response = client.get("/api/v1/books", query_string=params)
    assert response.status_code == 200, (params, response.get_data(as_text=True))
    return response.get_json()


def titles(client, **params):
    return [b["title"] for b in search(client, **params)["items"]]


def ids(client, **params):
    return [b["id"] for b in search(client, **params)["items"]]


def book(client, title, *, authors=(), subjects=(), **fields):
    """A book with exactly the given searchable fields (no factory defaults that could match a query)."""
    fields.setdefault("isbn", None)
    fields.setdefault("published_year", None)
    fields.setdefault("language", None)
    return create_book(client, title=title, authors=[{"name": a} for a in authors], subjects=list(subjects), **fields)


def add_copy(client, book_id):
    response = client.post(f"/api/v1/books/{book_id}/copies", json={"barcode": f"C{uuid.uuid4().hex[:8]}"})
    assert response.status_code == 201, response.get_json()


# --- relevance ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("title", "q"), [
    ("Dune", "dune"),
    ("Dune", "DUNE"),
    ("L'Étranger", "l'étranger"),
    ("L'Étranger", "L'Etranger"),
    ("Nineteen Eighty-Four", "nineteen eighty-four"),
    ("Nineteen Eighty-Four", "Nineteen Eighty Four"),
    ("Harry Potter and the Philosopher's Stone", "harry potter and the philosopher's stone"),
])
def test_an_exact_title_match_ranks_first(client, title, q):
    # Longer titles containing it, and a description repeating it, come first in id order,
    # so neither an id tie-break nor a plain word count can put the exact match first by accident.
    book(client, f"{title}: The Graphic Novel", authors=["Brian Herbert"])
    book(client, f"{title} Revisited, with {title}", description=title)
    book(client, "Travel Guide", description=f"{title}, {title} and more {title}.")
    book(client, f"Children of {title}", authors=["Frank Herbert"], subjects=[title.split()[0]])
    exact = book(client, title, authors=["Some Author"])
    body = search(client, q=q)
    assert body["items"][0]["id"] == exact["id"], [b["title"] for b in body["items"]]
    assert body["total"] == 5


def test_a_title_match_outranks_a_description_only_match(client):
    described = book(client, "Whales of the Deep", description="Leviathan: the leviathan of legend, a true leviathan.")
    titled = book(client, "Leviathan Wakes", authors=["James Corey"])
    assert ids(client, q="leviathan") == [titled["id"], described["id"]]


def test_an_author_name_match_outranks_a_description_only_match(client):
    described = book(client, "A Life in Letters", description="Letters to Gaiman, about Gaiman, by readers of Gaiman.")
    written = book(client, "Stardust", authors=["Neil Gaiman"])
    assert ids(client, q="gaiman") == [written["id"], described["id"]]


@pytest.mark.parametrize(("stronger", "weaker"), [
    ("title", "subject"), ("subtitle", "subject"), ("author", "subject"), ("title", "publisher"),
    ("subject", "publisher"), ("subject", "description"), ("publisher", "description"), ("author", "description"),
])
def test_fields_weigh_as_documented(client, stronger, weaker):
    """Title, subtitle and authors weigh most, then subjects, then publisher and ISBN, then the description."""
    def placed(field, n):
        fields = {"title": f"Volume {n}", "authors": [f"Writer {n}"]}
        if field == "title":
            fields["title"] = f"Volume {n} Quasar"
        elif field == "author":
            fields["authors"] = [f"Quasar {n}"]
        elif field == "subject":
            fields["subjects"] = ["Quasar"]
        else:
            fields[field] = "Quasar"
        return book(client, fields.pop("title"), **fields)

    low = placed(weaker, "One")     # first, so an id tie-break would favour it
    high = placed(stronger, "Two")
    assert ids(client, q="quasar") == [high["id"], low["id"]]


def test_relevance_is_the_default_with_q_and_ties_go_by_id(client):
    tied = [book(client, "Tied Volume", authors=["Same Writer"], subjects=["Ties"])["id"] for _ in range(4)]
    book(client, "Other Volume", description="Mentions tied once.")
    first = search(client, q="tied")
    assert [b["id"] for b in first["items"]][:4] == tied  # equal scores come in id order
    assert search(client, q="tied") == first               # the same request gives the same answer
    assert search(client, q="tied", sort="relevance") == first
    paged = ids(client, q="tied", per_page=2, page=1) + ids(client, q="tied", per_page=2, page=2) \
        + ids(client, q="tied", per_page=2, page=3)
    assert paged == [b["id"] for b in first["items"]]


def test_relevance_without_q_is_title_order(client):
    for title in ("Charlie", "alpha", "Bravo"):
        book(client, title)
    assert titles(client, sort="relevance") == ["alpha", "Bravo", "Charlie"]
    assert titles(client) == ["alpha", "Bravo", "Charlie"]


# --- query semantics ------------------------------------------------------------------------------

@pytest.fixture
def dragons(client):
    """Books whose words overlap in ways the query syntax tells apart."""
    return {
        "rider": book(client, "Dragon Rider", authors=["Cornelia Funke"], subjects=["Fantasy", "Children"],
                      language="de", published_year=1997),
        "tales": book(client, "Dragon Tales", authors=["Anne Smith"], subjects=["Fantasy"], language="en",
                      published_year=2003),
        "red": book(client, "The Red Dragon Flies", authors=["Anne Smith"], subjects=["Fantasy", "Adventure"],
                    language="en", published_year=2008),
        "sky": book(client, "Sky Rider", authors=["Bob Jones"], subjects=["Adventure"], language="en",
                    published_year=1999),
        "redsky": book(client, "Dragon of the Red Sky", authors=["Carla Diaz"], subjects=["Fantasy"], language="es",
                       published_year=1962),
        "fly": book(client, "Dragonfly Summer", authors=["Bob Jones"], subjects=["Nature"], language="en",
                    published_year=1968),
        "pond": book(client, "Quiet Pond", authors=["Dana Wu"], subjects=["Nature"], language="fr"),
    }


def _set(client, **params):
    return set(titles(client, per_page=100, **params))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("dragon rider", {"Dragon Rider"}),                                 # every word must match
        ("rider dragon", {"Dragon Rider"}),                                 # in any order
        ("red dragon", {"The Red Dragon Flies", "Dragon of the Red Sky"}),
        ('"red dragon"', {"The Red Dragon Flies"}),                          # a phrase: adjacent and in order
        ('"dragon red"', set()),
        ('"red sky" dragon', {"Dragon of the Red Sky"}),
        ("-rider dragon", {"Dragon Tales", "The Red Dragon Flies", "Dragon of the Red Sky", "Dragonfly Summer"}),
        ('-"red dragon" dragon', {"Dragon Rider", "Dragon Tales", "Dragon of the Red Sky", "Dragonfly Summer"}),
        ('-"dragon rider" rider', {"Sky Rider"}),
        ("dragon tales -rider", {"Dragon Tales"}),
        ("drag", {"Dragon Rider", "Dragon Tales", "The Red Dragon Flies", "Dragon of the Red Sky", "Dragonfly Summer"}),
        ("dragonf", {"Dragonfly Summer"}),
        ("drag ", set()),                  # a trailing space ends the word: no prefix
        ('"drag"', set()),                 # a quoted word is whole
        ("drag rider", set()),             # only the last word is a prefix
        ("ragon", set()),                  # prefixes start at a word's start, not inside it
        ("dragon", {"Dragon Rider", "Dragon Tales", "The Red Dragon Flies", "Dragon of the Red Sky", "Dragonfly Summer"}),
        ("DRAGON TALES", {"Dragon Tales"}),
        ("anne smi", {"Dragon Tales", "The Red Dragon Flies"}),            # author names, prefix on the last word
        ("adventure", {"The Red Dragon Flies", "Sky Rider"}),              # subjects
        ("fantasy -dragon", set()),
        ("nature summer", {"Dragonfly Summer"}),
        ("-dragon", {"Sky Rider", "Quiet Pond", "Dragonfly Summer"}),     # only exclusions: everything else
        ('-"red sky" -fantasy', {"Sky Rider", "Quiet Pond", "Dragonfly Summer"}),
    ],
)
def test_query_syntax(client, dragons, q, expected):
    assert _set(client, q=q) == expected


def test_prefix_on_the_last_word_of_several(client):
    book(client, "Dune Messiah", authors=["Frank Herbert"])
    book(client, "Dune", authors=["Frank Herbert"])
    book(client, "Messy Rooms")
    assert titles(client, q="dune mess") == ["Dune Messiah"]
    assert titles(client, q="dune messiah ") == ["Dune Messiah"]


def test_accents_and_case_do_not_matter(client):
    heights = book(client, "Wuthering Heights", authors=["Emily Brontë"])
    stranger = book(client, "L'Étranger", authors=["Albert Camus"], language="fr")
    book(client, "Bronze Age Britain")
    for q in ("bronte", "Brontë", "BRONTË", "BRONTE", "emily bront"):
        assert ids(client, q=q) == [heights["id"]], q
    for q in ("etranger", "Étranger", "ÉTRANGER", "l'etranger", "etr"):
        assert ids(client, q=q) == [stranger["id"]], q


def test_an_author_with_an_accented_capital_is_shared_and_found(client):
    """The second book by "Émile Zola" reuses the author (SQLite's lower() folds only ASCII) and both are found."""
    first = book(client, "Germinal", authors=["Émile Zola"])
    second = book(client, "Nana", authors=["Émile Zola"])
    assert second["authors"][0]["id"] == first["authors"][0]["id"]
    assert ids(client, q="emile zola", sort="title") == [first["id"], second["id"]]
    assert ids(client, q="ÉMILE") == ids(client, q="émile") == [first["id"], second["id"]]


def test_decomposed_accents_match_too(client):
    """A query typed with combining marks (NFD, as macOS keyboards may send) finds the composed spelling."""
    heights = book(client, "Wuthering Heights", authors=["Emily Brontë"])
    assert ids(client, q="Bronte\u0308") == [heights["id"]]


@pytest.mark.parametrize("q", [DUNE_ISBN, "978-0-441-17271-9", "978 0 441 17271 9", "0441172717", "0-441-17271-7",
                               "0 441 17271 7"])
def test_an_isbn_in_any_form_finds_its_book(client, q):
    dune = book(client, "Dune", authors=["Frank Herbert"], isbn=DUNE_ISBN)
    book(client, "Other Book", isbn=isbn13())
    assert search(client, q=q)["items"][0]["id"] == dune["id"]


@pytest.mark.parametrize("q", ["0-06-051275-X", "006051275x", "978-0-06-051275-0"])
def test_an_isbn_10_with_an_x_check_digit_finds_its_book(client, q):
    dispossessed = book(client, "The Dispossessed", isbn=DISPOSSESSED_ISBN)
    assert ids(client, q=q) == [dispossessed["id"]]


def test_subtitle_publisher_and_description_are_searched(client):
    found = book(client, "Plain Title", subtitle="An Ambiguous Utopia", publisher="Harper Voyager",
                 description="Shevek, a physicist, travels to Urras.")
    book(client, "Another Title")
    for q in ("ambiguous utopia", "voyager", "shevek physicist", "urras"):
        assert ids(client, q=q) == [found["id"]], q


def test_filters_combine_with_q(client, dragons):
    funke = dragons["rider"]["authors"][0]["id"]
    smith = dragons["tales"]["authors"][0]["id"]
    add_copy(client, dragons["tales"]["id"])
    assert _set(client, q="dragon", language="en") == {"Dragon Tales", "The Red Dragon Flies", "Dragonfly Summer"}
    assert _set(client, q="dragon", year_from=2000) == {"Dragon Tales", "The Red Dragon Flies"}
    assert _set(client, q="dragon", year_from=1960, year_to=1969) == {"Dragon of the Red Sky", "Dragonfly Summer"}
    assert _set(client, q="dragon", subject="adventure") == {"The Red Dragon Flies"}
    assert _set(client, q="rider", subject="Fantasy") == {"Dragon Rider"}
    assert _set(client, q="dragon", author=smith) == {"Dragon Tales", "The Red Dragon Flies"}
    assert _set(client, q="dragon", author=funke, language="en") == set()
    assert _set(client, q="dragon", available="true") == {"Dragon Tales"}
    assert _set(client, q="dragon", available="false") == {"Dragon Rider", "The Red Dragon Flies",
                                                          "Dragon of the Red Sky", "Dragonfly Summer"}
    assert search(client, q="dragon", language="en", year_from=2005)["total"] == 1


def test_an_explicit_sort_overrides_relevance(client, dragons):
    assert titles(client, q="dragon", sort="title") == [
        "Dragon of the Red Sky", "Dragon Rider", "Dragon Tales", "Dragonfly Summer", "The Red Dragon Flies"]
    assert titles(client, q="dragon", sort="-title") == [
        "The Red Dragon Flies", "Dragonfly Summer", "Dragon Tales", "Dragon Rider", "Dragon of the Red Sky"]
    assert titles(client, q="dragon", sort="published_year") == [
        "Dragon of the Red Sky", "Dragonfly Summer", "Dragon Rider", "Dragon Tales", "The Red Dragon Flies"]


def test_fts_operator_words_are_plain_words(client):
    pride = book(client, "Pride and Prejudice", authors=["Jane Austen"])
    sea = book(client, "Near a Bright Sea")
    book(client, "Persuasion", authors=["Jane Austen"])
    assert ids(client, q="AND") == [pride["id"]]
    assert ids(client, q="pride AND prejudice") == [pride["id"]]
    assert ids(client, q="NEAR(a b)") == [sea["id"]]   # the words near, a and b(right): not FTS5's NEAR()
    assert ids(client, q="title:pride") == []           # no column filters: "title" is just a word here


@pytest.mark.parametrize("q", ["***", "*", "(((", ")", "{", "'", "\\", '"', '""', "-", "--", "%", ":", "^", "&|!"])
def test_a_q_without_words_is_the_same_as_no_q(client, q):
    for title in ("Charlie", "alpha", "Bravo"):
        book(client, title)
    plain = search(client)
    body = search(client, q=q)
    assert [b["id"] for b in body["items"]] == [b["id"] for b in plain["items"]]
    assert body["total"] == plain["total"] == 3
    assert body["suggestions"] == []


# --- the index follows the catalog ----------------------------------------------------------------

def test_the_index_follows_inserts_edits_and_deletes(client):
    created = book(client, "Hyperion", authors=["Dan Simmons"], subjects=["Space opera"], description="Pilgrims.")
    assert ids(client, q="hyperion") == [created["id"]]

    client.patch(f"/api/v1/books/{created['id']}", json={"title": "Endymion"})
    assert ids(client, q="hyperion") == []
    assert ids(client, q="endymion") == [created["id"]]
    assert "endymion" in [s.lower() for s in search(client, q="endymoin")["suggestions"]]

    client.patch(f"/api/v1/books/{created['id']}", json={"subjects": ["Time travel"]})
    assert ids(client, q="opera") == []
    assert ids(client, q="time travel") == [created["id"]]

    client.patch(f"/api/v1/books/{created['id']}", json={"description": "Shrike."})
    assert ids(client, q="pilgrims") == []
    assert ids(client, q="shrike") == [created["id"]]

    client.patch(f"/api/v1/books/{created['id']}", json={"authors": [{"name": "Iain Banks"}]})
    assert ids(client, q="simmons") == []
    assert ids(client, q="banks") == [created["id"]]

    assert client.delete(f"/api/v1/books/{created['id']}").status_code == 204
    assert search(client, q="endymion")["total"] == 0
    assert search(client, q="banks")["items"] == []


def test_renaming_an_author_renames_them_in_the_index(client):
    first = book(client, "Kindred", authors=["Octavia Butler"])
    second = book(client, "Dawn", authors=["Octavia Butler"])
    author_id = first["authors"][0]["id"]
    response = client.patch(f"/api/v1/authors/{author_id}", json={"name": "Octavia E. Estelle"})
    assert response.status_code == 200, response.get_json()
    assert ids(client, q="butler") == []
    assert ids(client, q="estelle", sort="title") == [second["id"], first["id"]]
    assert "estelle" in [s.lower() for s in search(client, q="estele")["suggestions"]]  # the new name is suggested
    assert search(client, q="dawn")["items"][0]["authors"][0]["name"] == "Octavia E. Estelle"


def test_another_worker_never_serves_a_stale_search(make_app, client, database_url, tmp_path):
    """Two apps on one database stand for two gunicorn workers (each with its own response cache): a read
    on one after a write on the other, or after a CLI import, sees the write."""
    other = make_app().test_client()
    assert other.get("/api/v1/books?q=hyperion").get_json()["total"] == 0   # cached empty answer
    created = book(client, "Hyperion", authors=["Dan Simmons"])
    assert [b["id"] for b in other.get("/api/v1/books?q=hyperion").get_json()["items"]] == [created["id"]]

    url = f"/api/v1/books/{created['id']}"
    etag = other.get(url).headers["ETag"]
    listed = other.get("/api/v1/books?q=endymion")
    assert listed.get_json()["total"] == 0
    client.patch(url, json={"title": "Endymion"})
    fresh = other.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.get_json()["title"] == "Endymion"
    assert other.get("/api/v1/books?q=endymion").get_json()["total"] == 1
    assert other.get("/api/v1/books?q=hyperion").get_json()["total"] == 0

    assert other.get("/api/v1/books?q=dispossessed").get_json()["total"] == 0
    path = tmp_path / "one.csv"
    path.write_text("title,authors\nThe Dispossessed,Ursula K. Le Guin\n", encoding="utf-8")
    assert run_import(database_url, path).returncode == 0
    assert other.get("/api/v1/books?q=dispossessed").get_json()["total"] == 1
    client.delete(url)
    assert other.get(url).status_code == 404
    assert other.get("/api/v1/books?q=endymion").get_json()["total"] == 0


def test_imported_books_are_searchable(database_url, tmp_path, client):
    before = book(client, "Kept Before Import", authors=["Ursula K. Le Guin"])
    path = tmp_path / "books.csv"
    path.write_text(
        "title,subtitle,authors,isbn,publisher,year,language,subjects,description\n"
        "The Dispossessed,An Ambiguous Utopia,Ursula K. Le Guin,0-06-051275-X,Harper,1974,en,Science fiction,Anarres\n"
        "Good Omens,,Terry Pratchett; Neil Gaiman,978-0-552-13703-4,Corgi,1990,en,Fantasy;Humour,\n"
        "The Left Hand of Darkness,,Ursula K. Le Guin,,Ace,1969,en,Science fiction,Gethen\n",
        encoding="utf-8")
    result = run_import(database_url, path, "--batch-size", "2")
    assert result.returncode == 0, result.stderr
    assert titles(client, q="dispossessed") == ["The Dispossessed"]
    assert titles(client, q="anarres") == ["The Dispossessed"]
    assert titles(client, q="gaiman") == ["Good Omens"]
    assert titles(client, q="humour") == ["Good Omens"]
    assert titles(client, q="0-552-13703-0") == ["Good Omens"]
    assert titles(client, q="corgi") == ["Good Omens"]
    assert set(titles(client, q="le guin")) == {"Kept Before Import", "The Dispossessed", "The Left Hand of Darkness"}
    assert ids(client, q="kept before") == [before["id"]]  # the book already there is still found, once
    assert "dispossessed" in [s.lower() for s in search(client, q="disposessed")["suggestions"]]
    assert "gaiman" in [s.lower() for s in search(client, q="gaimen")["suggestions"]]


def test_a_refused_write_leaves_nothing_searchable(client):
    taken = book(client, "Original Holder", isbn=DUNE_ISBN)
    response = client.post("/api/v1/books", json={"title": "Zanzibar Duplicate", "isbn": "0-441-17271-7",
                                                  "authors": [{"name": "Quentin Refused"}]})
    assert response.status_code == 409
    response = client.post("/api/v1/books", json={"title": "Zanzibar Invalid", "published_year": 3000})
    assert response.status_code == 422
    response = client.patch(f"/api/v1/books/{taken['id']}", json={"title": "Zanzibar Patched", "isbn": "123"})
    assert response.status_code == 422
    assert search(client, q="zanzibar")["total"] == 0
    assert search(client, q="quentin")["total"] == 0
    assert ids(client, q="original holder") == [taken["id"]]


# --- facets ---------------------------------------------------------------------------------------

def _facet_filter(name, value):
    if name == "decade":
        return {"year_from": value, "year_to": value + 9}
    return {name: value}


FACET_PARAMS = [{"q": "dragon"}, {}, {"q": "rider"}, {"language": "en"}, {"q": "dragon", "year_from": 1990},
                {"q": "dragon", "available": "false"}, {"q": "red", "subject": "fantasy"}]


@pytest.mark.parametrize("params", FACET_PARAMS)
def test_facet_counts_are_the_totals_of_the_filtered_queries(client, dragons, params):
    body = search(client, facets=FACETS, **params)
    assert set(body["facets"]) == {"subject", "language", "author", "decade"}
    assert body["facets"]["subject"], body["facets"]
    wrong = []
    for name, values in body["facets"].items():
        for value in values:
            filtered = search(client, **{**params, **_facet_filter(name, value["value"])}, per_page=1)
            if filtered["total"] != value["count"]:
                wrong.append((name, value, filtered["total"]))
    assert wrong == []


@pytest.mark.parametrize("params", FACET_PARAMS)
def test_facet_values_come_by_count_then_label(client, dragons, params):
    facets = search(client, facets=FACETS, **params)["facets"]
    wrong = {name: [(v["label"], v["count"]) for v in values] for name, values in facets.items()
             if values != sorted(values, key=lambda v: (-v["count"], v["label"].casefold()))}
    assert wrong == {}


def test_facet_values_and_labels(client, dragons):
    facets = search(client, q="dragon", facets=FACETS)["facets"]
    smith = dragons["tales"]["authors"][0]["id"]
    assert facets["subject"][0] == {"value": "Fantasy", "label": "Fantasy", "count": 4}
    assert {v["value"]: v["count"] for v in facets["subject"]} == {"Fantasy": 4, "Children": 1, "Adventure": 1,
                                                                   "Nature": 1}
    assert facets["language"][0] == {"value": "en", "label": "English", "count": 3}
    assert {v["value"]: v["count"] for v in facets["language"]} == {"en": 3, "de": 1, "es": 1}
    assert facets["author"][0] == {"value": smith, "label": "Anne Smith", "count": 2}
    assert len(facets["author"]) == 4
    assert {v["value"]: (v["label"], v["count"]) for v in facets["decade"]} == {
        2000: ("2000s", 2), 1990: ("1990s", 1), 1960: ("1960s", 2)}


def test_only_the_requested_facets_are_returned(client, dragons):
    assert search(client, q="dragon")["facets"] == {}
    assert set(search(client, q="dragon", facets="language")["facets"]) == {"language"}
    assert set(search(client, q="dragon", facets="decade,author")["facets"]) == {"decade", "author"}


def test_facet_limit_bounds_each_list(client, dragons):
    facets = search(client, facets=FACETS, facet_limit=1)["facets"]
    assert facets["subject"] == [{"value": "Fantasy", "label": "Fantasy", "count": 4}]
    assert all(len(values) == 1 for values in facets.values()), facets
    two = search(client, facets=FACETS, facet_limit=2)["facets"]
    assert all(len(values) == 2 for values in two.values()), two
    assert len(search(client, facets="subject", facet_limit=50)["facets"]["subject"]) == 4


@pytest.mark.parametrize(("query", "field"), [
    ("facets=publisher", "facets"),
    ("facets=subject,bogus", "facets"),
    ("facets='%3B DROP TABLE book", "facets"),
    ("facets=subject&facet_limit=0", "facet_limit"),
    ("facets=subject&facet_limit=51", "facet_limit"),
    ("facets=subject&facet_limit=x", "facet_limit"),
])
def test_bad_facet_parameters_are_422(client, query, field):
    body = assert_problem(client.get(f"/api/v1/books?{query}"), 422)
    assert field in body["errors"], body


# --- cursors --------------------------------------------------------------------------------------

SPECS = [  # title, author, year: duplicates, case, accents and missing values on every sort key
    ("Beta", "Zed Alpha", 1990), ("alpha", "Ann Bee", 1990), ("Alpha", "Ann Bee", None), ("Gamma", None, 2001),
    ("Beta", "Carl Dee", 1990), ("Delta", "Ann Bee", 2001), ("Épsilon", "Zoë Zola", 1850), ("epsilon", None, None),
    ("Zeta", "Carl Dee", 1990), ("Eta", "Bob Cat", 1990), ("Theta", "Zed Alpha", 2020),
]
WHERE = ["title", "subtitle", "description", "subject", "author"]


def _comet_book(client, n, rng=None):
    """A book matching q=comet, in one of several places and strengths, sharing sort keys with SPECS."""
    rng = rng or random.Random(n)
    title, author, year = SPECS[n % len(SPECS)]
    where = WHERE[n % len(WHERE)] if rng.random() < 0.8 else rng.choice(WHERE)
    fields = {"published_year": year, "authors": [author] if author else []}
    if where == "title":
        title = f"{title} Comet"
    elif where == "subtitle":
        fields["subtitle"] = "A comet story"
    elif where == "description":
        fields["description"] = "comet " * (1 + n % 3)
    elif where == "subject":
        fields["subjects"] = ["Comets"]
    else:
        fields["authors"] = ["Comet Jones"]
    return book(client, title, **fields)


@pytest.fixture
def rows(client):
    """22 books: SPECS twice over (ties on every key), all matching q=comet with assorted scores, plus non-matches."""
    made = [_comet_book(client, n) for n in range(22)]
    for n in range(3):
        book(client, f"Unrelated {n}", published_year=2000)
    return made


SORTS = [{"sort": "title"}, {"sort": "-title"}, {"sort": "-published_year"}, {"sort": "published_year"},
         {"sort": "author"}, {"sort": "-created_at"}, {"q": "comet"}, {"q": "comet", "sort": "title"},
         {"q": "comet", "sort": "author"}, {"q": "comet", "sort": "relevance", "year_from": 1900, "facets": "subject"},
         {"q": "comet -alpha"}, {"q": '"comet story"'}]


def walk(client, params, per_page=3, on_page=None):
    """Follow next_cursor from page 1 to the end; returns the ids in the order seen."""
    body = search(client, per_page=per_page, **params)
    seen = [b["id"] for b in body["items"]]
    for _ in range(200):
        if on_page:
            on_page()
        if body["next_cursor"] is None:
            return seen
        body = search(client, per_page=per_page, cursor=body["next_cursor"], **params)
        assert body["page"] is None
        assert len(body["items"]) <= per_page
        seen += [b["id"] for b in body["items"]]
    raise AssertionError("the cursor walk did not end")


@pytest.mark.parametrize("params", SORTS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_a_cursor_walk_visits_every_row_once_in_page_order(client, rows, params):
    everything = search(client, per_page=100, **params)
    expected = [b["id"] for b in everything["items"]]
    assert len(expected) == everything["total"]
    assert len(expected) > 3
    assert walk(client, params) == expected
    assert walk(client, params, per_page=1) == expected
    assert walk(client, params, per_page=7) == expected


@pytest.mark.parametrize("params", [{"sort": "title"}, {"sort": "-published_year"}, {"sort": "author"},
                                    {"q": "comet"}],
                         ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_a_cursor_walk_survives_inserts(client, rows, params, database_url):
    """Keyset walks on stable keys never repeat or skip a row while rows are added. Relevance is such a key on
    PostgreSQL (ts_rank reads only the row) but not on SQLite, where every insert changes bm25's corpus
    statistics and so every score: a documented limitation (README, Decisions); walk by a field sort there."""
    if "q" in params and database_url.startswith("sqlite"):
        pytest.skip("SQLite's bm25 scores move when books are added (documented); field sorts are tested")
    before = [b["id"] for b in search(client, per_page=100, **params)["items"]]
    rng = random.Random(42)
    inserted = []

    def insert():
        for _ in range(2):
            inserted.append(_comet_book(client, rng.randrange(100), rng)["id"])

    seen = walk(client, params, on_page=insert)
    assert len(seen) == len(set(seen)), "a row was visited twice"
    assert set(before) <= set(seen), f"rows skipped: {sorted(set(before) - set(seen))}"
    assert [i for i in seen if i in set(before)] == before
    assert set(seen) <= set(before) | set(inserted)


def test_page_mode_gives_a_cursor_for_the_rest(client, rows):
    page2 = search(client, sort="title", per_page=4, page=2)
    page3 = search(client, sort="title", per_page=4, page=3)
    after = search(client, sort="title", per_page=4, cursor=page2["next_cursor"])
    assert [b["id"] for b in after["items"]] == [b["id"] for b in page3["items"]]
    assert after["page"] is None and after["per_page"] == 4 and after["total"] == 25
    assert search(client, sort="title", per_page=4, page=7)["next_cursor"] is None   # 25 rows: 7 is the last page
    assert search(client, sort="title", per_page=100)["next_cursor"] is None
    assert search(client, sort="title", per_page=4, page=9)["next_cursor"] is None


def test_the_link_header_in_cursor_mode(client, rows):
    first = search(client, q="comet", sort="author", per_page=5)
    response = client.get("/api/v1/books", query_string={"q": "comet", "sort": "author", "per_page": 5,
                                                          "cursor": first["next_cursor"]})
    body = response.get_json()
    links = {rel: url for url, rel in _links(response.headers["Link"])}
    assert {"first", "next"} <= set(links)
    nxt = parse_qs(urlsplit(links["next"]).query)
    assert nxt["cursor"] == [body["next_cursor"]]
    assert nxt["q"] == ["comet"] and nxt["sort"] == ["author"] and nxt["per_page"] == ["5"]
    assert "cursor" not in parse_qs(urlsplit(links["first"]).query)

    # Following rel="next" from the first cursor page reaches the end with every row once.
    seen = [b["id"] for b in first["items"]] + [b["id"] for b in body["items"]]
    while "next" in links:
        response = client.get(links["next"])
        assert response.status_code == 200, response.get_json()
        seen += [b["id"] for b in response.get_json()["items"]]
        links = {rel: url for url, rel in _links(response.headers["Link"])}
        if "next" not in links:
            assert response.get_json()["next_cursor"] is None
    assert seen == ids(client, q="comet", sort="author", per_page=100)


def _b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


GARBAGE_CURSORS = [
    "abc", "!!!", "a" * 5000, "%00", "====", "eyJ", _b64(b"not json"), _b64(b'{"junk": true}'), _b64(b"[]"),
    _b64(b"null"), _b64(b'"x"'), _b64(b"{}"), _b64(b"1e999"), _b64(b'{"k": [1e999], "id": "x"}'), _b64(b"\xff\xfe\x00"),
    _b64(b'{"s": "title", "k": []}'), _b64(b'{"s": "title", "k": ["a"]}'), _b64(b'{"s": "title"}'),
    _b64(b'{"s": ["title"], "k": ["a", 1]}'), _b64(b'{"s": "title", "k": "a"}'), _b64(b'{"s": "title", "k": {"a": 1}}'),
    _b64(b"[" * 5000 + b"]" * 5000), _b64(b'{"s": "title", "k": [' + b"[" * 5000 + b"]" * 5000 + b', 1]}'),
    "🐉", "' OR 1=1 --", "\u0000", base64.b64encode(b"\x00" * 30).decode(),
]


def test_a_garbage_cursor_is_422(client):
    for n in range(4):
        book(client, f"Comet {n}")
    wrong = []
    for cursor in GARBAGE_CURSORS:
        for params in ({"sort": "title"}, {"q": "comet"}, {"sort": "-published_year", "per_page": 1}):
            response = client.get("/api/v1/books", query_string={**params, "cursor": cursor})
            body = response.get_json(silent=True) or {}
            if response.status_code != 422 or response.mimetype != PROBLEM or "cursor" not in body.get("errors", {}):
                wrong.append((cursor[:60], params, response.status_code, str(body or response.data)[:200]))
    assert wrong == []


def test_a_cursor_from_another_sort_is_422(client, rows):
    pairs = [({"sort": "title"}, {"sort": "-published_year"}), ({"sort": "title"}, {"sort": "-title"}),
             ({"sort": "author"}, {"sort": "title"}), ({"q": "comet"}, {"q": "comet", "sort": "title"}),
             ({"q": "comet", "sort": "title"}, {"q": "comet"}), ({"sort": "-published_year"}, {"q": "comet"}),
             ({"sort": "created_at"}, {"sort": "-created_at"}), ({"sort": "published_year"}, {"sort": "-published_year"})]
    wrong = []
    for made_for, used_for in pairs:
        cursor = search(client, per_page=3, **made_for)["next_cursor"]
        response = client.get("/api/v1/books", query_string={**used_for, "per_page": 3, "cursor": cursor})
        body = response.get_json(silent=True) or {}
        if response.status_code != 422 or response.mimetype != PROBLEM or "cursor" not in body.get("errors", {}):
            wrong.append((made_for, used_for, response.status_code))
    assert wrong == []


def _mutations(value):
    """Every way of breaking one leaf of a decoded cursor."""
    if isinstance(value, dict):
        for key, inner in value.items():
            for changed in _mutations(inner):
                yield {**value, key: changed}
            yield {k: v for k, v in value.items() if k != key}
        yield {**value, "extra": 1}
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            for changed in _mutations(inner):
                yield [*value[:i], changed, *value[i + 1:]]
        yield value[:-1]
        yield [*value, None]
    for wrong in (None, "x", 2**70, -1, 1.5, [], {}, "\u0000", True):
        if wrong != value or type(wrong) is not type(value):
            yield wrong


@pytest.mark.parametrize("params", [{"sort": "title"}, {"sort": "-published_year"}, {"q": "comet"}])
def test_a_tampered_cursor_is_never_a_500(client, rows, params):
    cursor = search(client, per_page=3, **params)["next_cursor"]
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        decoded = json.loads(base64.urlsafe_b64decode(padded))
    except ValueError:
        pytest.skip("the cursor is not base64 JSON; the garbage cursors cover it")
    tried = 0
    for mutated in _mutations(decoded):
        forged = _b64(json.dumps(mutated).encode())
        response = client.get("/api/v1/books", query_string={**params, "per_page": 3, "cursor": forged})
        assert response.status_code in (200, 422), (mutated, response.get_data(as_text=True))
        if response.status_code == 422:
            assert response.mimetype == PROBLEM
        tried += 1
    assert tried > 5


@pytest.mark.parametrize(("page", "per_page", "status"), [
    (100, 100, 200), (101, 100, 422), (500, 20, 200), (501, 20, 422), (10000, 1, 200), (10001, 1, 422),
    (1_000_000, 100, 422)])
def test_page_mode_stops_at_ten_thousand_rows(client, page, per_page, status):
    response = client.get(f"/api/v1/books?page={page}&per_page={per_page}")
    if status == 200:
        assert response.status_code == 200 and response.get_json()["items"] == []
    else:
        body = assert_problem(response, 422)
        assert "cursor" in json.dumps(body).lower(), body  # says to use the cursor instead


# --- totals ---------------------------------------------------------------------------------------

def test_small_totals_are_exact(client, rows):
    for params, expected in (({}, 25), ({"q": "comet"}, 22), ({"q": "comet", "sort": "title"}, 22),
                             ({"q": "zzzz-nothing"}, 0), ({"q": "comet", "per_page": 2, "page": 3}, 22),
                             ({"q": "comet", "year_from": 1990, "year_to": 1990}, None)):
        body = search(client, **params)
        everything = search(client, **{**params, "per_page": 100, "page": 1})
        assert body["total_is_estimate"] is False
        assert body["total"] == len(everything["items"])
        assert expected is None or body["total"] == expected
    cursor = search(client, q="comet", per_page=3)["next_cursor"]
    after = search(client, q="comet", per_page=3, cursor=cursor)
    assert after["total"] == 22 and after["total_is_estimate"] is False


def test_large_results_estimate_the_total_and_page_deep(database_url, tmp_path, client):
    """20 131 imported books, half of them "even": totals above 2 000 are estimates, close to the truth;
    page mode stops at 10 000 rows, the cursor goes on; relevance over thousands of matches still puts the
    exact title first and description-only matches last."""
    path = tmp_path / "bulk.csv"
    lines = ["title,authors,year,language,subjects,description"]
    lines += [f"Bulk {'even' if i % 2 == 0 else 'odd'} {i},Bulk Writer,{1900 + i % 100},en,Bulk," for i in range(20_100)]
    lines += [f"Other {k},Someone Else,2000,en,,odd" for k in range(30)]  # "odd" only in the description
    lines += ["Odd,Someone Else,2000,en,,"]                                 # the exact title, imported last
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_import(database_url, path)
    assert result.returncode == 0, result.stderr

    for params, truth in (({}, 20_131), ({"q": "bulk"}, 20_100), ({"q": "even"}, 10_050), ({"q": "odd"}, 10_081)):
        body = search(client, per_page=5, **params)
        assert body["total_is_estimate"] is True, params
        assert abs(body["total"] - truth) <= truth * 0.1, (params, body["total"])
        assert body["total"] > 2_000
    # Facets of an estimated total are estimates from the same sample: each decade holds 2 010 "bulk" books.
    faceted = search(client, q="bulk", facets="decade,language", facet_limit=20)
    assert faceted["total_is_estimate"] is True
    assert sorted(v["value"] for v in faceted["facets"]["decade"]) == list(range(1900, 2000, 10))
    assert all(abs(v["count"] - 2_010) <= 201 for v in faceted["facets"]["decade"]), faceted["facets"]["decade"]
    assert [v["value"] for v in faceted["facets"]["language"]] == ["en"]
    assert faceted["facets"]["language"][0]["count"] == faceted["total"]
    exact = search(client, q="even", year_from=1990)  # 1990, 1992 ... 1998: 5 of each 50 even books per century
    assert exact["total_is_estimate"] is False and exact["total"] == 1_005
    exact = search(client, q="even", year_from=1990, facets="decade")
    assert exact["facets"]["decade"] == [{"value": 1990, "label": "1990s", "count": 1_005}]

    deepest = search(client, q="bulk", sort="title", per_page=100, page=100)
    assert len(deepest["items"]) == 100
    assert_problem(client.get("/api/v1/books?q=bulk&sort=title&per_page=100&page=101"), 422)
    before = search(client, q="bulk", sort="title", per_page=100, page=99)
    after = search(client, q="bulk", sort="title", per_page=100, cursor=before["next_cursor"])
    assert [b["id"] for b in after["items"]] == [b["id"] for b in deepest["items"]]
    beyond = search(client, q="bulk", sort="title", per_page=100, cursor=deepest["next_cursor"])
    assert len(beyond["items"]) == 100 and not {b["id"] for b in beyond["items"]} & {b["id"] for b in deepest["items"]}

    first = search(client, q="odd", per_page=100)
    assert first["items"][0]["title"] == "Odd"
    assert all(b["title"].startswith("Bulk odd") for b in first["items"][1:])
    page99, page100 = (search(client, q="odd", per_page=100, page=n) for n in (99, 100))
    via_cursor = search(client, q="odd", per_page=100, cursor=page99["next_cursor"])
    assert [b["id"] for b in via_cursor["items"]] == [b["id"] for b in page100["items"]]
    rest = search(client, q="odd", per_page=100, cursor=page100["next_cursor"])
    assert len(rest["items"]) == 81 and rest["next_cursor"] is None
    assert [b["title"] for b in rest["items"][-30:]] == [f"Other {k}" for k in range(30)]  # the weakest, by id
    seen = [b["id"] for page in (first, page99, page100, rest) for b in page["items"]]
    assert len(seen) == len(set(seen))

    # The same with a filter, which ranks through the book rows rather than the index alone.
    filtered = {"q": "odd", "language": "en", "year_from": 1900}
    first = search(client, per_page=100, **filtered)
    assert first["items"][0]["title"] == "Odd" and first["total_is_estimate"] is True
    page99, page100 = (search(client, per_page=100, page=n, **filtered) for n in (99, 100))
    via_cursor = search(client, per_page=100, cursor=page99["next_cursor"], **filtered)
    assert [b["id"] for b in via_cursor["items"]] == [b["id"] for b in page100["items"]]
    rest = search(client, per_page=100, cursor=page100["next_cursor"], **filtered)
    assert [b["title"] for b in rest["items"][-30:]] == [f"Other {k}" for k in range(30)]
    assert len(rest["items"]) == 81 and rest["next_cursor"] is None


# --- suggestions ----------------------------------------------------------------------------------

@pytest.fixture
def classics(client):
    return {
        "dune": book(client, "Dune", authors=["Frank Herbert"]),
        "earthsea": book(client, "A Wizard of Earthsea", authors=["Ursula K. Le Guin"]),
        "messiah": book(client, "Dune Messiah", authors=["Frank Herbert"]),
        "gormenghast": book(client, "Gormenghast", authors=["Mervyn Peake"]),
    }


@pytest.mark.parametrize(("q", "corrected", "found"), [
    ("Dnue", "dune", "dune"),
    ("Earthsae", "earthsea", "earthsea"),
    ("wizard of earthsae", "wizard of earthsea", "earthsea"),
    ("gormenghats", "gormenghast", "gormenghast"),
    ("dune mesiah", "dune messiah", "messiah"),
    ("herbret", "herbert", "dune"),
])
def test_a_misspelled_query_suggests_the_corrected_query(client, classics, q, corrected, found):
    body = search(client, q=q)
    assert body["total"] == 0 and body["items"] == []
    assert corrected in [s.lower() for s in body["suggestions"]], body["suggestions"]
    for suggestion in body["suggestions"]:  # every suggestion is known to have results
        assert search(client, q=suggestion)["total"] > 0, suggestion
    suggested = next(s for s in body["suggestions"] if s.lower() == corrected)
    assert classics[found]["id"] in ids(client, q=suggested)


def test_no_suggestions_when_there_are_results_or_nothing_close(client, classics):
    assert search(client, q="dune")["suggestions"] == []
    assert search(client, q="dun")["suggestions"] == []
    assert search(client)["suggestions"] == []
    assert search(client, q="xqzvwk")["suggestions"] == []
    # A suggestion must have results under the same filters: Dune is English, so none in French.
    assert search(client, q="dnue", language="fr")["suggestions"] == []


# --- ETags ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [{}, {"q": "dune", "facets": FACETS}, {"q": "dune", "sort": "title", "per_page": 1}])
def test_list_etag_and_304(client, params):
    dune = book(client, "Dune", authors=["Frank Herbert"])
    book(client, "Dune Messiah", authors=["Frank Herbert"])
    first = client.get("/api/v1/books", query_string=params)
    etag = first.headers.get("ETag")
    assert first.status_code == 200 and etag
    again = client.get("/api/v1/books", query_string=params, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers.get("ETag") == etag

    client.patch(f"/api/v1/books/{dune['id']}", json={"title": "Dune (Revised)"})
    changed = client.get("/api/v1/books", query_string=params, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["items"]
    assert changed.headers.get("ETag") and changed.headers["ETag"] != etag


def test_detail_etag_and_304(client):
    dune = book(client, "Dune", authors=["Frank Herbert"])
    url = f"/api/v1/books/{dune['id']}"
    etag = client.get(url).headers.get("ETag")
    assert etag
    cached = client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.data == b""

    client.patch(url, json={"published_year": 1965})
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["published_year"] == 1965
    newer = changed.headers["ETag"]
    assert newer != etag

    # The book's JSON also changes when its author is renamed: the ETag must follow.
    client.patch(f"/api/v1/authors/{dune['authors'][0]['id']}", json={"name": "F. P. Herbert"})
    renamed = client.get(url, headers={"If-None-Match": newer})
    assert renamed.status_code == 200 and renamed.get_json()["authors"][0]["name"] == "F. P. Herbert"


def test_etag_follows_availability_and_matches_in_a_list(client):
    dune = book(client, "Dune")
    url = f"/api/v1/books/{dune['id']}"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": f'"something-else", {etag}'}).status_code == 304
    list_etag = client.get("/api/v1/books?q=dune").headers["ETag"]
    add_copy(client, dune["id"])  # the JSON's availability changes though the book row does not
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["availability"]["total"] == 1
    listed = client.get("/api/v1/books?q=dune", headers={"If-None-Match": list_etag})
    assert listed.status_code == 200 and listed.get_json()["items"][0]["availability"]["total"] == 1


def test_list_etag_changes_when_a_matching_book_is_added(client):
    book(client, "Dune")
    etag = client.get("/api/v1/books?q=dune").headers["ETag"]
    book(client, "Dune Messiah")
    response = client.get("/api/v1/books?q=dune", headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.get_json()["total"] == 2


# --- hostile input --------------------------------------------------------------------------------

HOSTILE = {  # q values by kind; each group is one test, and its failure lists every value that went wrong
    "quotes": ['"', '""', 'a"b', '"unbalanced', 'dragon"', '-"', '-""', '"' * 200, "'", "''", "dragon's"],
    "fts5": ["NEAR(a b)", "NEAR(dragon tales, 2)", "NEAR/2", "a*", "*", "^a", "a:b", "title:dragon", "{title}: dragon",
             "dragon*", "+dragon", "NEAR(" * 40, "a" * 199 + "*", "dragon NEAR tales", "* dragon"],
    "boolean words": ["AND", "OR NOT", "OR", "NOT", "dragon AND", "AND dragon", "dragon OR tales", "dragon NOT tales",
                      "and or not", "NOT NOT"],
    "minus": ["-", "--", "- -a", "-dragon", "-" * 200, "dragon -", "-dragon -tales", '-"dragon tales"', "dragon-tales"],
    "brackets and escapes": ["(((", ")", ")(", "{", "}", "[", "\\", "\\\\", "[a-z]", "%", "_", "%_%", "$1", "?",
                             ":1", "@@", "dragon\\"],
    "tsquery": ["dragon:*", "dragon:A", "dragon:*A", "dragon & tales", "dragon | tales", "!dragon", "<->",
                "dragon <-> tales", "dragon <2> tales", "dragon^2", "~dragon", "dragon~", "'dragon' & 'tales'"],
    "sql": ["'; DROP TABLE book; --", "1' OR '1'='1", '" OR 1=1 --', "dragon'); DELETE FROM book; --",
            "%' OR 1=1; --", "dragon\\'; --"],
    "unicode": ["🐉", "dragon 🐉", "👨\u200d👩\u200d👧", "דרקון", "مرحبا بالعالم", "\u202edragon", "\u200d",
                "e\u0301\u0301\u0301", "ｄｒａｇｏｎ", "İstanbul", "ß", "ﬁ", "Ω", "\u3000dragon\u3000", "\u00a0",
                "\u0130", "ǅ", "١٢٣", "𝔡𝔯𝔞𝔤𝔬𝔫", "\ufffd"],
    "lengths": ["x" * 200, "a " * 100, "é" * 200, "🐉" * 200, "a" * 40 + " " + "b" * 150],
    "control characters": ["\t", "dragon\n", "\x7f", "\x00", "a\x00b", "\x1b[31m", "\x85"],
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_q_is_a_result_or_422_never_500(client, scalar, kind):
    tales = book(client, "Dragon Tales", authors=["Anne Smith"], subjects=["Fantasy"], language="en", published_year=2003)
    book(client, "Sky Rider", authors=["Bob Jones"], subjects=["Adventure"], language="en", published_year=1999)
    wrong = []
    for q in HOSTILE[kind]:
        for extra in ({}, {"facets": FACETS, "per_page": 1}, {"sort": "title"}):
            response = client.get("/api/v1/books", query_string={"q": q, **extra})
            body = response.get_json(silent=True) or {}
            if response.status_code == 422:
                if response.mimetype != PROBLEM or "q" not in body.get("errors", {}):
                    wrong.append((q, extra, 422, body))
            elif response.status_code != 200:
                wrong.append((q, extra, response.status_code, response.get_data(as_text=True)[:300]))
            elif not (isinstance(body.get("items"), list) and isinstance(body.get("total"), int)
                      and isinstance(body.get("suggestions"), list)):
                wrong.append((q, extra, 200, body))
            elif body["next_cursor"]:
                after = client.get("/api/v1/books", query_string={"q": q, **extra, "cursor": body["next_cursor"]})
                if after.status_code != 200:
                    wrong.append((q, {**extra, "cursor": "next"}, after.status_code, after.get_data(as_text=True)[:300]))
    assert wrong == []
    assert scalar(select(func.count()).select_from(Book)) == 2
    assert ids(client, q="dragon tales") == [tales["id"]]


@pytest.mark.parametrize("q", ["\x00", "a\x00b", "x" * 10_000, "x" * 201])
def test_nul_and_overlong_q_are_422(client, q):
    body = assert_problem(client.get("/api/v1/books", query_string={"q": q}), 422)
    assert "q" in body["errors"]


@pytest.mark.parametrize("raw", ["q=%FF", "q=%ED%A0%80", "q=%C0%AF", "q=dragon%FF", "q=%F4%90%80%80",
                                 "q=a&q=b", "q[]=x", "q=%25%27%22"])
def test_undecodable_or_repeated_q_is_never_a_500(client, scalar, raw):
    book(client, "Dragon Tales")
    response = client.get(f"/api/v1/books?{raw}")
    assert response.status_code in (200, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert response.mimetype == PROBLEM
    assert scalar(select(func.count()).select_from(Book)) == 1


def test_hostile_text_stored_in_books_is_searchable_and_harmless(client):
    hostile = book(client, 'NEAR("x" OR y*) -- \'; DROP TABLE book;', authors=['Robert"); DROP'],
                   description="^title: {a b} \\ %_% 🐉 AND OR NOT")
    plain = book(client, "Plain Book")
    assert ids(client, q="drop table") == [hostile["id"]]
    search(client, q="🐉")  # an emoji may or may not be a word; never an error
    assert ids(client, q="plain") == [plain["id"]]
    assert search(client, q="robert", facets=FACETS)["facets"]["author"][0]["label"] == 'Robert"); DROP'


def test_the_cache_survives_a_lost_connection(app, client, database_url):
    """PostgreSQL: the cache reads the snapshot on a connection of its own; when the server drops it, the next
    request is answered fresh and the one after that from a new connection (SQLite: a restarted reader)."""
    from sqlalchemy import text

    from library.extensions import db

    first = book(client, "Solaris", authors=["Stanisław Lem"])
    assert ids(client, q="solaris") == [first["id"]]
    with app.app_context():
        if database_url.startswith("postgresql"):
            dropped = db.session.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND query LIKE '%pg_current_snapshot%'")).scalar()
            db.session.commit()
            assert dropped == 1
    second = book(client, "Solaris Revisited", authors=["Stanisław Lem"])
    assert sorted(ids(client, q="solaris")) == sorted([first["id"], second["id"]])
    assert sorted(ids(client, q="solaris")) == sorted([first["id"], second["id"]])
    cache = app.extensions["response_cache"]
    assert any("q=solaris" in key[-1] for key in cache.entries)


def test_a_cached_answer_is_the_computed_one(app, client, anon):
    """Anonymous GETs are answered from the cache before Flask runs; the answer equals the computed one (body,
    headers, ETag and 304), a write is seen at once, and credentials always meet authz: a bad token is a 401
    and a stale session cookie is cleared, cached or not."""
    book(client, "Pale Fire", authors=["Vladimir Nabokov"])
    url = "/api/v1/books?q=pale&facets=author"
    computed = anon.get(url)
    cached = anon.get(url)
    assert computed.status_code == cached.status_code == 200 and cached.data == computed.data
    assert sorted(cached.headers.keys()) == sorted(computed.headers.keys())
    per_response = ("Date", "X-Request-ID")  # each answer's own
    assert [(k, v) for k, v in sorted(cached.headers.items()) if k not in per_response] == \
        [(k, v) for k, v in sorted(computed.headers.items()) if k not in per_response]
    assert app.extensions["response_cache"].entries  # the second answer came from an entry
    etag = computed.headers["ETag"]
    assert anon.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert anon.get(url, headers={"If-None-Match": f'W/{etag}, "other"'}).status_code == 304
    assert anon.get(url, headers={"If-None-Match": '"other"'}).data == computed.data

    assert anon.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    anon.set_cookie("library_session", "expired-or-forged")
    stale = anon.get(url)
    assert stale.status_code == 200 and stale.headers.get("Set-Cookie", "").startswith("library_session=;")
    anon.delete_cookie("library_session")

    book(client, "Pale Horse", authors=["Agatha Christie"])
    assert anon.get(url).get_json()["total"] == 2


def test_reindex_rebuilds_what_sql_behind_the_app_left_stale(app, client, database_url):
    """A restore without the search index, and a title changed by SQL: `flask reindex` makes both findable
    again, with the exact-title key of the new title (and no change to the book's updated_at)."""
    import subprocess
    import sys

    from sqlalchemy import text

    from library.extensions import db

    kept = book(client, "Hyperion", authors=["Dan Simmons"])
    renamed = book(client, "The Fall", authors=["Dan Simmons"])
    with app.app_context():
        db.session.execute(text("UPDATE book SET title = 'The Fall of Hyperion' WHERE id = :id"), {"id": renamed["id"]})
        db.session.execute(text("DELETE FROM book_search"))
        db.session.commit()
    assert search(client, q="simmons")["total"] == 0
    env = {"DATABASE_URL": database_url, "LIBRARY_ENV": "testing", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "library", "reindex"], cwd=app.root_path + "/..",
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert sorted(ids(client, q="simmons")) == sorted([kept["id"], renamed["id"]])
    with app.app_context():
        assert db.session.scalar(select(Book.title_key).where(Book.id == renamed["id"])) == "the fall of hyperion"
    assert ids(client, q="the fall of hyperion")[0] == renamed["id"]
    assert client.get(f"/api/v1/books/{renamed['id']}").get_json()["updated_at"] == renamed["updated_at"]
