"""What an operator relies on: request ids in answers and logs, JSON logs, a quiet first start, readiness vs
liveness, and a 503 problem (never an empty 500) when the database connection dies under a request."""

import json
import logging
import subprocess
import sys

import pytest
import sqlalchemy as sa

from library import create_app, logs
from library.authz import PUBLIC, access
from library.errors import Problem

from .conftest import BACKEND_DIR
from .test_books import assert_problem


# --- request ids ----------------------------------------------------------------------------------------

def test_every_answer_has_a_request_id_and_problems_quote_it(client, anon):
    ok = anon.get("/api/v1/books")
    missing = client.get("/api/v1/books/987654")
    ids = {ok.headers["X-Request-ID"], missing.headers["X-Request-ID"]}
    assert len(ids) == 2 and all(len(i) == 32 for i in ids)  # fresh ones, one per request
    assert assert_problem(missing, 404)["request_id"] == missing.headers["X-Request-ID"]


def test_a_cached_answer_has_its_own_request_id_too(anon):
    first, second = anon.get("/api/v1/books?per_page=3"), anon.get("/api/v1/books?per_page=3")
    assert first.get_data() == second.get_data()  # the second from the response cache
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize(("sent", "kept"), [
    ("0123456789abcdef0123456789abcdef", True),  # nginx's $request_id
    ("client-chosen.id:42", True),
    ("short", False),
    ("x" * 129, False),
    ("has space inside it", False),
    ("<script>alert(1)</script>", False),
])
def test_a_valid_incoming_request_id_is_kept_and_anything_else_replaced(anon, sent, kept):
    response = anon.get("/api/v1/books/987654", headers={"X-Request-ID": sent})
    answered = response.headers["X-Request-ID"]
    assert (answered == sent) is kept
    assert response.get_json()["request_id"] == answered


def test_log_lines_of_a_request_carry_its_id(as_role, caplog):
    member = as_role("member")
    caplog.set_level(logging.INFO, logger="library")
    response = member.get("/api/v1/users", headers={"X-Request-ID": "report-me-1234"})  # a denial is logged
    assert response.status_code == 403
    denials = [r for r in caplog.records if "access denied" in r.getMessage()]
    assert [r.request_id for r in denials] == ["report-me-1234"]


def _run_flask(env, *args):
    return subprocess.run([sys.executable, "-m", "flask", "--app", "library", *args], cwd=BACKEND_DIR,
                          env={"PATH": "/usr/bin:/bin", "LIBRARY_ENV": "testing", **env},
                          capture_output=True, text=True, timeout=300)


def test_json_logs_are_one_object_per_line(database_url, tmp_path):
    """LIBRARY_LOG_FORMAT=json: each log line parses, with time, level, logger, message and request_id."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LIBRARY_ENV": "testing",
                      "LIBRARY_DATA_DIR": str(tmp_path), "LIBRARY_LOG_FORMAT": "json"})
    (handler,) = [h for h in logging.getLogger("library").handlers if getattr(h, "_library", False)]
    stream = handler.stream = __import__("io").StringIO()
    try:
        app.test_client().get("/api/v1/users", headers={"X-Request-ID": "json-line-1234"})
    finally:
        handler.stream = logs.STDERR
        with app.app_context():
            from library.extensions import db

            db.engine.dispose()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, "nothing was logged"
    denied = [line for line in lines if "access denied" in line["message"]]
    assert denied and denied[0]["request_id"] == "json-line-1234"
    assert {"time", "level", "logger", "message", "request_id"} <= set(denied[0])


def test_an_unknown_log_format_is_refused():
    with pytest.raises(RuntimeError, match="LIBRARY_LOG_FORMAT"):
        create_app({"LIBRARY_ENV": "testing", "LIBRARY_LOG_FORMAT": "xml"})


def test_the_first_start_is_quiet(tmp_path):
    """`make run` on a new database: migrate, first admin, demo data. No line per demo record (there are
    about 770 of them), only a few lines a person reads."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'library.db'}", "LIBRARY_DATA_DIR": str(tmp_path)}
    outputs = []
    for args in (("db", "upgrade"), ("ensure-admin",), ("seed-demo", "--if-empty")):
        result = _run_flask(env, *args)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    seeded = outputs[-1]
    assert "Added 200 demo book(s)." in seeded
    assert len(seeded.splitlines()) <= 3, seeded[:2000]
    # The upgrade says each schema step once (a line, two for a long description); the rest is a few lines.
    upgrade, rest = outputs[0], "".join(outputs[1:])
    steps = len(list((BACKEND_DIR / "migrations" / "versions").glob("0*.py")))
    assert upgrade.count("Running upgrade") == steps and len(upgrade.splitlines()) <= 2 + 2 * steps, upgrade[:3000]
    assert len(rest.splitlines()) <= 8, rest[:3000]


# --- liveness and readiness -----------------------------------------------------------------------------

def test_ready_when_the_database_answers_at_the_head_revision(anon):
    from library.services import revisions

    response = anon.get("/api/ready")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"status": "ready", "database": "ok", "schema": revisions.head()}
    assert response.headers["Cache-Control"] == "no-store"


def test_not_ready_before_migrating_nor_on_an_older_schema_while_alive(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LIBRARY_ENV": "testing", "LIBRARY_DATA_DIR": str(tmp_path)})
    client = app.test_client()
    assert client.get("/api/health").status_code == 200  # alive: the process and the database answer
    body = assert_problem(client.get("/api/ready"), 503)
    assert body["schema"] is None and "db upgrade" in body["detail"]

    from flask_migrate import downgrade, upgrade

    from library.extensions import db
    from library.services import revisions

    with app.app_context():
        upgrade()
        downgrade(revision="-1")
        older = revisions.current(db.session.connection())
        db.session.rollback()
    body = assert_problem(client.get("/api/ready"), 503)
    assert (body["schema"], body["expected"]) == (older, revisions.head()) and older != revisions.head()
    with app.app_context():
        upgrade()
        db.engine.dispose()
    assert client.get("/api/ready").status_code == 200


def test_not_ready_when_the_database_is_unreachable(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",
                      "LIBRARY_ENV": "testing", "LIBRARY_DATA_DIR": str(tmp_path)})
    assert assert_problem(app.test_client().get("/api/ready"), 503)["database"] == "unreachable"


# --- a connection that dies under a request (a PostgreSQL restart) ----------------------------------------

@pytest.mark.postgres
def test_an_error_on_a_dead_connection_is_a_503_problem_not_an_empty_500(pg_server, pg_template, tmp_path):
    """The request's connection is killed (as a PostgreSQL restart does) and the view then fails: the error
    handler's rollback meets the dead connection. The answer must still be a problem, and the next request
    must work without restarting anything."""
    url = pg_server.create_database(template=pg_template)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LIBRARY_ENV": "testing", "LIBRARY_DATA_DIR": str(tmp_path)})
    admin = sa.create_engine(pg_server.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    from library.extensions import db
    from library.services.catalog import book_dicts

    @access(PUBLIC)
    def dies_then_fails(kind):
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        if kind == "problem":
            raise Problem(404, "Not here.")  # the Api's handler rolls back
        if kind == "query":
            db.session.execute(sa.text("SELECT 1"))  # the query itself fails on the dead connection
        if kind == "plain":  # a plain-row read on the DB-API connection, as a book's document is written on commit
            book_dicts([1])
        raise RuntimeError("boom")  # the catch-all handler rolls back

    app.add_url_rule("/api/test/dies/<kind>", view_func=dies_then_fails)
    client = app.test_client()
    try:
        assert assert_problem(client.get("/api/test/dies/problem"), 404)["detail"] == "Not here."
        assert assert_problem(client.get("/api/test/dies/query"), 503)["detail"].startswith("The database")
        assert assert_problem(client.get("/api/test/dies/plain"), 503)["detail"].startswith("The database")
        assert_problem(client.get("/api/test/dies/unexpected"), 500)
        assert client.get("/api/v1/books").status_code == 200  # the pool replaced the dead connection
        assert client.get("/api/ready").status_code == 200
    finally:
        admin.dispose()
        with app.app_context():
            db.engine.dispose()


# --- through nginx and gunicorn -----------------------------------------------------------------------------

def _log_has(path, needle, timeout=5.0):
    import time

    deadline = time.monotonic() + timeout
    while needle not in path.read_text(errors="replace") and time.monotonic() < deadline:
        time.sleep(0.05)
    return needle in path.read_text(errors="replace")


@pytest.mark.nginx
def test_nginx_passes_the_request_id_and_gunicorn_logs_it(stack):
    import requests

    chosen = f"report-{__import__('uuid').uuid4().hex[:12]}"
    mine = requests.get(stack.url + "/api/v1/books/987654321", headers={"X-Request-ID": chosen}, timeout=10)
    assert mine.headers["X-Request-ID"] == chosen == mine.json()["request_id"]
    assert _log_has(stack.gunicorn_log, f"request_id={chosen}")

    made = requests.get(stack.url + "/api/v1/books/987654321", headers={"X-Request-ID": "bad id"}, timeout=10)
    nginx_id = made.headers["X-Request-ID"]
    assert len(nginx_id) == 32 and int(nginx_id, 16) >= 0  # nginx's $request_id
    assert made.json()["request_id"] == nginx_id and _log_has(stack.gunicorn_log, f"request_id={nginx_id}")


def test_gunicorn_writes_json_lines_with_library_log_format_json(tmp_path):
    """Under gunicorn with LIBRARY_LOG_FORMAT=json, every line of its log is a JSON object: gunicorn's own,
    the access lines (with the request id) and the app's."""
    import os
    import secrets

    import requests

    from library.serve import free_port, start_gunicorn, stop, wait_for_http

    from .conftest import migrate

    url = f"sqlite:///{tmp_path / 'library.db'}"
    migrate(url)
    bind = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "DATABASE_URL": url, "LIBRARY_ENV": "testing", "SECRET_KEY": secrets.token_urlsafe(48),
           "LIBRARY_LOG_FORMAT": "json", "LIBRARY_DATA_DIR": str(tmp_path)}
    log = tmp_path / "gunicorn.log"
    proc = start_gunicorn(bind, workers=1, env=env, log_path=log)
    try:
        wait_for_http(f"http://{bind}/api/health", timeout=60, procs=[proc])
        requests.get(f"http://{bind}/api/v1/users", headers={"X-Request-ID": "json-access-123"}, timeout=10)
        assert _log_has(log, '"json-access-123"') and _log_has(log, "access denied")
    finally:
        stop(proc)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    access = [line for line in lines if line.get("path") == "/api/v1/users"]
    assert access and access[0]["status"] == 401 and access[0]["request_id"] == "json-access-123"
    app_lines = [line for line in lines if "access denied" in line.get("message", "")]
    assert app_lines and app_lines[0]["request_id"] == "json-access-123"
    assert any(line.get("logger") == "gunicorn.error" for line in lines)
