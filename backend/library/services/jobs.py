"""Background work: jobs and periodic tasks, safe with any number of workers (`flask --app library worker`).

A **job** is work a request starts and a worker does (an import, say): `enqueue()` adds it in the caller's
transaction, so it exists exactly when what asked for it committed. A worker claims the oldest queued job
with a lease (a conditional UPDATE: one winner); the handler reports progress through its JobContext, which
extends the lease and notices a cancel request or a shutdown. A lease that runs out means the worker died
(kill -9, a crash, a lost machine): the next claim queues the job again when its kind is resumable, else
calls the kind's clean-up and marks it failed with the reason. After MAX_ATTEMPTS claims it fails for good.

A **periodic task** runs once per period (hourly, daily ...) whichever worker gets there first: the worker
inserts (task, period start) into task_run, whose primary key lets only one insert win, and runs the task
only if its insert did. Tasks are written to be idempotent anyway.

A **poller** runs in every round of every worker (the notices' sender): it must be cheap, and read-only when
it has nothing to do, since an idle round writes nothing.

Nothing here knows HTTP or the worker's loop (services/worker.py): tests call these functions directly.
"""

import logging
import os
import socket
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import clock
from ..i18n import N_, said
from ..extensions import db
from ..models import Job, TaskRun, WorkerBeat

log = logging.getLogger("library.jobs")

LEASE = timedelta(minutes=2)  # a handler reports progress (and so renews its lease) more often than this
MAX_ATTEMPTS = 3
KEEP_FINISHED = timedelta(days=30)  # finished jobs and task runs are deleted after this
ALIVE = timedelta(seconds=45)  # a worker seen this recently is running (workers write every 15 s)


class JobError(Exception):
    """A failure to report to the user as it is (a bad file, say): the job fails with this message."""


class JobStopped(Exception):
    """Raised by JobContext.progress when the job was cancelled, its lease lost, or the worker is stopping."""


@dataclass(frozen=True)
class Kind:
    run: Callable  # run(ctx) -> dict | None: the job's result
    resumable: bool = False  # True: an interrupted job is run again from where its own state says
    abandon: Callable | None = None  # abandon(job): undo a partial run of a non-resumable job (idempotent)


@dataclass(frozen=True)
class Task:
    name: str
    every: timedelta
    run: Callable  # run(now) -> None


KINDS: dict[str, Kind] = {}
TASKS: dict[str, Task] = {}
POLLERS: dict[str, Callable] = {}


def kind(name: str, *, resumable=False, abandon=None):
    """Register a job kind's handler: @jobs.kind("import") def run(ctx): ..."""

    def decorate(run):
        KINDS[name] = Kind(run, resumable, abandon)
        return run

    return decorate


def periodic(name: str, every: timedelta):
    """Register a periodic task: @jobs.periodic("holds.expire", timedelta(hours=1)) def run(now): ..."""

    def decorate(run):
        TASKS[name] = Task(name, every, run)
        return run

    return decorate


def poller(name: str):
    """Register work done every round: @jobs.poller("notices.send") def run(owner, stopping): ..."""

    def decorate(run):
        POLLERS[name] = run
        return run

    return decorate


def run_pollers(owner: str, stopping: Callable[[], bool] = lambda: False) -> None:
    """Each poller once; one's failure (a mail server bug, the database away) never stops the others."""
    for name, run in list(POLLERS.items()):
        try:
            run(owner, stopping)
        except Exception:
            db.session.rollback()
            log.exception("poller %s failed", name)


def new_owner() -> str:
    """A name for one worker process, unique across machines and restarts."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


def _insert():
    return pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert


# --- jobs -----------------------------------------------------------------------------------------

def enqueue(kind_name: str, params: dict | None = None, created_by_id: int | None = None,
            total: int | None = None) -> Job:
    """Add a job to the caller's transaction (the caller commits)."""
    if kind_name not in KINDS:
        raise ValueError(f"unknown job kind {kind_name!r}")
    job = Job(kind=kind_name, state="queued", params=params or {}, created_by_id=created_by_id,
              progress_total=total, created_at=clock.now())
    db.session.add(job)
    db.session.flush()
    return job


def request_cancel(job: Job) -> bool:
    """Cancel a queued job at once, or ask a running one to stop at its next progress report. Commits.
    False when the job has already finished."""
    if job.state == "queued":  # noqa: SIM102 - two steps: the conditional update may lose to a worker's claim
        done = db.session.execute(update(Job).where(Job.id == job.id, Job.state == "queued")
                                  .values(state="cancelled", finished_at=clock.now(), error="Cancelled.")).rowcount
        if done:
            db.session.commit()
            return True
    if job.state in ("queued", "running"):
        db.session.execute(update(Job).where(Job.id == job.id, Job.state.in_(("queued", "running")))
                           .values(cancel_requested=True))
        db.session.commit()
        return True
    return False


def _recover(now) -> None:
    """Jobs whose lease ran out: their worker died. Queue them again or fail them (with their clean-up)."""
    for job in db.session.scalars(select(Job).where(Job.state == "running", Job.lease_until < now)).all():
        handler = KINDS.get(job.kind)
        if handler is not None and handler.resumable and job.attempts < MAX_ATTEMPTS and not job.cancel_requested:
            values = {"state": "queued", "lease_owner": None, "lease_until": None}
            reason = "requeued"
        else:
            if handler is not None and handler.abandon is not None:
                handler.abandon(job)
            reason = ("Cancelled." if job.cancel_requested else
                      N_("Interrupted: the worker running it stopped (crash or restart); nothing of it was kept."))
            values = {"state": "cancelled" if job.cancel_requested else "failed", "error": reason,
                      "finished_at": now, "lease_owner": None, "lease_until": None}
        changed = db.session.execute(update(Job).where(Job.id == job.id, Job.state == "running",
                                                       Job.lease_until < now).values(**values)).rowcount
        db.session.commit()
        if changed:
            log.warning("job %s (%s) lost its worker: %s", job.id, job.kind, reason)


def claim(owner: str, now=None) -> Job | None:
    """The oldest queued job, now leased to owner (committed), or None."""
    now = now or clock.now()
    _recover(now)
    while True:
        candidate = db.session.scalars(select(Job.id).where(Job.state == "queued", Job.kind.in_(list(KINDS)))
                                       .order_by(Job.id).limit(1).with_for_update(skip_locked=True)).first()
        if candidate is None:
            db.session.commit()
            return None
        claimed = db.session.execute(
            update(Job).where(Job.id == candidate, Job.state == "queued")
            .values(state="running", lease_owner=owner, lease_until=now + LEASE, attempts=Job.attempts + 1,
                    started_at=now, error=None)
        ).rowcount
        if not claimed:
            db.session.commit()
            continue
        job = db.session.get(Job, candidate)
        db.session.expunge(job)  # a snapshot for the handler: no transaction (SQLite's write lock) held meanwhile
        db.session.commit()
        return job


class JobContext:
    """What a handler sees: its job's id and params, and progress() to report and stay alive."""

    def __init__(self, job: Job, owner: str, stopping: Callable[[], bool] = lambda: False):
        self.job_id, self.kind, self.params, self.owner = job.id, job.kind, dict(job.params or {}), owner
        self.attempt = job.attempts
        self._stopping = stopping

    def progress(self, done: int, total: int | None = None) -> None:
        """Record progress and renew the lease, in the handler's own transaction (it commits when it commits
        its work, so progress and work stay in step). Raises JobStopped when the job should stop."""
        if self._stopping():
            raise JobStopped(N_("The worker is stopping."))
        values = {"progress_done": done, "lease_until": clock.now() + LEASE}
        if total is not None:
            values["progress_total"] = total
        row = db.session.execute(
            update(Job).where(Job.id == self.job_id, Job.lease_owner == self.owner, Job.state == "running")
            .values(**values).returning(Job.cancel_requested)
        ).first()
        if row is None:
            raise JobStopped(N_("The job's lease was lost."))
        if row[0]:
            raise JobStopped(N_("Cancelled."))


def run(job: Job, owner: str, stopping: Callable[[], bool] = lambda: False) -> str:
    """Run a claimed job to its end; returns its final state."""
    handler = KINDS[job.kind]
    ctx = JobContext(job, owner, stopping)
    try:
        result = handler.run(ctx)
    except JobStopped as stop:
        db.session.rollback()
        return _stopped(job.id, owner, handler, str(stop))
    except JobError as error:
        db.session.rollback()
        return _finish(job.id, owner, "failed", error=str(error), handler=handler)
    except Exception:  # a bug or a lost database: reported as such, never half-kept
        db.session.rollback()
        log.exception("job %s (%s) failed", job.id, job.kind)
        return _finish(job.id, owner, "failed", error=N_("An unexpected error stopped it; see the worker's log."),
                       handler=handler)
    return _finish(job.id, owner, "done", result=result or {})


def _stopped(job_id, owner, handler, reason) -> str:
    job = db.session.get(Job, job_id)
    if job is None or job.lease_owner != owner:
        return "lost"
    if reason != "Cancelled." and handler.resumable:
        db.session.execute(update(Job).where(Job.id == job_id, Job.lease_owner == owner)
                           .values(state="queued", lease_owner=None, lease_until=None))
        db.session.commit()
        return "queued"
    return _finish(job_id, owner, "cancelled" if reason == "Cancelled." else "failed",
                   error=reason if reason == "Cancelled." else N_(f"Stopped: {said(reason)}"), handler=handler)


def _finish(job_id, owner, state, result=None, error=None, handler=None) -> str:
    if state != "done" and handler is not None and handler.abandon is not None:
        handler.abandon(db.session.get(Job, job_id))
    changed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.lease_owner == owner, Job.state == "running")
        .values(state=state, result=result, error=error, finished_at=clock.now(), lease_owner=None, lease_until=None)
    ).rowcount
    db.session.commit()
    return state if changed else "lost"


# --- periodic tasks -------------------------------------------------------------------------------

EPOCH = datetime(2000, 1, 3, tzinfo=timezone.utc)  # a Monday: weekly periods start on Mondays


def period_start(every: timedelta, now) -> datetime:
    return EPOCH + ((now - EPOCH) // every) * every


def run_due(owner: str, now=None) -> list[str]:
    """Run each periodic task whose current period no worker has claimed yet; returns the names run."""
    now = now or clock.now()
    ran = []
    periods = {name: period_start(task.every, now).isoformat() for name, task in TASKS.items()}
    claimed = {(name, period) for name, period in db.session.execute(
        select(TaskRun.name, TaskRun.period).where(TaskRun.name.in_(list(periods)),
                                                   TaskRun.period.in_(set(periods.values()))))}
    db.session.commit()
    for task in list(TASKS.values()):
        period = periods[task.name]
        if (task.name, period) in claimed:  # the usual case: read only, so an idle worker writes nothing
            continue
        won = db.session.execute(_insert()(TaskRun).values(name=task.name, period=period, owner=owner,
                                                            state="running", started_at=now)
                                 .on_conflict_do_nothing().returning(TaskRun.name)).first()
        db.session.commit()
        if not won:
            continue
        try:
            task.run(now)
            state, error = "done", None
        except Exception as exc:  # one task's failure never stops the others
            db.session.rollback()
            log.exception("periodic task %s failed", task.name)
            state, error = "failed", str(exc)[:2000] or exc.__class__.__name__
        db.session.execute(update(TaskRun).where(TaskRun.name == task.name, TaskRun.period == period)
                           .values(state=state, error=error, finished_at=clock.now()))
        db.session.commit()
        ran.append(task.name)
    return ran


@periodic("jobs.cleanup", timedelta(days=1))
def cleanup(now) -> None:
    """Forget finished jobs, task runs and silent workers after a while."""
    db.session.execute(delete(Job).where(Job.state.in_(("done", "failed", "cancelled")),
                                         Job.finished_at < now - KEEP_FINISHED))
    db.session.execute(delete(TaskRun).where(TaskRun.started_at < now - KEEP_FINISHED))
    db.session.execute(delete(WorkerBeat).where(WorkerBeat.seen_at < now - timedelta(days=1)))
    db.session.commit()


# --- workers' signs of life -----------------------------------------------------------------------

def beat(owner: str, started_at, now=None) -> None:
    now = now or clock.now()
    db.session.execute(_insert()(WorkerBeat).values(owner=owner, started_at=started_at, seen_at=now)
                       .on_conflict_do_update(index_elements=["owner"], set_={"seen_at": now}))
    db.session.commit()


def gone(owner: str) -> None:
    db.session.execute(delete(WorkerBeat).where(WorkerBeat.owner == owner))
    db.session.commit()


def last_seen(now=None) -> tuple[int, datetime | None]:
    """(workers seen in the last ALIVE, when a worker was last seen at all)."""
    now = now or clock.now()
    seen = list(db.session.scalars(select(WorkerBeat.seen_at)))
    return sum(1 for at in seen if at > now - ALIVE), max(seen, default=None)
