"""The catalog: books, their ordered authors, and subjects."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

# Limits shared by the schemas, the model and the spec.
TITLE_MAX = 500
NAME_MAX = 300
PUBLISHER_MAX = 200
SUBJECT_MAX = 100
DESCRIPTION_MAX = 10_000
URL_MAX = 2000
EDITION_MAX = 100
BOOK_CALL_NUMBER_MAX = 100
COVER_ID_LENGTH = 32  # hex digits of a stored cover's content hash (services/covers.py)
YEAR_MIN, YEAR_MAX = 1000, 2100


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


book_subjects = Table(
    "book_subject",
    db.metadata,
    Column("book_id", ForeignKey("book.id", ondelete="CASCADE"), primary_key=True),
    Column("subject_id", ForeignKey("subject.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_book_subject_subject_book", "subject_id", "book_id"),  # a subject's books; the collection by subject
)


class Author(Timestamped, db.Model):
    __tablename__ = "author"
    __table_args__ = (Index("uq_author_name_lower", text("lower(name)"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    sort_name: Mapped[str] = mapped_column(String(NAME_MAX), index=True)

    book_links: Mapped[list["BookAuthor"]] = relationship(back_populates="author", passive_deletes="all")


class Subject(db.Model):
    __tablename__ = "subject"
    __table_args__ = (Index("uq_subject_name_lower", text("lower(name)"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(SUBJECT_MAX))


class BookAuthor(db.Model):
    """Association with the author's position, so a book's authors keep their order."""

    __tablename__ = "book_author"

    book_id: Mapped[int] = mapped_column(ForeignKey("book.id", ondelete="CASCADE"), primary_key=True)
    # RESTRICT: an author who still has books cannot be deleted (the API answers 409 first).
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id", ondelete="RESTRICT"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)

    book: Mapped["Book"] = relationship(back_populates="author_links")
    author: Mapped[Author] = relationship(back_populates="book_links", lazy="joined", innerjoin=True)


class Book(Timestamped, db.Model):
    __tablename__ = "book"
    __table_args__ = (
        CheckConstraint(f"published_year BETWEEN {YEAR_MIN} AND {YEAR_MAX}", name="published_year_range"),
        CheckConstraint("length(isbn) = 13", name="isbn_13_digits"),
        Index("ix_book_title_lower_id", text("lower(title)"), "id"),  # keyset pages by title
        Index("ix_book_archived_at", "archived_at", sqlite_where=text("archived_at IS NOT NULL"),
              postgresql_where=text("archived_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    subtitle: Mapped[str | None] = mapped_column(String(TITLE_MAX))
    isbn: Mapped[str | None] = mapped_column(String(13), unique=True)
    publisher: Mapped[str | None] = mapped_column(String(PUBLISHER_MAX))
    published_year: Mapped[int | None] = mapped_column(Integer, index=True)
    language: Mapped[str | None] = mapped_column(String(2), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    cover_url: Mapped[str | None] = mapped_column(String(URL_MAX))
    edition: Mapped[str | None] = mapped_column(String(EDITION_MAX))  # MARC 250
    call_number: Mapped[str | None] = mapped_column(String(BOOK_CALL_NUMBER_MAX))  # the book's class mark (082/050 ...)
    # A cover stored in LIBRARY_DATA_DIR/covers (uploaded or taken from a lookup), served by nginx.
    cover_id: Mapped[str | None] = mapped_column(String(COVER_ID_LENGTH))
    # The title's words, lower case without accents (services/search.py keeps it): exact-title matches rank first.
    title_key: Mapped[str | None] = mapped_column(String(TITLE_MAX), index=True)
    # Archived: out of the catalog, its lists and its search index (migration 0008's triggers), kept with its
    # copies and loan history for statistics; staff restore it (services/retire.py).
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author_links: Mapped[list[BookAuthor]] = relationship(
        back_populates="book", order_by=BookAuthor.position, cascade="all, delete-orphan", passive_deletes=True
    )
    subjects: Mapped[list[Subject]] = relationship(secondary=book_subjects, order_by=Subject.name)
    isbn_links: Mapped[list["BookIsbn"]] = relationship(
        back_populates="book", order_by="BookIsbn.isbn", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def authors(self):
        return [link.author for link in self.author_links]


class BookIsbn(db.Model):
    """A book's other ISBNs (another binding or printing, the ISBN-10 of a set, the repeated 020s of an imported
    MARC record: the first valid one is book.isbn, the rest are kept here, or the ISBNs of books merged into it).
    Not unique across books: a set's ISBN may be on every volume's record, and a shared ISBN is what marks two
    books as likely duplicates (services/duplicates.py)."""

    __tablename__ = "book_isbn"
    __table_args__ = (CheckConstraint("length(isbn) = 13", name="isbn_13_digits"),)

    book_id: Mapped[int] = mapped_column(ForeignKey("book.id", ondelete="CASCADE"), primary_key=True)
    isbn: Mapped[str] = mapped_column(String(13), primary_key=True, index=True)

    book: Mapped[Book] = relationship(back_populates="isbn_links")


# A book as the public catalog sends it, stored ready to send (services/documents.py, migration 0022): its JSON
# without the availability, in two parts around it. Triggers set both to NULL ("stale") in the transaction of any
# change to what the document holds; a stale or missing document is computed as before, never sent.
book_document = Table(
    "book_document",
    db.metadata,
    Column("book_id", ForeignKey("book.id", ondelete="CASCADE"), primary_key=True, autoincrement=False),
    Column("head", LargeBinary),
    Column("tail", LargeBinary),
    Index("ix_book_document_stale", "book_id", sqlite_where=text("head IS NULL"),
          postgresql_where=text("head IS NULL")),
)


class BookRedirect(db.Model):
    """A book merged into another: its id answers 301 to the survivor (services/merge.py)."""

    __tablename__ = "book_redirect"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # the merged book's old id
    book_id: Mapped[int] = mapped_column(ForeignKey("book.id", ondelete="CASCADE"), index=True)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
