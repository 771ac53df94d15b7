"""Catalog rules: writing books with their authors and subjects, and the list queries."""

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..errors import Conflict, Problem
from ..extensions import db
from ..models import Author, Book, BookAuthor, Subject, book_subjects
from .names import sort_name as derive_sort_name


def like_pattern(term: str) -> str:
    """A case-insensitive LIKE pattern matching term anywhere, with LIKE wildcards escaped."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- authors and subjects -------------------------------------------------------------------------

def find_author_by_name(name: str) -> Author | None:
    return db.session.scalars(select(Author).where(func.lower(Author.name) == name.lower())).first()


def _resolve_authors(refs: list[dict]) -> list[Author]:
    """Authors by id (must exist) or by name (found case-insensitively, else created); duplicates dropped."""
    authors, errors = [], {}
    for index, ref in enumerate(refs):
        if "id" in ref:
            author = db.session.get(Author, ref["id"])
            if author is None:
                errors[f"authors.{index}.id"] = [f"No author with id {ref['id']}."]
                continue
        else:
            author = find_author_by_name(ref["name"])
            if author is None:
                author = Author(name=ref["name"], sort_name=derive_sort_name(ref["name"]))
                db.session.add(author)
        if author not in authors:
            authors.append(author)
    if errors:
        raise Problem(422, "The request has invalid fields; see errors.", errors)
    return authors


def _resolve_subjects(names: list[str]) -> list[Subject]:
    subjects, seen = [], set()
    wanted = {name.lower() for name in names}
    existing = {
        s.name.lower(): s
        for s in db.session.scalars(select(Subject).where(func.lower(Subject.name).in_(wanted)))
    } if wanted else {}
    for name in names:
        key = name.lower()
        if key in seen:
            continue
        seen.add(key)
        subject = existing.get(key)
        if subject is None:
            subject = Subject(name=name)
            db.session.add(subject)
        subjects.append(subject)
    return subjects


# --- books ----------------------------------------------------------------------------------------

def _isbn_conflict(isbn: str, book_id: int | None = None) -> Conflict | None:
    query = select(Book.id).where(Book.isbn == isbn)
    if book_id is not None:
        query = query.where(Book.id != book_id)
    other = db.session.scalar(query)
    if other is None:
        return None
    message = f"A book with ISBN {isbn} already exists (id {other})."
    return Conflict(message, {"isbn": [message]})


def _apply(book: Book, data: dict) -> None:
    authors = data.pop("authors", None)
    subjects = data.pop("subjects", None)
    for key, value in data.items():
        setattr(book, key, value)
    if authors is not None:
        resolved = _resolve_authors(authors)
        book.author_links = [BookAuthor(author=a, position=i) for i, a in enumerate(resolved)]
    if subjects is not None:
        book.subjects = _resolve_subjects(subjects)


def _save_book(book: Book, data: dict) -> Book:
    """Apply data and commit; a duplicate ISBN is a 409 naming the existing book, also when a
    concurrent writer wins the race between our check and our commit (the unique index decides)."""
    data = dict(data)
    if data.get("isbn") and (conflict := _isbn_conflict(data["isbn"], book.id)):
        raise conflict
    with db.session.no_autoflush:
        _apply(book, data)
    db.session.add(book)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if data.get("isbn") and (conflict := _isbn_conflict(data["isbn"], book.id)):
            raise conflict from None
        raise
    return book


def create_book(data: dict) -> Book:
    return _save_book(Book(), data)


def update_book(book: Book, data: dict) -> Book:
    return _save_book(book, data)


def delete_book(book: Book) -> None:
    from ..models import Copy, Hold

    copies = db.session.scalar(select(func.count()).select_from(Copy).where(Copy.book_id == book.id))
    holds = db.session.scalar(select(func.count()).select_from(Hold).where(Hold.book_id == book.id))
    if copies or holds:
        raise Conflict(f"The book has {copies} copies and {holds} holds on record; withdraw its copies instead.")
    db.session.delete(book)
    db.session.commit()


def book_query() -> Select:
    """Books with their authors and subjects loaded in a constant number of queries."""
    return select(Book).options(
        selectinload(Book.author_links).joinedload(BookAuthor.author),
        selectinload(Book.subjects),
    )


def _first_author_sort_name():
    return (
        select(Author.sort_name)
        .join(BookAuthor, BookAuthor.author_id == Author.id)
        .where(BookAuthor.book_id == Book.id, BookAuthor.position == 0)
        .correlate(Book)
        .scalar_subquery()
    )


def _book_order(sort: str):
    if sort == "author":
        key = _first_author_sort_name()
        return [key.is_(None), func.lower(key), Book.id]
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    column = {"title": func.lower(Book.title), "published_year": Book.published_year, "created_at": Book.created_at}[name]
    if name == "published_year":  # books without a year go last either way
        return [Book.published_year.is_(None), column.desc() if descending else column, Book.id.desc() if descending else Book.id]
    return [column.desc() if descending else column, Book.id.desc() if descending else Book.id]


def book_filters(args: dict) -> list:
    conditions = []
    if args.get("isbn"):
        conditions.append(Book.isbn == args["isbn"])
    if args.get("author"):
        conditions.append(exists().where(BookAuthor.book_id == Book.id, BookAuthor.author_id == args["author"]))
    if args.get("subject"):
        conditions.append(
            exists()
            .where(book_subjects.c.book_id == Book.id, book_subjects.c.subject_id == Subject.id)
            .where(func.lower(Subject.name) == args["subject"].strip().lower())
        )
    if args.get("language"):
        conditions.append(Book.language == args["language"])
    if args.get("year_from") is not None:
        conditions.append(Book.published_year >= args["year_from"])
    if args.get("year_to") is not None:
        conditions.append(Book.published_year <= args["year_to"])
    if args.get("available") is not None:
        from .circulation import available_now_condition

        condition = available_now_condition()
        conditions.append(condition if args["available"] else ~condition)
    term = (args.get("q") or "").strip()
    if term:
        pattern = like_pattern(term)
        conditions.append(
            or_(
                func.lower(Book.title).like(pattern, escape="\\"),
                exists().where(
                    and_(BookAuthor.book_id == Book.id, BookAuthor.author_id == Author.id),
                    func.lower(Author.name).like(pattern, escape="\\"),
                ),
            )
        )
    return conditions


def list_books(args: dict, extra_conditions=()) -> tuple[list[Book], int]:
    """One page of books and the total: three to four queries whatever the page size."""
    conditions = [*book_filters(args), *extra_conditions]
    total = db.session.scalar(select(func.count()).select_from(Book).where(*conditions))
    query = (
        book_query()
        .where(*conditions)
        .order_by(*_book_order(args.get("sort", "title")))
        .limit(args["per_page"])
        .offset((args["page"] - 1) * args["per_page"])
    )
    books = list(db.session.scalars(query))
    from .circulation import availability

    counts = availability([b.id for b in books])
    for book in books:
        book.availability = counts[book.id]
    return books, total


# --- authors --------------------------------------------------------------------------------------

def _book_count(author_column):
    return select(func.count()).where(BookAuthor.author_id == author_column).correlate(Author).scalar_subquery()


def author_with_count(author_id: int):
    row = db.session.execute(select(Author, _book_count(Author.id)).where(Author.id == author_id)).first()
    if row is None:
        return None
    author, count = row
    author.book_count = count
    return author


def list_authors(args: dict) -> tuple[list[Author], int]:
    conditions = []
    if (term := (args.get("q") or "").strip()):
        conditions.append(func.lower(Author.name).like(like_pattern(term), escape="\\"))
    total = db.session.scalar(select(func.count()).select_from(Author).where(*conditions))
    rows = db.session.execute(
        select(Author, _book_count(Author.id))
        .where(*conditions)
        .order_by(func.lower(Author.sort_name), Author.id)
        .limit(args["per_page"])
        .offset((args["page"] - 1) * args["per_page"])
    ).all()
    for author, count in rows:
        author.book_count = count
    return [author for author, _ in rows], total


def _author_name_conflict(name: str, author_id: int | None) -> Conflict | None:
    other = find_author_by_name(name)
    if other is None or other.id == author_id:
        return None
    message = f"An author named {other.name!r} already exists (id {other.id})."
    return Conflict(message, {"name": [message]})


def save_author(author: Author, data: dict) -> Author:
    """Create or update an author; sort_name is derived from name unless given."""
    if "name" in data and (conflict := _author_name_conflict(data["name"], author.id)):
        raise conflict
    if "name" in data:
        author.name = data["name"]
        if not data.get("sort_name"):
            author.sort_name = derive_sort_name(data["name"])
    if data.get("sort_name"):
        author.sort_name = data["sort_name"]
    db.session.add(author)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if conflict := _author_name_conflict(data.get("name", author.name), author.id):
            raise conflict from None
        raise
    return author_with_count(author.id)


def delete_author(author: Author) -> None:
    count = db.session.scalar(select(func.count()).where(BookAuthor.author_id == author.id))
    if count:
        raise Conflict(f"The author still has {count} book(s); remove them from the books first.")
    db.session.delete(author)
    db.session.commit()


# --- subjects -------------------------------------------------------------------------------------

def list_subjects(args: dict) -> tuple[list[dict], int]:
    conditions = []
    if (term := (args.get("q") or "").strip()):
        conditions.append(func.lower(Subject.name).like(like_pattern(term), escape="\\"))
    total = db.session.scalar(select(func.count()).select_from(Subject).where(*conditions))
    count = select(func.count()).where(book_subjects.c.subject_id == Subject.id).correlate(Subject).scalar_subquery()
    rows = db.session.execute(
        select(Subject.id, Subject.name, count.label("book_count"))
        .where(*conditions)
        .order_by(func.lower(Subject.name), Subject.id)
        .limit(args["per_page"])
        .offset((args["page"] - 1) * args["per_page"])
    ).all()
    return [row._asdict() for row in rows], total
