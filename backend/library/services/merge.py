"""Merging duplicate books: one survivor keeps the best fields and takes the others' copies (with their loans),
holds and ISBNs; the others are deleted and their ids answer 301 to the survivor (book_redirect).

Safe under concurrent circulation: the merged books' copies and then every book of the merge are locked first
(PostgreSQL: SELECT ... FOR UPDATE in id order; SQLite: the write transaction began IMMEDIATE), so a hold or
copy added to a merged book meanwhile waits and then fails on the deleted row instead of being lost; copies and
holds move by UPDATE of their book_id only, so a checkout or return of one of them (which changes its status) is
unaffected and serialised on the row. A member with an open hold on two of the books keeps one: a ready one
before a waiting one, then the oldest; the rest are cancelled (audited), and a copy that an extra ready hold held
goes to the next in line. The merge itself is audited ("book.merge"), besides the survivor's update and the deletes.
"""

from sqlalchemy import select, update

from .. import clock
from ..errors import Conflict, Problem
from ..extensions import db
from ..models import Book, BookAuthor, BookRedirect, Copy, Hold
from . import audit
from .catalog import set_other_isbns
from .circulation import Rules, retrying, shelve

FILLED_FIELDS = ("subtitle", "publisher", "published_year", "language", "cover_url", "cover_id")
FROM_MAX = 50


def redirect_target(book_id: int) -> int | None:
    """The survivor a merged book's id answers 301 to, or None."""
    return db.session.scalar(select(BookRedirect.book_id).where(BookRedirect.id == book_id))


def merge(survivor_id: int, from_ids: list[int], rules: Rules) -> Book:
    return retrying(_merge, survivor_id, from_ids, rules)


def _invalid(message):
    return Problem(422, "The request has invalid fields; see errors.", {"from": [message]})


def _merge(survivor_id: int, from_ids: list[int], rules: Rules) -> Book:
    from_ids = list(dict.fromkeys(from_ids))
    if survivor_id in from_ids:
        raise _invalid("A book cannot be merged into itself.")
    # The merged books' copies first, then the books (PostgreSQL; SQLite's IMMEDIATE transaction serialises it all):
    # a checkout holds its copy and then inserts a loan, whose triggers write loan_book_day rows referencing the
    # book (a KEY SHARE lock on it). Locking the books first would deadlock with every checkout in flight.
    db.session.execute(select(Copy.id).where(Copy.book_id.in_(from_ids)).order_by(Copy.id).with_for_update())
    locked = {book.id: book for book in db.session.scalars(
        select(Book).where(Book.id.in_([survivor_id, *from_ids])).order_by(Book.id).with_for_update()
        .execution_options(populate_existing=True))}  # reloaded: a save may have changed them before the lock
    survivor = locked.get(survivor_id)
    if survivor is None:
        raise Problem(404, f"No book with id {survivor_id}.")
    missing = [book_id for book_id in from_ids if book_id not in locked]
    if missing:
        merged_into = redirect_target(missing[0])
        raise _invalid(f"Book {missing[0]} was already merged into book {merged_into}." if merged_into
                       else f"No book with id {missing[0]}.")
    archived = next((book_id for book_id in [survivor_id, *from_ids] if locked[book_id].archived_at is not None), None)
    if archived is not None:
        raise Conflict(f"Book {archived} is archived: restore it before merging.")
    others = [locked[book_id] for book_id in from_ids]
    now = clock.now()

    reshelve = _settle_holds([survivor_id, *from_ids], survivor_id, now)
    copies = db.session.execute(update(Copy).where(Copy.book_id.in_(from_ids)).values(book_id=survivor_id)
                                .execution_options(synchronize_session=False)).rowcount
    holds = db.session.execute(update(Hold).where(Hold.book_id.in_(from_ids)).values(book_id=survivor_id)
                               .execution_options(synchronize_session=False)).rowcount
    db.session.execute(update(BookRedirect).where(BookRedirect.book_id.in_(from_ids)).values(book_id=survivor_id)
                       .execution_options(synchronize_session=False))

    taken = _take_fields(survivor, others)
    isbns = [isbn for book in others for isbn in [book.isbn, *(link.isbn for link in book.isbn_links)] if isbn]
    promoted = None
    if survivor.isbn is None and isbns:
        promoted = isbns[0]
    for book in others:
        db.session.delete(book)
    db.session.flush()  # the merged books (and their unique ISBNs) are gone before the survivor takes one
    if promoted:
        survivor.isbn = promoted
    set_other_isbns(survivor, [*(link.isbn for link in survivor.isbn_links), *isbns])
    db.session.add_all(BookRedirect(id=book_id, book_id=survivor_id, merged_at=now) for book_id in from_ids)
    db.session.flush()
    for copy in reshelve:  # a copy an extra ready hold held: to the next in line, now in the merged queue
        db.session.refresh(copy)
        shelve(copy, now, rules)
    audit.record("book.merge", resource=survivor, summary={
        "from": from_ids, "titles": [book.title for book in others], "copies": copies, "holds": holds,
        "isbns": isbns, "fields": taken})
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Book, survivor_id)


def _take_fields(survivor: Book, others: list[Book]) -> list[str]:
    """Fill the survivor's empty fields from the others (in the order given); the longest description wins;
    subjects are joined; authors come from the first other book with some when the survivor has none."""
    taken = []
    for name in FILLED_FIELDS:
        if getattr(survivor, name) is None:
            value = next((getattr(book, name) for book in others if getattr(book, name) is not None), None)
            if value is not None:
                setattr(survivor, name, value)
                taken.append(name)
    longest = max((book.description for book in others if book.description), key=len, default=None)
    if longest and len(longest) > len(survivor.description or ""):
        survivor.description = longest
        taken.append("description")
    if not survivor.author_links:
        source = next((book for book in others if book.author_links), None)
        if source is not None:
            survivor.author_links = [BookAuthor(author_id=link.author_id, position=link.position)
                                     for link in source.author_links]
            taken.append("authors")
    subjects = list(survivor.subjects)
    for book in others:
        subjects += [subject for subject in book.subjects if subject not in subjects]
    if len(subjects) > len(survivor.subjects):
        survivor.subjects = subjects[:30]
        taken.append("subjects")
    return taken


def _settle_holds(book_ids: list[int], survivor_id: int, now) -> list[Copy]:
    """One open hold per member across the merged books (the partial unique index allows no more once they
    are one book): keep a ready hold over a waiting one, then the oldest; cancel the rest. Returns the copies
    the cancelled ready holds held, to be shelved again once the queues are merged."""
    open_holds = db.session.scalars(
        select(Hold).where(Hold.book_id.in_(book_ids), Hold.status.in_(("waiting", "ready")))
        .order_by(Hold.member_id, Hold.status != "ready", Hold.placed_at, Hold.id).with_for_update()).all()
    kept, reshelve = set(), []
    for hold in open_holds:
        if hold.member_id not in kept:
            kept.add(hold.member_id)
            continue
        if hold.status == "ready" and hold.copy is not None:
            reshelve.append(hold.copy)
        hold.status, hold.closed_at = "cancelled", now
        audit.record("hold.cancel", resource=hold, summary={"reason": "books merged", "into": survivor_id})
    db.session.flush()
    return reshelve
