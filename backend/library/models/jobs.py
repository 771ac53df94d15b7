"""Background work: jobs a request starts (an import, say) and periodic tasks, run by `flask --app library worker`."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

JOB_STATES = ("queued", "running", "done", "failed", "cancelled")
KIND_MAX = 30


class Job(db.Model):
    """One piece of background work. A worker claims it with a lease that its progress reports extend; a
    lease that runs out means the worker died, and the job is queued again (resumable kinds) or failed."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed', 'cancelled')", name="state_known"),
        Index("ix_job_open", "state", "id", sqlite_where=text("state IN ('queued', 'running')"),
              postgresql_where=text("state IN ('queued', 'running')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(KIND_MAX))
    state: Mapped[str] = mapped_column(String(20), default="queued")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TaskRun(db.Model):
    """A periodic task's claim on one period: the primary key makes a second run of the same period by
    another worker impossible."""

    __tablename__ = "task_run"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    period: Mapped[str] = mapped_column(String(40), primary_key=True)  # the period's start, ISO 8601
    owner: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="running")  # running | done | failed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class WorkerBeat(db.Model):
    """Each running worker's last sign of life, so the app can tell whether background work is being done."""

    __tablename__ = "worker_beat"

    owner: Mapped[str] = mapped_column(String(100), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
