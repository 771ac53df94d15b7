"""Background jobs and periodic tasks on SQLite and PostgreSQL: leases, a dead worker's job queued again or
failed with its partial work undone, cancel, several workers at once (each job and each period run once),
and the real `flask --app library worker` process."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event, func, select, text

from library.extensions import db
from library.models import Job, TaskRun, WorkerBeat
from library.services import jobs, tasks  # noqa: F401 - tasks registers the built-in periodic tasks

from .conftest import BACKEND_DIR
from .test_accounts import Clock
from .test_books import assert_problem

RAN = []  # (job id, attempt) of every run of the test kinds, across threads


@jobs.kind("test.sum")
def _sum(ctx):
    numbers = ctx.params["numbers"]
    for done in range(1, len(numbers) + 1):
        ctx.progress(done, len(numbers))
    RAN.append((ctx.job_id, ctx.attempt))
    return {"sum": sum(numbers)}


def _undo_marks(job):
    db.session.execute(text("DELETE FROM setting WHERE key = :key"), {"key": f"mark-{job.id}"})


@jobs.kind("test.marks", abandon=_undo_marks)
def _marks(ctx):
    """Writes a row, then (when asked to) fails or hangs: its abandon() removes the row again."""
    db.session.execute(text("INSERT INTO setting (key, value, updated_at) VALUES (:key, '1', CURRENT_TIMESTAMP)"),
                       {"key": f"mark-{ctx.job_id}"})
    ctx.progress(1, 2)
    db.session.commit()
    if ctx.params.get("fail") == "user":
        raise jobs.JobError("Line 3: not a valid ISBN.")
    if ctx.params.get("fail") == "bug":
        raise ZeroDivisionError
    return {"marked": True}


@jobs.kind("test.resumable", resumable=True)
def _resumable(ctx):
    RAN.append((ctx.job_id, ctx.attempt))
    return {"attempt": ctx.attempt}


@pytest.fixture
def clock(app):
    app.config["LIBRARY_CLOCK"] = clock = Clock()
    return clock


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def enqueue(kind, **params):
    job_id = jobs.enqueue(kind, params).id
    db.session.commit()
    return job_id


def marks():
    return db.session.scalar(select(func.count()).select_from(text("setting")).where(text("key LIKE 'mark-%'")))


def test_a_job_runs_once_with_progress_and_its_result_is_shown(app, as_role):
    staff = as_role("librarian")
    with app.app_context():
        job_id = enqueue("test.sum", numbers=[1, 2, 3, 4])
    assert staff.get(f"/api/v1/jobs/{job_id}").get_json()["state"] == "queued"
    assert staff.get("/api/v1/worker").get_json() == {"running": 0, "last_seen_at": None, "queued": 1}
    with app.app_context():
        job = jobs.claim("w1")
        assert job.id == job_id and job.state == "running" and job.attempts == 1
        assert jobs.claim("w2") is None  # nothing else queued
        assert jobs.run(job, "w1") == "done"
    shown = staff.get(f"/api/v1/jobs/{job_id}").get_json()
    assert shown["state"] == "done" and shown["result"] == {"sum": 10}
    assert (shown["progress_done"], shown["progress_total"]) == (4, 4)
    assert as_role("member").get(f"/api/v1/jobs/{job_id}").status_code == 403
    assert_problem(staff.post(f"/api/v1/jobs/{job_id}/cancel"), 409)


@pytest.mark.parametrize("fail, message", [
    ("user", "Line 3: not a valid ISBN."),
    ("bug", "An unexpected error stopped it; see the worker's log."),
])
def test_a_failing_job_keeps_nothing_and_says_why(app, ctx, fail, message):
    job_id = enqueue("test.marks", fail=fail)
    assert jobs.run(jobs.claim("w1"), "w1") == "failed"
    job = db.session.get(Job, job_id)
    assert job.error == message
    assert marks() == 0  # its committed row was undone


def test_a_dead_workers_job_is_failed_with_its_work_undone_or_queued_again(app, ctx, clock):
    marked = enqueue("test.marks", hang=True)
    again = enqueue("test.resumable")
    first = jobs.claim("dies")
    # The worker writes and commits part of the work, then is killed (nothing more happens).
    db.session.execute(text("INSERT INTO setting (key, value, updated_at) VALUES (:key, '1', CURRENT_TIMESTAMP)"),
                       {"key": f"mark-{first.id}"})
    db.session.commit()
    second = jobs.claim("dies")
    assert {first.id, second.id} == {marked, again}
    clock.advance(seconds=jobs.LEASE.total_seconds() - 1)
    assert jobs.claim("alive") is None  # leases still running: nobody takes them over
    clock.advance(seconds=2)
    job = jobs.claim("alive")  # the resumable one, queued again and claimed
    assert job.id == again and job.attempts == 2
    assert jobs.run(job, "alive") == "done"
    failed = db.session.get(Job, marked)
    db.session.refresh(failed)
    assert failed.state == "failed" and failed.error.startswith("Interrupted")
    assert marks() == 0
    # The dead worker's late progress report finds its lease gone.
    with pytest.raises(jobs.JobStopped):
        jobs.JobContext(second, "dies").progress(1)


def test_a_job_that_keeps_killing_its_worker_fails_after_three_attempts(app, ctx, clock):
    job_id = enqueue("test.resumable")
    for _ in range(jobs.MAX_ATTEMPTS):
        assert jobs.claim("dies").id == job_id
        clock.advance(seconds=jobs.LEASE.total_seconds() + 1)
    assert jobs.claim("alive") is None
    assert db.session.get(Job, job_id).state == "failed"


def test_cancel_a_queued_job_at_once_and_a_running_one_at_its_next_progress(app, as_role):
    staff = as_role("librarian")
    with app.app_context():
        queued = enqueue("test.sum", numbers=[1])
    assert staff.post(f"/api/v1/jobs/{queued}/cancel").get_json()["state"] == "cancelled"
    with app.app_context():
        running = enqueue("test.marks")
        job = jobs.claim("w1")
    assert staff.post(f"/api/v1/jobs/{running}/cancel").get_json()["cancel_requested"] is True
    with app.app_context():
        assert jobs.run(job, "w1") == "cancelled"
        assert db.session.get(Job, running).error == "Cancelled." and marks() == 0
    # Stored in English, read in the reader's language (Accept-Language), as the import's errors are.
    assert staff.get(f"/api/v1/jobs/{running}").get_json()["error"] == "Cancelled."
    for language, said in (("fr", "Annulé."), ("es", "Cancelado.")):
        job = staff.get(f"/api/v1/jobs/{running}", headers={"Accept-Language": language}).get_json()
        assert job["error"] == said and job["state"] == "cancelled"


def test_a_stopping_worker_stops_its_job_at_the_next_progress_report(app, ctx):
    resumable, other = enqueue("test.sum", numbers=[1, 2]), enqueue("test.marks")
    assert jobs.run(jobs.claim("w1"), "w1", stopping=lambda: True) == "failed"
    assert db.session.get(Job, resumable).error == "Stopped: The worker is stopping."
    assert jobs.run(jobs.claim("w1"), "w1", stopping=lambda: True) == "failed"
    assert marks() == 0 and other


def test_several_workers_run_each_job_once(app):
    with app.app_context():
        ids = {enqueue("test.sum", numbers=[n]) for n in range(30)}
    RAN.clear()
    errors = []

    def work(name):
        try:
            with app.app_context():
                while (job := jobs.claim(name)) is not None:
                    assert jobs.run(job, name) == "done"
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sorted(job_id for job_id, _ in RAN) == sorted(ids)
    with app.app_context():
        assert {job.state for job in db.session.scalars(select(Job))} == {"done"}


def test_a_periodic_task_runs_once_per_period_whichever_worker_comes(app, ctx, clock):
    runs = []
    jobs.periodic("test.tick", timedelta(hours=1))(lambda now: runs.append(now))
    try:
        clock.now = clock.now.replace(minute=10)
        assert "test.tick" in jobs.run_due("w1")
        clock.advance(minutes=40)
        assert "test.tick" not in jobs.run_due("w2")  # same hour
        clock.advance(minutes=15)
        assert "test.tick" in jobs.run_due("w2")  # the next hour
        assert len(runs) == 2
        assert db.session.scalar(select(func.count()).select_from(TaskRun).where(TaskRun.name == "test.tick")) == 2
    finally:
        jobs.TASKS.pop("test.tick")


def test_a_failing_periodic_task_is_recorded_and_the_others_still_run(app, ctx):
    jobs.periodic("test.broken", timedelta(hours=1))(lambda now: 1 / 0)
    try:
        ran = jobs.run_due("w1")
        assert {"test.broken", "jobs.cleanup"} <= set(ran)
        run = db.session.scalar(select(TaskRun).where(TaskRun.name == "test.broken"))
        assert run.state == "failed" and "division" in run.error
    finally:
        jobs.TASKS.pop("test.broken")


def test_concurrent_workers_claim_a_period_once(app):
    runs = []
    jobs.periodic("test.once", timedelta(days=1))(lambda now: runs.append(now))
    barrier = threading.Barrier(4)

    def work(name):
        with app.app_context():
            barrier.wait(30)
            jobs.run_due(name)
            db.session.remove()

    try:
        threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        jobs.TASKS.pop("test.once")
    assert len(runs) == 1


def test_the_worker_command_runs_rounds_and_stops_cleanly_on_sigterm(app, database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url, "LIBRARY_ENV": "testing", "LIBRARY_DATA_DIR": str(tmp_path)}
    once = subprocess.run([sys.executable, "-m", "flask", "--app", "library", "worker", "--once"], cwd=BACKEND_DIR,
                          env=env, capture_output=True, text=True, timeout=120)
    assert once.returncode == 0, once.stderr
    with app.app_context():
        assert "jobs.cleanup" in set(db.session.scalars(select(TaskRun.name)))
        assert db.session.scalar(select(func.count()).select_from(WorkerBeat)) == 0  # said goodbye
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "library", "worker", "--poll", "0.2"],
                                cwd=BACKEND_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            with app.app_context():
                if db.session.scalar(select(func.count()).select_from(WorkerBeat)):
                    break
            assert time.monotonic() < deadline, "the worker never showed a sign of life: " + log.read_text()
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            code = "still running"
        assert code == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WorkerBeat)) == 0


def test_an_idle_worker_round_writes_nothing(app):
    """The response cache is emptied by any write: a worker going round with nothing to do must not write."""
    from library.services.worker import Worker

    worker = Worker(app)
    with app.app_context():
        worker.started_at = clock_now = jobs.clock.now()
        engine = db.engine
    assert clock_now
    worker.tick()  # the first round writes: a sign of life, this period's task runs
    assert writes_in_rounds(worker, engine) == []


def writes_in_rounds(worker, engine, rounds=3):
    """The INSERT, UPDATE and DELETE statements a worker runs in a few more rounds."""
    writes = []

    def record(_conn, _cursor, statement, *_args):
        if statement.split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(rounds):
            worker.tick()
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    return writes
