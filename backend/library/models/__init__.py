"""Database models, one module per aggregate."""

from .accounts import ApiToken, AuditEvent, LoginThrottle, User, UserSession
from .catalog import Author, Book, BookAuthor, BookIsbn, Subject, book_subjects
from .circulation import Copy, Hold, Loan, Member
from .imports import BookImport, ImportBatch
from .jobs import Job, TaskRun, WorkerBeat
from .settings import Setting

__all__ = [
    "ApiToken", "AuditEvent", "Author", "Book", "BookAuthor", "BookImport", "BookIsbn", "Copy", "Hold", "ImportBatch",
    "Job", "Loan", "LoginThrottle", "Member", "Setting", "Subject", "TaskRun", "User", "UserSession", "WorkerBeat", "book_subjects",
]
