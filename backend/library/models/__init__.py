"""Database models, one module per aggregate."""

from .accounts import ApiToken, AuditEvent, LoginThrottle, User, UserSession
from .catalog import Author, Book, BookAuthor, Subject, book_subjects
from .circulation import Copy, Hold, Loan, Member
from .settings import Setting
from .stats import LoanDay

__all__ = [
    "ApiToken", "AuditEvent", "Author", "Book", "BookAuthor", "Copy", "Hold", "Loan", "LoanDay", "LoginThrottle",
    "Member", "Setting", "Subject", "User", "UserSession", "book_subjects",
]
