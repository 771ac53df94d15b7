"""Database models, one module per aggregate."""

from .accounts import ApiToken, AuditEvent, LoginThrottle, User, UserSession
from .catalog import Author, Book, BookAuthor, BookIsbn, BookRedirect, Subject, book_subjects
from .circulation import Copy, Hold, Loan, Member
from .settings import Setting

__all__ = [
    "ApiToken", "AuditEvent", "Author", "Book", "BookAuthor", "BookIsbn", "BookRedirect", "Copy", "Hold", "Loan", "LoginThrottle", "Member",
    "Setting", "Subject", "User", "UserSession", "book_subjects",
]
