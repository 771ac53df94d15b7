"""Database models, one module per aggregate."""

from .accounts import AccountRequest, ApiToken, AuditEvent, LoginThrottle, PasswordLink, User, UserSession
from .catalog import Author, Book, BookAuthor, BookIsbn, BookRedirect, Subject, book_document, book_subjects
from .circulation import Copy, Hold, Loan, Member
from .imports import BookImport, ImportBatch
from .desk import BarcodeSequence
from .jobs import Job, TaskRun, WorkerBeat
from .notices import Notice, NoticePreference, NoticeTemplate
from .operations import IdempotencyKey
from .settings import Setting
from .stats import CollectionTally, LoanBookDay, LoanDay, LoanTally

__all__ = [
    "AccountRequest", "ApiToken", "AuditEvent", "Author", "BarcodeSequence", "Book", "BookAuthor", "BookImport",
    "BookIsbn", "BookRedirect", "CollectionTally", "Copy", "Hold", "IdempotencyKey", "ImportBatch", "Job", "Loan",
    "LoanBookDay", "LoanDay", "LoanTally", "LoginThrottle", "Member",
    "Notice", "NoticePreference", "NoticeTemplate", "PasswordLink", "Setting", "Subject", "TaskRun", "User",
    "UserSession", "WorkerBeat", "book_document", "book_subjects",
]
