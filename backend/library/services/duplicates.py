"""Likely duplicate books, for staff to merge (services/merge.py).

Two books are likely duplicates when they share an ISBN (a book's own or one of its other ISBNs, compared
as ISBN-13, so the ISBN-10 and ISBN-13 forms of one number match), or when their normalised titles (the
title's words in lower case without accents: book.title_key) and normalised first authors (the same, with
the words sorted, so "Tolkien, J.R.R." is "J. R. R. Tolkien") are equal.

Each pair gets a similarity score from 0 to 1: 1 for a shared ISBN; for a title and author match, 0.7 plus up
to 0.3 for how alike the rest is (subtitle, all authors, publisher, year, language; rapidfuzz for the text),
so two records of one edition score above two editions of one work. Pairs that share books form a group
(union-find); a group's score is the mean of its pairs' scores. Groups come best first.
"""

from dataclasses import dataclass, field

from rapidfuzz import fuzz
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Author, Book, BookAuthor, BookIsbn
from .search import tokens

TITLE_AUTHOR_BASE, TITLE_AUTHOR_SPAN = 0.7, 0.3
GROUP_BOOKS_MAX = 50  # books in one group shown and merged at once (MergeIn's limit)


@dataclass
class Group:
    book_ids: list[int]
    score: float
    reasons: list[str]
    isbns: list[str] = field(default_factory=list)
    suggested_id: int | None = None


def author_key(name: str | None) -> str:
    return " ".join(sorted(tokens(name or "")))


def _isbn_pairs():
    """(book_id, book_id, isbn) for every shared ISBN: an other ISBN equal to a book's own, or to another's
    other ISBN. Two books' own ISBNs never match (unique). Archived books are left out."""
    other, second = aliased(BookIsbn), aliased(BookIsbn)
    own = db.session.execute(select(other.book_id, Book.id, other.isbn).join(Book, Book.isbn == other.isbn)
                             .where(Book.id != other.book_id)).all()
    shared = db.session.execute(select(other.book_id, second.book_id, other.isbn)
                                .join(second, second.isbn == other.isbn)
                                .where(other.book_id < second.book_id)).all()
    archived = set(db.session.scalars(select(Book.id).where(Book.archived_at.is_not(None))))
    return [row for row in own + shared if row[0] not in archived and row[1] not in archived]


def _title_groups() -> list[list[dict]]:
    """Books whose title key occurs more than once, grouped by title key and first author key."""
    in_catalog = Book.archived_at.is_(None)  # archived books (services/retire.py) are out of the catalog
    keys = select(Book.title_key).where(Book.title_key.is_not(None), in_catalog).group_by(Book.title_key) \
        .having(func.count() > 1).subquery()
    first_author = (select(Author.name).join(BookAuthor, BookAuthor.author_id == Author.id)
                    .where(BookAuthor.book_id == Book.id, BookAuthor.position == 0).correlate(Book).scalar_subquery())
    rows = db.session.execute(select(Book.id, Book.title_key, first_author)
                              .join(keys, keys.c.title_key == Book.title_key).where(in_catalog)
                              .order_by(Book.id)).all()
    groups: dict[tuple, list[int]] = {}
    for book_id, title_key, author in rows:
        groups.setdefault((title_key, author_key(author)), []).append(book_id)
    return [ids for ids in groups.values() if len(ids) > 1]


def _text_similarity(a, b) -> float | None:
    if not a and not b:
        return None
    if not a or not b:
        return 0.5
    return fuzz.token_sort_ratio(a.lower(), b.lower()) / 100


def pair_score(a: dict, b: dict) -> float:
    """How alike two books that share title and first author are (dicts of catalog.book_dicts)."""
    parts = [
        _text_similarity(a["subtitle"], b["subtitle"]),
        _text_similarity("; ".join(x["name"] for x in a["authors"]), "; ".join(x["name"] for x in b["authors"])),
        _text_similarity(a["publisher"], b["publisher"]),
    ]
    years = (a["published_year"], b["published_year"])
    if years != (None, None):
        parts.append(0.5 if None in years else max(0.0, 1 - abs(years[0] - years[1]) / 10))
    languages = (a["language"], b["language"])
    if languages != (None, None):
        parts.append(0.5 if None in languages else float(languages[0] == languages[1]))
    known = [p for p in parts if p is not None]
    similarity = sum(known) / len(known) if known else 0.5
    return round(TITLE_AUTHOR_BASE + TITLE_AUTHOR_SPAN * similarity, 2)


def find_groups() -> list[Group]:
    """Every group of likely duplicates, best first (then by lowest id)."""
    from .catalog import book_dicts

    edges: dict[tuple[int, int], tuple[float, str, str | None]] = {}
    for a, b, isbn in _isbn_pairs():
        edges[(min(a, b), max(a, b))] = (1.0, "isbn", isbn)
    title_groups = _title_groups()
    books = {book["id"]: book for book in book_dicts(sorted({i for ids in title_groups for i in ids}))}
    for ids in title_groups:
        for index, a in enumerate(ids):
            for b in ids[index + 1:]:
                if (a, b) not in edges and a in books and b in books:
                    edges[(a, b)] = (pair_score(books[a], books[b]), "title_author", None)

    parent: dict[int, int] = {}

    def root(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        parent[root(a)] = root(b)
    members: dict[int, list[int]] = {}
    for book_id in parent:
        members.setdefault(root(book_id), []).append(book_id)
    groups = []
    for ids in members.values():
        ids = sorted(ids)[:GROUP_BOOKS_MAX]
        own = [edge for pair, edge in edges.items() if pair[0] in ids and pair[1] in ids]
        if not own:
            continue
        groups.append(Group(ids, round(sum(e[0] for e in own) / len(own), 2),
                            sorted({e[1] for e in own}), sorted({e[2] for e in own if e[2]})))
    groups.sort(key=lambda g: (-g.score, g.book_ids[0]))
    return groups


def suggest_survivor(books: list[dict]) -> int:
    """The book to keep: the most copies, then the most fields filled in, then the oldest."""
    def filled(book):
        return sum(1 for key in ("subtitle", "isbn", "publisher", "published_year", "language", "description",
                                 "cover", "cover_url") if book.get(key)) + len(book["authors"]) + len(book["subjects"])

    return min(books, key=lambda b: (-b["availability"]["total"], -filled(b), b["id"]))["id"]


def page(args: dict) -> tuple[list[dict], int]:
    """One page of groups as the API shows them: (items, total)."""
    from .catalog import book_dicts

    groups = find_groups()
    start = (args["page"] - 1) * args["per_page"]
    shown = groups[start:start + args["per_page"]]
    books = {book["id"]: book for book in book_dicts(sorted({i for g in shown for i in g.book_ids}))}
    items = []
    for group in shown:
        members = [books[i] for i in group.book_ids if i in books]
        items.append({"score": group.score, "reasons": group.reasons, "isbns": group.isbns,
                      "suggested_id": suggest_survivor(members), "books": members})
    return items, len(groups)

