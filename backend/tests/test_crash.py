"""Crashes under load, bounded in time, through the real topology (`python -m library.serve`, what `make run`
runs: nginx in front of a supervised gunicorn):

- kill -9 of random gunicorn workers, and once of the master, under 8 concurrent writers that retry with their
  Idempotency-Key until they get an answer: acknowledged writes lost 0, duplicates 0 (SQLite and PostgreSQL);
- a PostgreSQL restart under readers and writers: no 500, only 503 problems while it is down, and the app
  recovers without being restarted.
"""

import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from library.serve import free_port, wait_for_http
from tests.conftest import BACKEND_DIR, PostgresServer, _pg_bin, migrate, require

pytestmark = pytest.mark.nginx
WRITERS = 8
KILL_SECONDS = 14  # how long workers are being killed; the master once, halfway
KILL_EVERY = 0.7
RETRY_BUDGET = 90  # seconds a writer keeps retrying one write before giving up (a failure)
TRANSIENT = {502, 503, 504}


def children(pid):
    """Pids whose parent is pid (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class Served:
    """`python -m library.serve` on a database, in the background: nginx on self.url, supervised gunicorn."""

    def __init__(self, database_url, folder, workers=3):
        require(shutil.which("nginx") is not None, "nginx is not installed (apt-get install nginx)")
        self.database_url = database_url
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = folder / "serve.log"
        env = {"PATH": os.environ["PATH"], "HOME": str(folder), "DATABASE_URL": database_url,
               "LIBRARY_ENV": "testing", "SECRET_KEY": secrets.token_urlsafe(48), "PORT": self.url.rsplit(":", 1)[1],
               "WEB_CONCURRENCY": str(workers)}
        self.env = env
        self.token = self.flask("create-user", "crash@test.example", "--role", "librarian", "--password-stdin",
                                input="a long crash test passphrase\n") and \
            self.flask("create-token", "crash@test.example", "--name", "crash", "--scopes", "read,write").split()[-1]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "library.serve"], cwd=BACKEND_DIR, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for_http(self.url + "/api/ready", timeout=60, procs=[self.proc])
        except (RuntimeError, TimeoutError):
            self.close()
            raise AssertionError("library.serve did not start:\n" + self.output())

    def flask(self, *args, input=None):
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "library", *args], cwd=BACKEND_DIR,
                                env=self.env, input=input, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def master(self):
        masters = [pid for pid in children(self.proc.pid) if "gunicorn" in cmdline(pid)]
        return masters[0] if masters else None

    def workers(self):
        master = self.master()
        return children(master) if master else []

    def output(self):
        return self.log.read_text(errors="replace")[-6000:]

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # like Ctrl-C: serve.py stops nginx and gunicorn
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class Writers:
    """WRITERS threads adding books with unique titles, each POST with its own Idempotency-Key, retried with the
    same key on no answer, a 502/503/504 or "still being processed", until a definite answer."""

    def __init__(self, served, label):
        self.served, self.label = served, label
        self.acknowledged = {}  # title -> id, from a 201
        self.answer_lost = set()  # titles whose work was done but whose answer was lost (409 from the key)
        self.errors, self.statuses = [], Counter()
        self.retries = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(WRITERS)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(RETRY_BUDGET + 30)

    def run(self, n):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.served.token}"
        for count in range(100_000):
            if self.stop.is_set():
                return
            self.write(session, f"{self.label} w{n} #{count}")

    def write(self, session, title):
        key, deadline = str(uuid.uuid4()), time.monotonic() + RETRY_BUDGET
        while True:
            try:
                response = session.post(self.served.url + "/api/v1/books", json={"title": title},
                                        headers={"Idempotency-Key": key}, timeout=20)
                status, detail = response.status_code, response.json().get("detail", "") \
                    if response.headers.get("Content-Type", "").endswith("json") else response.text[:200]
            except (requests.RequestException, ValueError) as error:
                status, detail = None, type(error).__name__
            with self.lock:
                self.statuses[status] += 1
                if status == 201:
                    self.acknowledged[title] = response.json()["id"]
                    return
                if status == 409 and "answer was lost" in detail:
                    self.answer_lost.add(title)
                    return
                if status is not None and status not in TRANSIENT and not (status == 409 and "still" in detail):
                    self.errors.append(f"{title}: {status} {detail}")
                    return
                self.retries += 1
            if time.monotonic() > deadline:
                with self.lock:
                    self.errors.append(f"{title}: no answer within {RETRY_BUDGET} s (last {status} {detail})")
                return
            time.sleep(0.15)


def books_by_title(url, prefix):
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT title, id FROM book WHERE title LIKE :p"),
                                      {"p": prefix + "%"}).fetchall()
    finally:
        engine.dispose()


def check_writes(writers, database_url, label):
    """Every acknowledged write is there with its id; no title twice; lost answers' writes there once."""
    rows = books_by_title(database_url, label)
    counts = Counter(title for title, _ in rows)
    ids = {title: id_ for title, id_ in rows}
    lost = [t for t, id_ in writers.acknowledged.items() if ids.get(t) != id_]
    duplicates = [t for t, n in counts.items() if n > 1]
    missing_done = [t for t in writers.answer_lost if counts[t] != 1]
    return lost, duplicates, missing_done, rows


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_database(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'library.db'}"
        migrate(url)
        return url
    pg_server = request.getfixturevalue("pg_server")
    return pg_server.create_database(template=request.getfixturevalue("pg_template"))


def test_kill_9_of_workers_and_the_master_loses_no_acknowledged_write_and_duplicates_none(crash_database,
                                                                                         tmp_path):
    served = Served(crash_database, tmp_path)
    label = f"Crash {uuid.uuid4().hex[:6]}"
    kills, master_kills = [], []
    try:
        with Writers(served, label) as writers:
            time.sleep(1.0)
            started = time.monotonic()
            rng = random.Random(13)
            while time.monotonic() - started < KILL_SECONDS:
                if not master_kills and time.monotonic() - started > KILL_SECONDS / 2 and served.master():
                    master_kills.append(served.master())
                    os.kill(master_kills[0], signal.SIGKILL)
                elif workers := served.workers():
                    victim = rng.choice(workers)
                    os.kill(victim, signal.SIGKILL)
                    kills.append(victim)
                time.sleep(KILL_EVERY)
            wait_for_http(served.url + "/api/ready", timeout=60)
            time.sleep(1.0)  # a last stretch of writes on the recovered server
        new_master = served.master()
    finally:
        served.close()
    lost, duplicates, missing_done, rows = check_writes(writers, crash_database, label)
    print(f"\n[{crash_database.split(':')[0]}] kill -9 of {len(kills)} workers and {len(master_kills)} master under "
          f"{WRITERS} writers: {len(writers.acknowledged)} writes acknowledged, {len(writers.answer_lost)} done "
          f"with the answer lost, {writers.retries} retries, answers {dict(writers.statuses)}; lost "
          f"{len(lost)}, duplicates {len(duplicates)}; {len(rows)} rows")
    assert master_kills and new_master and new_master != master_kills[0], "the master was not restarted"
    assert len(kills) >= 5 and len(writers.acknowledged) > 20
    assert not writers.errors, writers.errors[:10]
    assert (lost, duplicates, missing_done) == ([], [], []), served.output()
    assert "gunicorn exited with code" in served.log.read_text(errors="replace")  # serve.py said it restarted it


@pytest.mark.postgres
def test_a_postgresql_restart_under_load_gives_503s_not_500s_and_recovers_without_restarting_the_app(tmp_path):
    bin_dir = _pg_bin()
    require(bin_dir is not None, "PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    server = PostgresServer(bin_dir)  # a cluster of its own: this test restarts it
    server.start()
    try:
        url = server.create_database("library")
        migrate(url)
        served = Served(url, tmp_path)
        label = f"Restart {uuid.uuid4().hex[:6]}"
        reads, stop_reading = Counter(), threading.Event()
        bad = []

        def read():
            while not stop_reading.is_set():
                try:
                    response = requests.get(served.url + "/api/v1/books?per_page=5", timeout=20)
                except requests.RequestException as error:
                    reads[type(error).__name__] += 1
                    continue
                reads[response.status_code] += 1
                if response.status_code >= 500 and (response.status_code not in TRANSIENT or
                                                    response.headers.get("Content-Type") != "application/problem+json"):
                    bad.append(f"{response.status_code} {response.headers.get('Content-Type')} {response.text[:200]}")
                time.sleep(0.02)

        readers = [threading.Thread(target=read, daemon=True) for _ in range(2)]
        try:
            master = served.master()
            with Writers(served, label) as writers:
                for thread in readers:
                    thread.start()
                time.sleep(2.0)
                began = time.monotonic()
                server._run(str(bin_dir / "pg_ctl"), "-D", str(server.dir / "data"), "-l", str(server.dir / "server.log"),
                            "-m", "fast", "-w", "restart")  # -l: the server must not keep our stdout pipe open
                restarted = time.monotonic()
                time.sleep(4.0)
                stop_reading.set()
            for thread in readers:
                thread.join(30)
            after = requests.get(served.url + "/api/ready", timeout=10)
            same_master = served.master() == master
        finally:
            stop_reading.set()
            served.close()
        lost, duplicates, missing_done, rows = check_writes(writers, url, label)
        print(f"\n[postgresql] restart ({restarted - began:.1f} s) under {WRITERS} writers and 2 readers: reads "
              f"{dict(reads)}, writes {dict(writers.statuses)}, {writers.retries} retries; acknowledged "
              f"{len(writers.acknowledged)}, lost {len(lost)}, duplicates {len(duplicates)}")
        assert after.status_code == 200 and same_master, "the app did not recover by itself"
        assert writers.statuses[500] == 0 and reads[500] == 0 and not bad, bad[:5]
        assert not writers.errors, writers.errors[:10]
        assert (lost, duplicates, missing_done) == ([], [], [])
        assert reads[200] > 0 and len(writers.acknowledged) > 20
    finally:
        server.stop()
