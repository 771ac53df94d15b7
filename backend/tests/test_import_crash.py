"""A worker killed with SIGKILL in the middle of an import, on SQLite and PostgreSQL: only whole batches are in the
catalog, and the job is then resumed after the last batch (no book twice) or, once it has cost too many workers,
failed with the reason and every batch undone."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from library import clock
from library.extensions import db
from library.models import Book, BookImport, Copy, ImportBatch, Job
from library.services import jobs

from . import marcfiles as mf
from .conftest import BACKEND_DIR
from .test_imports import run_jobs, upload

RECORDS = 5_000


@pytest.fixture(scope="module")
def big_file():
    return mf.iso2709(*(mf.koha_record(f"Crash test volume {n}", f"Writer{n % 50}, Anna", [], [f"C-{n}"])
                        for n in range(RECORDS)))


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("ending", ["resumed", "given up"])
def test_a_worker_killed_mid_import_leaves_whole_batches_then_resumes_or_undoes(app, client, database_url, tmp_path,
                                                                                 big_file, ending):
    response = upload(client, big_file)
    imp_id = response.get_json()["id"]
    run_jobs(app)  # the preview
    assert client.post(f"/api/v1/imports/{imp_id}/commit", json={"policy": "skip"}).status_code == 202
    env = {**os.environ, "DATABASE_URL": database_url, "LIBRARY_ENV": "testing", "LIBRARY_DATA_DIR": str(tmp_path)}
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "library", "worker", "--poll", "0.2"],
                                  cwd=BACKEND_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:  # until the first batch is committed (its progress with it), and the import is not finished
            shown = client.get(f"/api/v1/imports/{imp_id}").get_json()  # a GET: reads without taking SQLite's lock
            state = shown["state"]
            assert state == "importing", f"finished before it could be killed: {state}\n{log.read_text()[-2000:]}"
            if shown["job"]["progress_done"] > 0:
                break
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    with app.app_context():
        done = db.session.scalar(select(func.max(ImportBatch.records_done)))
        assert 0 < done < RECORDS
        assert count(Book) == done and count(Copy) == done  # whole batches, nothing of the one it was writing
        job = db.session.scalar(select(Job).where(Job.kind == "import.commit"))
        assert job.state == "running"  # until its lease runs out
        if ending == "given up":
            job.attempts = jobs.MAX_ATTEMPTS
            db.session.commit()
        later = clock.now() + jobs.LEASE + timedelta(seconds=1)
        claimed = jobs.claim("rescuer", now=later)
        if ending == "resumed":
            assert claimed.id == job.id and claimed.attempts == 2
            assert jobs.run(claimed, "rescuer") == "done"
            assert count(Book) == RECORDS and count(Copy) == RECORDS
            assert db.session.scalar(select(func.count(func.distinct(Book.title)))) == RECORDS
            assert db.session.get(BookImport, imp_id).result["added"] == RECORDS
        else:
            assert claimed is None
            db.session.expire_all()
            imp = db.session.get(BookImport, imp_id)
            assert imp.state == "failed" and count(Book) == 0 and count(Copy) == 0 and count(ImportBatch) == 0
    if ending == "given up":
        shown = client.get(f"/api/v1/imports/{imp_id}").get_json()
        assert shown["state"] == "failed" and shown["error"].startswith("Interrupted")
    else:
        assert client.get(f"/api/v1/books?q=crash+volume+4999").get_json()["total"] == 1
