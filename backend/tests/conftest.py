"""Fixtures: a fresh app per test on SQLite and on PostgreSQL (a throwaway cluster), through the public factory.

Tests that need nginx, PostgreSQL or Chromium skip on a user's machine when those are missing, saying why;
under CI (CI=true) or LIBRARY_REQUIRE_ALL=1 such a skip is a failure instead.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from library import create_app
from library.extensions import db as _db

BACKEND_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BACKEND_DIR.parent
STRICT = os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.environ.get("LIBRARY_REQUIRE_ALL") == "1"


def require(condition, reason):
    """Skip (on a user's machine) or fail (under CI) when something the test needs is missing."""
    if condition:
        return
    if STRICT:
        pytest.fail(f"required under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_a_lock_wait(watcher, condition: str, alive=lambda: True, timeout: float = 20) -> None:
    """PostgreSQL: wait until a backend of this database waits for a lock and matches condition (SQL on
    pg_stat_activity's columns, e.g. "wait_event = 'advisory'"): the moment to let the lock go in a test of two
    writers meeting. watcher: a connection of its own; alive(): False when the waiting side has died (then fail)."""
    import time

    deadline = time.monotonic() + timeout
    while not watcher.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            f"AND wait_event_type = 'Lock' AND {condition}")).scalar():
        assert time.monotonic() < deadline and alive(), f"no backend waited for a lock with {condition}"
        time.sleep(0.02)


def _pg_bin():
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """A throwaway PostgreSQL cluster on 127.0.0.1; databases are made per test from a migrated template."""

    def __init__(self, bin_dir):
        self.bin_dir = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="library-pg-"))
        self.port = free_port()
        self.admin_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._engine = None

    def _run(self, *args):
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, *args], check=True, capture_output=True, text=True)

    def start(self):
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        data = self.dir / "data"
        self._run(str(self.bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync", "--no-instructions")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "server.log"), "-w",
                  "-o", options, "start")
        self._engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)

    def create_database(self, name=None, template=None):
        """Create an empty database (or a copy of template) and return its SQLAlchemy URL."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with self._engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self):
        if self._engine is not None:
            self._engine.dispose()
        data = self.dir / "data"
        if data.exists():
            try:
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL cluster for the whole run (about a second to start)."""
    bin_dir = _pg_bin()
    require(bin_dir is not None, "PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    server = PostgresServer(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def migrate(url):
    """Apply the migrations, exactly as deployments do."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LIBRARY_ENV": "testing"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server):
    url = pg_server.create_database("library_template")
    migrate(url)
    return "library_template"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, migrated database for one test, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "library.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    pg_server = request.getfixturevalue("pg_server")
    return pg_server.create_database(template=request.getfixturevalue("pg_template"))


@pytest.fixture
def make_app(database_url, tmp_path):
    """Apps on this test's database with extra config; their connections are closed at the end."""
    made = []

    def make(**config):
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LIBRARY_ENV": "testing", "TESTING": True,
                          "LIBRARY_DATA_DIR": str(tmp_path), **config})
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            _db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


PASSWORD = "correct horse battery staple"  # not in the common-password list


@pytest.fixture
def make_user(app):
    """Create a user directly (as the CLI would); returns its id."""

    def make(role="member", email=None, password=PASSWORD, name=None, active=True):
        from library.models import User
        from library.services import passwords

        with app.app_context():
            user = User(email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.org", display_name=name or role.title(),
                        role=role, is_active=active, password_hash=passwords.hash_password(password, app.config["LIBRARY_ARGON2"]))
            _db.session.add(user)
            _db.session.commit()
            return user.id

    return make


@pytest.fixture
def make_token(app):
    """A raw API token for a user id, with the given scopes (default: all the role allows)."""

    def make(user_id, scopes=None, days=30):
        from library.models import User
        from library.services import auth

        with app.app_context():
            user = _db.session.get(User, user_id)
            wanted = scopes or sorted(auth.ROLE_SCOPES[user.role])
            _token, raw = auth.create_token(user, "test", wanted, days, frozenset(auth.SCOPES))
            return raw

    return make


@pytest.fixture
def as_role(app, make_user, make_token):
    """A test client that sends a bearer token of a fresh user with that role; None gives an anonymous client."""

    def client_for(role, scopes=None):
        client = app.test_client()
        if role is not None:
            client.user_id = make_user(role)
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {make_token(client.user_id, scopes)}"
        return client

    return client_for


@pytest.fixture
def client(as_role):
    """The catalog's everyday client: a librarian with a read/write token."""
    return as_role("librarian")


@pytest.fixture
def anon(app):
    return app.test_client()


@pytest.fixture
def scalar(app):
    """Run one SELECT in its own app context (as a separate client would) and return its scalar."""

    def run(statement):
        with app.app_context():
            return _db.session.scalar(statement)

    return run


from tests.stack import stack  # noqa: E402,F401  (the real topology: nginx in front of gunicorn on PostgreSQL)
from tests.browser import app_page, browser_type_launch_args, console_errors, signed_in  # noqa: E402,F401
