"""Database models, one module per aggregate."""

from .catalog import Author, Book, BookAuthor, Subject, book_subjects

__all__ = ["Author", "Book", "BookAuthor", "Subject", "book_subjects"]
