"""Database models, one module per aggregate."""

from .accounts import ApiToken, AuditEvent, LoginThrottle, User, UserSession
from .catalog import Author, Book, BookAuthor, Subject, book_subjects

__all__ = [
    "ApiToken", "AuditEvent", "Author", "Book", "BookAuthor", "LoginThrottle", "Subject", "User", "UserSession",
    "book_subjects",
]
