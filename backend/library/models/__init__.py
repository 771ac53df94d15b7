"""Database models, one module per aggregate."""

from .accounts import ApiToken, AuditEvent, LoginThrottle, User, UserSession
from .catalog import Author, Book, BookAuthor, BookIsbn, BookRedirect, Subject, book_subjects
from .circulation import Copy, Hold, Loan, Member
from .jobs import Job, TaskRun, WorkerBeat
from .notices import Notice, NoticePreference, NoticeTemplate
from .operations import IdempotencyKey
from .settings import Setting

__all__ = [
    "ApiToken", "AuditEvent", "Author", "Book", "BookAuthor", "BookIsbn", "BookRedirect", "Copy", "Hold", "IdempotencyKey",
    "Job", "Loan", "LoginThrottle", "Member", "Notice", "NoticePreference", "NoticeTemplate", "Setting", "Subject",
    "TaskRun", "User", "UserSession", "WorkerBeat", "book_subjects",
]
