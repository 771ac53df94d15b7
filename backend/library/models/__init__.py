"""Database models, one module per aggregate."""

from .accounts import AccountRequest, ApiToken, AuditEvent, LoginThrottle, PasswordLink, User, UserSession
from .catalog import Author, Book, BookAuthor, Subject, book_subjects
from .circulation import Copy, Hold, Loan, Member
from .settings import Setting

__all__ = [
    "AccountRequest", "ApiToken", "AuditEvent", "Author", "Book", "BookAuthor", "Copy", "Hold", "Loan", "LoginThrottle", "Member",
    "PasswordLink", "Setting", "Subject", "User", "UserSession", "book_subjects",
]
