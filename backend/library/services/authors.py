"""Merging two authors into one: the duplicate's books move to the survivor, in one audited transaction."""

from sqlalchemy import delete, select, update

from ..errors import Problem
from ..extensions import db
from ..models import Author, BookAuthor
from . import audit


def _invalid(message):
    return Problem(422, "The request has invalid fields; see errors.", {"duplicate_id": [message]})


def merge(survivor: Author, duplicate_id: int) -> Author:
    """Move the duplicate's books to the survivor and delete the duplicate. A book that names both keeps the
    survivor once, at the earlier of the two positions (so the first author stays first)."""
    if duplicate_id == survivor.id:
        raise _invalid("An author cannot be merged with themselves.")
    # Both rows locked, in id order (PostgreSQL; SQLite's write transaction is exclusive already).
    locked = db.session.scalars(select(Author).where(Author.id.in_((survivor.id, duplicate_id)))
                                .order_by(Author.id).with_for_update()).all()
    duplicate = next((a for a in locked if a.id == duplicate_id), None)
    if duplicate is None:
        raise _invalid(f"No author with id {duplicate_id}.")
    links = db.session.execute(select(BookAuthor.book_id, BookAuthor.position)
                               .where(BookAuthor.author_id == duplicate.id)).all()
    shared = dict(db.session.execute(select(BookAuthor.book_id, BookAuthor.position).where(
        BookAuthor.author_id == survivor.id, BookAuthor.book_id.in_([book_id for book_id, _ in links]))).all())
    for book_id, position in links:
        if book_id in shared and position < shared[book_id]:
            db.session.execute(update(BookAuthor).where(BookAuthor.book_id == book_id,
                                                        BookAuthor.author_id == survivor.id)
                               .values(position=position).execution_options(synchronize_session=False))
    db.session.execute(delete(BookAuthor).where(BookAuthor.author_id == duplicate.id,
                                                BookAuthor.book_id.in_(list(shared)))
                       .execution_options(synchronize_session=False))
    db.session.execute(update(BookAuthor).where(BookAuthor.author_id == duplicate.id)
                       .values(author_id=survivor.id).execution_options(synchronize_session=False))
    audit.record("author.merge", resource=survivor, summary={
        "merged": {"id": duplicate.id, "name": duplicate.name}, "books": sorted(book_id for book_id, _ in links)})
    db.session.delete(duplicate)
    db.session.commit()
    db.session.expire_all()
    return survivor

