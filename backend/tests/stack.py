"""The real topology on loopback, for integration and browser tests: nginx -> gunicorn (4 workers) -> PostgreSQL.

    def test_something(stack):
        requests.get(stack.url + "/api/v1/books")        # through nginx, as a browser would
        stack.stop_backend(); ...; stack.start_backend()  # gunicorn down: nginx answers 502

Built with the same pieces as `make run` (library.serve) and the same nginx template as docker compose.
Logs go to a temporary folder; their tails are printed when a test of the session failed.
"""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from library.serve import (BACKEND_DIR, FRONTEND_DIR, free_port, render_nginx_config, start_gunicorn,
                           start_nginx, stop, wait_for_http)

GUNICORN_WORKERS = 4


class Stack:
    """A running nginx + gunicorn pair. url: nginx; backend_url: gunicorn directly (no nginx)."""

    def __init__(self, database_url):
        self.database_url = database_url
        self.dir = Path(tempfile.mkdtemp(prefix="library-stack."))
        self.dir.chmod(0o755)  # nginx workers run as nobody
        self.port, backend_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.backend_url = f"http://127.0.0.1:{backend_port}"
        self.gunicorn_log = self.dir / "gunicorn.log"
        self.nginx_log = self.dir / "nginx.log"
        self.env = {**os.environ, "DATABASE_URL": database_url, "LIBRARY_ENV": "testing",
                    "LIBRARY_PROXY_HOPS": "1", "SECRET_KEY": secrets.token_urlsafe(48)}
        for name in ("LIBRARY_FRONTEND_DIR", "WEB_CONCURRENCY", "GUNICORN_BIND"):
            self.env.pop(name, None)
        self._gunicorn = self._nginx = None

    def flask(self, *args):
        """Run a `flask --app library` command against the stack's database."""
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "library", *args], cwd=BACKEND_DIR,
                                env=self.env, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start_backend(self):
        """Start gunicorn (again) on the same port and wait until it is healthy."""
        if self._gunicorn is None or self._gunicorn.poll() is not None:
            self._gunicorn = start_gunicorn(self.backend_url.removeprefix("http://"), workers=GUNICORN_WORKERS,
                                            env=self.env, log_path=self.gunicorn_log)
        wait_for_http(self.backend_url + "/api/health", timeout=60, procs=[self._gunicorn])

    def stop_backend(self):
        """Stop gunicorn; nginx stays up (and answers /api with 502)."""
        stop(self._gunicorn)

    def start_nginx(self):
        run_dir = self.dir / "nginx"
        render_nginx_config(run_dir, self.port, self.backend_url.removeprefix("http://"), FRONTEND_DIR)
        self._nginx = start_nginx(run_dir, log_path=self.nginx_log)
        wait_for_http(self.url + "/api/health", timeout=30, procs=[self._nginx])

    def log_tails(self, lines=40):
        """The last lines of the gunicorn, nginx error and nginx access logs."""
        parts = []
        for path in (self.gunicorn_log, self.nginx_log, self.dir / "nginx" / "access.log"):
            text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else ["(no log)"]
            parts.append(f"--- {path.name} (last {lines} lines) ---\n" + "\n".join(text))
        return "\n".join(parts)

    def close(self):
        stop(self._nginx)
        stop(self._gunicorn)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def stack(request):
    """nginx on a free port in front of gunicorn (4 workers, LIBRARY_ENV=testing) on a migrated, seeded
    PostgreSQL database, serving frontend/. Yields a Stack; everything is stopped at the end of the session."""
    from tests.conftest import require  # here, not at import: conftest imports this module

    require(shutil.which("nginx") is not None, "nginx is not installed (apt-get install nginx)")
    pg_server = request.getfixturevalue("pg_server")  # only once nginx is known to be there
    stack = Stack(pg_server.create_database("library_stack"))
    try:
        stack.flask("db", "upgrade")
        stack.flask("seed-demo")
        stack.start_backend()
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
