"""Database models, one module per aggregate."""

from .accounts import ApiToken, AuditEvent, LoginThrottle, User, UserSession
from .catalog import Author, Book, BookAuthor, Subject, book_subjects
from .circulation import Copy, Hold, Loan, Member
from .desk import BarcodeSequence
from .settings import Setting

__all__ = [
    "ApiToken", "AuditEvent", "Author", "BarcodeSequence", "Book", "BookAuthor", "Copy", "Hold", "Loan", "LoginThrottle", "Member",
    "Setting", "Subject", "User", "UserSession", "book_subjects",
]
