"""Taking books out of the catalog without losing history.

A copy that was never lent nor held can be deleted; otherwise it is withdrawn (services/circulation.py). A book
whose copies are all withdrawn (or that has none) can leave the catalog in one of two ways:
- deleted, when nothing ever happened to it: no copy was ever lent or held and nobody ever placed a hold on it.
  Its withdrawn copies go with it.
- archived, when it has history: the book, its copies and their loans stay in the database, so the statistics
  still count its loans per title, author and subject, but it is out of the public catalog, its lists and its
  search index (migration 0008's triggers). Waiting holds on it are cancelled, since no copy can ever fill them.
  Staff see archived books in their own list and restore them (its copies stay withdrawn until made available).
Lost copies count as in service: withdraw them first (a lost copy may still turn up).
"""

from sqlalchemy import func, select

from .. import clock
from ..errors import Conflict
from ..extensions import db
from ..models import Book, Copy, Hold
from . import audit
from .circulation import copy_history


def _copies_in_service(book: Book) -> list[Copy]:
    copies = db.session.scalars(select(Copy).where(Copy.book_id == book.id).with_for_update()).all()
    in_service = [c for c in copies if c.status != "withdrawn"]
    if in_service:
        shown = ", ".join(c.barcode for c in in_service[:5]) + (" ..." if len(in_service) > 5 else "")
        raise Conflict(f"{len(in_service)} of the book's copies are still in service ({shown}): withdraw them, or "
                       "delete those never lent, first.")
    return copies


def delete_book(book: Book) -> None:
    """Delete a book that never circulated, with its withdrawn copies."""
    copies = _copies_in_service(book)
    holds = db.session.scalar(select(func.count()).select_from(Hold).where(Hold.book_id == book.id))
    if holds or copy_history([c.id for c in copies]):
        raise Conflict("The book has loan or hold history, which the statistics keep: archive it instead (it leaves "
                       "the catalog and can be restored).")
    for copy in copies:
        db.session.delete(copy)
    db.session.flush()
    db.session.delete(book)
    db.session.commit()


def archive_book(book: Book) -> Book:
    """Take a book out of the catalog, keeping it and its history; its waiting holds are cancelled."""
    if book.archived_at is not None:
        raise Conflict("The book is already archived.")
    _copies_in_service(book)
    now = clock.now()
    for hold in db.session.scalars(select(Hold).where(Hold.book_id == book.id, Hold.status == "waiting")
                                   .with_for_update()).all():
        hold.status, hold.closed_at = "cancelled", now
        audit.record("hold.cancel", resource=hold, summary={"reason": "book archived"})
    book.archived_at = now
    db.session.commit()
    return book


def restore_book(book: Book) -> Book:
    if book.archived_at is None:
        raise Conflict("The book is not archived.")
    book.archived_at = None
    db.session.commit()
    return book


def archived_page(args: dict) -> tuple[list[int], int]:
    """The ids of one page of archived books (most recently archived first, or by title) and their total."""
    condition = Book.archived_at.is_not(None)
    total = db.session.scalar(select(func.count()).select_from(Book).where(condition))
    order = [func.lower(Book.title), Book.id] if args.get("sort") == "title" else [Book.archived_at.desc(),
                                                                                    Book.id.desc()]
    ids = db.session.scalars(select(Book.id).where(condition).order_by(*order).limit(args["per_page"])
                             .offset((args["page"] - 1) * args["per_page"])).all()
    return ids, total
