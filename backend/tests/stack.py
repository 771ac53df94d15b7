"""The real topology on loopback, for integration and browser tests: nginx -> gunicorn (4 workers) -> PostgreSQL,
with the background worker beside them, and a local SMTP server (stack.mail) that catches the notices it sends.

    def test_something(stack):
        requests.get(stack.url + "/api/v1/books")        # through nginx, as a browser would
        librarian = stack.login("librarian")              # a requests.Session with the cookie and X-CSRFToken
        librarian.post(stack.url + "/api/v1/books", json={...})
        email, password = stack.users["member"]
        stack.stop_backend(); ...; stack.start_backend()  # gunicorn down: nginx answers 502

Built with the same pieces as `make run` (library.serve) and the same nginx template as docker compose.
Logs go to a temporary folder; their tails are printed when a test of the session failed.
"""

import itertools
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.mailcatcher import MailCatcher
from library.serve import (BACKEND_DIR, FRONTEND_DIR, covers_root, free_port, render_nginx_config, start_gunicorn,
                           start_nginx, start_worker, stop, wait_for_http)

GUNICORN_WORKERS = 4
ROLES = ("admin", "librarian", "member")
LOGIN_PATH = "/api/v1/auth/login"


class _SourceAddressAdapter(HTTPAdapter):
    """Connect from a given local address, e.g. 127.0.0.7: on Linux all of 127.0.0.0/8 is loopback."""

    def __init__(self, address, **kwargs):
        self._source_address = (address, 0)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs, source_address=self._source_address)


def client_from(address):
    """A requests.Session whose connections come from the loopback address `address` (nginx sees it as
    the client IP, so it has its own login rate-limit bucket)."""
    session = requests.Session()
    adapter = _SourceAddressAdapter(address)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class Stack:
    """A running nginx + gunicorn pair. url: nginx; backend_url: gunicorn directly (no nginx).

    users: {"admin" | "librarian" | "member": (email, password)}, accounts made with the CLI.
    """

    def __init__(self, database_url):
        self.database_url = database_url
        self.dir = Path(tempfile.mkdtemp(prefix="library-stack."))
        self.dir.chmod(0o755)  # nginx workers run as nobody
        self.port, backend_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.backend_url = f"http://127.0.0.1:{backend_port}"
        self.gunicorn_log = self.dir / "gunicorn.log"
        self.worker_log = self.dir / "worker.log"
        self.nginx_log = self.dir / "nginx.log"
        # A local SMTP server catches the notices the worker sends (stack.mail.messages); links in them use self.url.
        self.mail = MailCatcher()
        self.env = {**os.environ, "DATABASE_URL": database_url, "LIBRARY_ENV": "testing",
                    "LIBRARY_PROXY_HOPS": "1", "SECRET_KEY": secrets.token_urlsafe(48), "LIBRARY_PUBLIC_URL": self.url,
                    "LIBRARY_DATA_DIR": str(self.dir / "data"),  # covers, served by nginx from data/covers
                    **self.mail.env()}
        for name in ("LIBRARY_FRONTEND_DIR", "WEB_CONCURRENCY", "GUNICORN_BIND"):
            self.env.pop(name, None)
        self._gunicorn = self._nginx = self._worker = None
        self.users = {}
        # Each login of login() comes from its own loopback address (127.0.2.1 ... 127.0.2.254, in turn),
        # so the fixtures' logins never use up nginx's per-IP login limit (10/min after a burst of 20),
        # neither their own nor 127.0.0.1's, which the browser tests log in from.
        self._login_addresses = itertools.cycle(f"127.0.2.{n}" for n in range(1, 255))

    def flask(self, *args, input=None):
        """Run a `flask --app library` command against the stack's database (input: its stdin)."""
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "library", *args], cwd=BACKEND_DIR,
                                env=self.env, input=input, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def create_user(self, email, role, password=None, name=None):
        """Create an account with the CLI (`create-user --password-stdin`); returns (email, password)."""
        password = password or secrets.token_urlsafe(18)
        self.flask("create-user", email, "--role", role, "--name", name or f"Stack {role}", "--password-stdin",
                   input=password + "\n")
        return email, password

    def create_users(self):
        """One account per role, with known random passwords: stack.users[role] = (email, password)."""
        for role in ROLES:
            self.users[role] = self.create_user(f"{role}@stack.test", role)

    def login(self, role):
        """A requests.Session logged in as stack.users[role] through nginx: it holds the session cookie and
        sends the X-CSRFToken header from the login response with every request."""
        email, password = self.users[role]
        session = client_from(next(self._login_addresses))
        response = session.post(self.url + LOGIN_PATH, json={"email": email, "password": password}, timeout=30)
        if response.status_code != 200:
            raise AssertionError(f"login as {role} ({email}) failed: {response.status_code} {response.text}")
        session.headers["X-CSRFToken"] = response.json()["csrf_token"]
        return session

    def start_backend(self):
        """Start gunicorn (again) on the same port and wait until it is healthy."""
        if self._gunicorn is None or self._gunicorn.poll() is not None:
            self._gunicorn = start_gunicorn(self.backend_url.removeprefix("http://"), workers=GUNICORN_WORKERS,
                                            env=self.env, log_path=self.gunicorn_log)
        wait_for_http(self.backend_url + "/api/health", timeout=60, procs=[self._gunicorn])

    def start_worker(self):
        """Start the background worker (jobs and periodic tasks), as `make run` and compose do."""
        if self._worker is None or self._worker.poll() is not None:
            self._worker = start_worker(env=self.env, log_path=self.worker_log)

    def stop_backend(self):
        """Stop gunicorn; nginx stays up (and answers /api with 502)."""
        stop(self._gunicorn)

    def start_nginx(self):
        run_dir = self.dir / "nginx"
        render_nginx_config(run_dir, self.port, self.backend_url.removeprefix("http://"), FRONTEND_DIR,
                            covers_root(self.env), self.url)
        self._nginx = start_nginx(run_dir, log_path=self.nginx_log)
        wait_for_http(self.url + "/api/health", timeout=30, procs=[self._nginx])

    def log_tails(self, lines=40):
        """The last lines of the gunicorn, nginx error and nginx access logs."""
        parts = []
        for path in (self.gunicorn_log, self.worker_log, self.nginx_log, self.dir / "nginx" / "access.log"):
            text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else ["(no log)"]
            parts.append(f"--- {path.name} (last {lines} lines) ---\n" + "\n".join(text))
        return "\n".join(parts)

    def close(self):
        stop(self._nginx)
        stop(self._worker)
        stop(self._gunicorn)
        self.mail.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def stack(request):
    """nginx on a free port in front of gunicorn (4 workers, LIBRARY_ENV=testing) on a migrated, seeded
    PostgreSQL database with one account per role (stack.users), serving frontend/. Yields a Stack;
    everything is stopped at the end of the session."""
    from tests.conftest import require  # here, not at import: conftest imports this module

    require(shutil.which("nginx") is not None, "nginx is not installed (apt-get install nginx)")
    pg_server = request.getfixturevalue("pg_server")  # only once nginx is known to be there
    stack = Stack(pg_server.create_database("library_stack"))
    try:
        stack.flask("db", "upgrade")
        stack.flask("seed-demo")
        stack.create_users()
        stack.mail.start()
        stack.start_backend()
        stack.start_worker()
        stack.start_nginx()
    except (RuntimeError, TimeoutError) as exc:
        tails = stack.log_tails()
        stack.close()
        pytest.fail(f"the nginx + gunicorn stack did not start: {exc}\n{tails}", pytrace=False)
    try:
        yield stack
    finally:
        if request.session.testsfailed:
            reporter = request.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_sep("-", "stack logs")
                reporter.write_line(stack.log_tails())
        stack.close()
