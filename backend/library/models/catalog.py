"""The catalog: books, their ordered authors, and subjects."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text, text
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
    # The title's words, lower case without accents (services/search.py keeps it): exact-title matches rank first.
    title_key: Mapped[str | None] = mapped_column(String(TITLE_MAX), index=True)

    author_links: Mapped[list[BookAuthor]] = relationship(
        back_populates="book", order_by=BookAuthor.position, cascade="all, delete-orphan", passive_deletes=True
    )
    subjects: Mapped[list[Subject]] = relationship(secondary=book_subjects, order_by=Subject.name)

    @property
    def authors(self):
        return [link.author for link in self.author_links]
