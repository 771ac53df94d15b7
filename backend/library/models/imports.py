"""Catalog imports: an uploaded file (MARC or CSV), its preview, and the batches a commit wrote (so that an
interrupted commit can be resumed from its last batch, or undone)."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .catalog import Timestamped
from .types import UTCDateTime

IMPORT_STATES = ("uploaded", "previewing", "previewed", "importing", "done", "failed", "cancelled")
IMPORT_FORMATS = ("csv", "marc", "marcxml")
POLICIES = ("skip", "add_copies", "add_anyway")
FILENAME_MAX = 255


class BookImport(Timestamped, db.Model):
    """One upload and what became of it. At most one import commits at a time (a partial unique index)."""

    __tablename__ = "book_import"
    __table_args__ = (
        CheckConstraint("state IN ('uploaded', 'previewing', 'previewed', 'importing', 'done', 'failed', "
                        "'cancelled')", name="state_known"),
        CheckConstraint("format IN ('csv', 'marc', 'marcxml')", name="format_known"),
        CheckConstraint("policy IS NULL OR policy IN ('skip', 'add_copies', 'add_anyway')", name="policy_known"),
        Index("uq_book_import_one_importing", "state", unique=True, sqlite_where=text("state = 'importing'"),
              postgresql_where=text("state = 'importing'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="uploaded")
    format: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(FILENAME_MAX))  # as the user named it (shown, never a path)
    stored_name: Mapped[str | None] = mapped_column(String(100))  # under LIBRARY_DATA_DIR/imports; None once removed
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    columns: Mapped[list | None] = mapped_column(JSON)  # a CSV file's header
    sample: Mapped[list | None] = mapped_column(JSON)  # and its first row, shown beside the header when mapping
    mapping: Mapped[dict | None] = mapped_column(JSON)  # CSV: {"columns": {header: field}, "separator": ";"}
    policy: Mapped[str | None] = mapped_column(String(20))
    preview: Mapped[dict | None] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    records_total: Mapped[int | None] = mapped_column(Integer)
    after_book_id: Mapped[int | None] = mapped_column(Integer)  # the search index is built for books above it
    rejected_name: Mapped[str | None] = mapped_column(String(100))  # the rejected records, to fix and re-import
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportBatch(db.Model):
    """One committed batch of an import: what it created (ids, to undo it) and where the file was then (to
    resume after it). Written in the batch's own transaction, so it is there exactly when the batch is."""

    __tablename__ = "book_import_batch"

    import_id: Mapped[int] = mapped_column(ForeignKey("book_import.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    records_done: Mapped[int] = mapped_column(Integer)
    rejected_bytes: Mapped[int] = mapped_column(BigInteger)
    counts: Mapped[dict] = mapped_column(JSON)  # the result's counters after this batch
    book_ids: Mapped[list] = mapped_column(JSON)
    copy_ids: Mapped[list] = mapped_column(JSON)
    author_ids: Mapped[list] = mapped_column(JSON)
    subject_ids: Mapped[list] = mapped_column(JSON)
    isbns: Mapped[list] = mapped_column(JSON)  # [book id, isbn] pairs added to book_isbn for existing books
