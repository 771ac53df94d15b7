"""Several app servers on one PostgreSQL (what `docker compose up --scale backend=N` runs), natively: two gunicorn
instances behind one nginx upstream. No state lives in a worker that another needs: the circulation races come
out the same, a write through one is never served stale by the other (each has its own response cache),
sessions and the login throttle are shared, and Idempotency-Keys hold across both."""

import shutil
import uuid
from pathlib import Path

import pytest
import requests

from library.serve import free_port, start_gunicorn, stop, wait_for_http
from library.services.auth import FREE_FAILURES
from tests.conftest import require
from tests.stack import Stack, client_from
from tests.test_circulation_races import (  # noqa: F401 - collected here again, on the two-instance stack
    Desk, test_x01_last_copy_goes_to_exactly_one_of_50, test_x04_member_limit_holds_under_10_simultaneous_checkouts,
    test_x05_two_returns_capture_two_copies_for_two_holds, test_x06_double_submit_makes_one_loan,
)

pytestmark = [pytest.mark.nginx, pytest.mark.postgres]
INSTANCES, WORKERS = 2, 2


class Cluster(Stack):
    """Stack with INSTANCES gunicorn instances (WORKERS each) behind nginx's one upstream, on one database.
    backend_urls: each instance directly; backend_url: the first; they share one log file."""

    def __init__(self, database_url):
        super().__init__(database_url)
        self.backend_urls = [self.backend_url] + [f"http://127.0.0.1:{free_port()}" for _ in range(INSTANCES - 1)]
        self._instances = []

    def start_backend(self):
        for url in self.backend_urls:
            self._instances.append(start_gunicorn(url.removeprefix("http://"), workers=WORKERS, env=self.env,
                                                  log_path=self.gunicorn_log))
        for url in self.backend_urls:
            wait_for_http(url + "/api/ready", timeout=60, procs=self._instances)

    def start_nginx(self):
        from library.serve import render_nginx_config, start_nginx

        from tests.stack import FRONTEND_DIR

        run_dir = self.dir / "nginx"
        render_nginx_config(run_dir, self.port, [u.removeprefix("http://") for u in self.backend_urls], FRONTEND_DIR)
        self._nginx = start_nginx(run_dir, log_path=self.nginx_log)
        wait_for_http(self.url + "/api/health", timeout=30, procs=[self._nginx])

    def close(self):
        for proc in self._instances:
            stop(proc)
        super().close()


@pytest.fixture(scope="module")
def cluster(request):
    require(shutil.which("nginx") is not None, "nginx is not installed (apt-get install nginx)")
    pg_server = request.getfixturevalue("pg_server")
    cluster = Cluster(pg_server.create_database(f"library_cluster_{uuid.uuid4().hex[:8]}"))
    try:
        cluster.flask("db", "upgrade")
        cluster.create_users()
        cluster.start_backend()
        cluster.start_nginx()
    except (RuntimeError, TimeoutError) as exc:
        tails = cluster.log_tails()
        cluster.close()
        pytest.fail(f"the two-instance stack did not start: {exc}\n{tails}", pytrace=False)
    failed = request.session.testsfailed
    yield cluster
    if request.session.testsfailed > failed:
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("-", "two-instance stack logs")
            reporter.write_line(cluster.log_tails())
    cluster.close()


@pytest.fixture(scope="module")
def desk(cluster):
    """The circulation race tests' desk (tests/test_circulation_races.py), on the two instances."""
    desk = Desk(cluster, "postgresql, 2 instances")
    yield desk
    desk.close()


@pytest.fixture(scope="module")
def librarian(cluster):
    token = cluster.flask("create-token", cluster.users["librarian"][0], "--name", "cluster",
                          "--scopes", "read,write").split()[-1]
    return {"Authorization": f"Bearer {token}"}


def test_nginx_spreads_requests_over_both_instances(cluster):
    for _ in range(20):
        assert requests.get(cluster.url + "/api/v1/books/987654321", timeout=10).status_code == 404
    log = cluster.gunicorn_log.read_text()
    pids = {line.split("worker=<")[1].split(">")[0] for line in log.splitlines()
            if "/api/v1/books/987654321" in line and "worker=<" in line}
    # Which worker of an instance accepts is the kernel's choice (serial requests often wake the same one), so
    # the outcome is that every instance answered: each worker's parent is one of the instances' masters.
    masters = {str(proc.pid) for proc in cluster._instances}
    parents = {_parent(pid) for pid in pids}
    assert parents == masters, f"workers {pids} of masters {parents} answered, not every one of {masters}"


def _parent(pid):
    """The parent process id of a running process (Linux /proc), as a string."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("PPid:"):
            return line.split()[1]
    raise AssertionError(f"no PPid for {pid}")


def test_a_write_through_one_is_never_served_stale_by_the_other(cluster, librarian):
    one, other = cluster.backend_urls
    book = requests.post(one + "/api/v1/books", json={"title": "Coherent 0"}, headers=librarian, timeout=10).json()
    page = f"/api/v1/books/{book['id']}"
    listing = "/api/v1/books?q=coherent&per_page=5"
    for n in range(1, 11):
        for _ in range(2):  # the second read comes from the other instance's response cache
            assert requests.get(other + page, timeout=10).json()["title"] == f"Coherent {n - 1}"
            requests.get(other + listing, timeout=10)
        writer, reader = (one, other) if n % 2 else (other, one)
        changed = requests.patch(writer + page, json={"title": f"Coherent {n}"}, headers=librarian, timeout=10)
        assert changed.status_code == 200
        assert requests.get(reader + page, timeout=10).json()["title"] == f"Coherent {n}", f"stale after write {n}"
        titles = [b["title"] for b in requests.get(reader + listing, timeout=10).json()["items"]]
        assert titles == [f"Coherent {n}"], f"stale list after write {n}: {titles}"


def test_a_session_opened_on_one_works_and_ends_on_the_other(cluster):
    one, other = cluster.backend_urls
    email, password = cluster.users["member"]
    browser = requests.Session()
    login = browser.post(one + "/api/v1/auth/login", json={"email": email, "password": password}, timeout=30)
    assert login.status_code == 200
    csrf = login.json()["csrf_token"]
    assert browser.get(other + "/api/v1/auth/me", timeout=10).json()["user"]["email"] == email
    assert browser.post(other + "/api/v1/auth/logout", headers={"X-CSRFToken": csrf}, timeout=10).status_code == 204
    browser.cookies.set("library_session", login.cookies["library_session"])  # keep the old cookie anyway
    after = browser.get(one + "/api/v1/auth/me", timeout=10)
    assert after.status_code == 200 and after.json()["user"] is None  # a visitor again, on either instance


def test_failed_logins_through_either_instance_count_for_the_account(cluster):
    email, _ = cluster.create_user(f"throttled-{uuid.uuid4().hex[:8]}@cluster.test", "member")
    statuses = []
    client = client_from("127.0.3.1")
    for attempt in range(FREE_FAILURES + 1):
        url = cluster.backend_urls[attempt % 2]  # alternate: neither instance alone sees them all
        statuses.append(client.post(url + "/api/v1/auth/login", json={"email": email, "password": "wrong guess"},
                                    timeout=30).status_code)
    assert statuses == [401] * FREE_FAILURES + [429]


def test_an_idempotency_key_holds_across_instances(cluster, librarian):
    one, other = cluster.backend_urls
    body, key = {"title": f"Once {uuid.uuid4().hex[:8]}"}, str(uuid.uuid4())
    first = requests.post(one + "/api/v1/books", json=body, headers={**librarian, "Idempotency-Key": key}, timeout=10)
    again = requests.post(other + "/api/v1/books", json=body, headers={**librarian, "Idempotency-Key": key},
                          timeout=10)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    found = requests.get(other + "/api/v1/books", params={"q": body["title"]}, timeout=10).json()
    assert found["total"] == 1
