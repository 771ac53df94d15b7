"""/api/metrics: Prometheus metrics by route template, cache, logins and circulation events; who may scrape;
and, through the real nginx + gunicorn stack, every worker's counts added up (multiprocess mode)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from library.metrics import FLUSH_SECONDS

from .conftest import PASSWORD
from .factories import create_book
from .test_books import assert_problem


def samples(text):
    """{(name, frozenset(labels.items())): value} of a scrape."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(scrape, name, **labels):
    return scrape.get((name, frozenset(labels.items())), 0.0)


def scrape(client, **kwargs):
    response = client.get("/api/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/plain")
    return samples(response.get_data(as_text=True))


def test_requests_are_counted_by_route_template_and_timed(anon, client):
    book = create_book(client)
    before = scrape(anon)
    for _ in range(3):
        anon.get(f"/api/v1/books/{book['id']}")
    anon.get("/api/v1/books/987654321")
    anon.get("/no/such/path")
    after = scrape(anon)
    route = "/api/v1/books/<id:book_id>"
    ok = dict(method="GET", route=route, status="200")
    assert value(after, "library_http_requests_total", **ok) - value(before, "library_http_requests_total", **ok) == 3
    missing = dict(method="GET", route=route, status="404")
    assert value(after, "library_http_requests_total", **missing) - value(before, "library_http_requests_total",
                                                                          **missing) == 1
    unmatched = dict(method="GET", route="unmatched", status="404")
    assert value(after, "library_http_requests_total", **unmatched) > value(before, "library_http_requests_total",
                                                                            **unmatched)
    count = value(after, "library_http_request_duration_seconds_count", method="GET", route=route)
    assert count - value(before, "library_http_request_duration_seconds_count", method="GET", route=route) == 4
    # Each answer in the buckets its time falls in (cumulative: every one in +Inf), and its time in the sum.
    buckets = [(float(labels["le"]), after[(name, frozen)] - before.get((name, frozen), 0.0))
               for (name, frozen) in after if name == "library_http_request_duration_seconds_bucket"
               for labels in [dict(frozen)] if labels["route"] == route and labels["method"] == "GET"]
    assert dict(buckets)[float("inf")] == 4
    assert [number for _bound, number in sorted(buckets)] == sorted(number for _bound, number in buckets)
    timed = value(after, "library_http_request_duration_seconds_sum", method="GET", route=route)
    assert 0 < timed - value(before, "library_http_request_duration_seconds_sum", method="GET", route=route) < 30
    assert not any("987654321" in str(labels) for _, labels in after)  # ids never become labels


def test_response_cache_hits_and_misses_are_counted(anon, client):
    """A page, a search and a book page computed once are kept and answered again from the cache (the version they
    are kept under is read by the statement, or the search's first statement, that computed them: it must be the
    one a later request reads)."""
    book = create_book(client, title="Metered garden")
    before = scrape(anon)
    urls = ("/api/v1/books?per_page=2&sort=title", "/api/v1/books?q=garden", f"/api/v1/books/{book['id']}")
    for url in urls:
        first = anon.get(url)  # miss, then kept
        assert anon.get(url).data == first.data  # hit, answered before Flask runs
        anon.get(url)
    after = scrape(anon)
    assert value(after, "library_response_cache_total", result="hit") - \
        value(before, "library_response_cache_total", result="hit") == 6
    assert value(after, "library_response_cache_total", result="miss") - \
        value(before, "library_response_cache_total", result="miss") == 3
    # A hit still counts as a request of its route.
    for route in ("/api/v1/books", "/api/v1/books/<id:book_id>"):
        labels = dict(method="GET", route=route, status="200")
        assert value(after, "library_http_requests_total", **labels) - value(before, "library_http_requests_total",
                                                                             **labels) == (6 if route == "/api/v1/books" else 3)


def test_logins_and_circulation_events_are_counted_once_committed(app, anon, client, make_user):
    from .test_accounts import email_of

    email = email_of(app, make_user("member"))
    before = scrape(anon)
    assert anon.post("/api/v1/auth/login", json={"email": email, "password": "not it at all"}).status_code == 401
    assert anon.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
    book = create_book(client)
    copy = client.post(f"/api/v1/books/{book['id']}/copies", json={"barcode": "MET-1"}).get_json()
    member = client.post("/api/v1/members", json={"card_number": "MET-M1", "name": "Metric Member"}).get_json()
    assert client.post("/api/v1/loans", json={"barcode": "MET-1", "card_number": "MET-M1"}).status_code == 201
    assert client.post("/api/v1/loans", json={"barcode": "MET-1", "card_number": "MET-M1"}).status_code == 409
    assert client.post("/api/v1/returns", json={"barcode": copy["barcode"]}).status_code == 200
    after = scrape(anon)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("library_logins_total", result="failure") == 1
    assert delta("library_logins_total", result="success") == 1
    assert delta("library_events_total", action="loan.checkout") == 1  # the refused second one is not counted
    assert delta("library_events_total", action="loan.return") == 1
    assert member["id"] and delta("library_events_total", action="member.create") == 1


def test_gauge_hooks_are_read_at_scrape_time(anon):
    from library import metrics

    depth = [3]
    metrics.add_gauge_hook("library_test_outbox_depth", "Notices waiting (a test hook)", lambda: depth[0])
    try:
        assert value(scrape(anon), "library_test_outbox_depth") == 3
        depth[0] = 5
        assert value(scrape(anon), "library_test_outbox_depth") == 5
    finally:
        metrics._gauge_hooks.pop("library_test_outbox_depth")


def test_database_pool_and_errors_are_exposed(anon):
    scraped = scrape(anon)
    assert ("library_db_connections_in_use", frozenset()) in scraped
    names = {name for name, _ in scraped}
    assert {"library_http_requests_total", "library_response_cache_total"} <= names


def test_a_proxied_scrape_needs_the_token(make_app):
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    open_app = make_app()
    assert_problem(open_app.test_client().get("/api/metrics", headers=forwarded), 403)

    guarded = make_app(LIBRARY_METRICS_TOKEN="s3cret-scrape-token-0123456789").test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic czNjcmV0"}):
        response = guarded.get("/api/metrics", headers={**forwarded, **headers})
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    ok = guarded.get("/api/metrics", headers={**forwarded, "Authorization": "Bearer s3cret-scrape-token-0123456789"})
    assert ok.status_code == 200 and b"library_http_requests_total" in ok.data


FORKED_COUNTS = """
import json, os, sys
from library import metrics
metrics.cache_lookup(hit=True)  # the master, before the fork, as gunicorn's preloaded app could
child = os.fork()
if child == 0:
    metrics.cache_lookup(hit=True)
    metrics.cache_lookup(hit=True)
    sys.exit(0)  # as gunicorn's workers exit: what the worker has tallied is written then
os.waitpid(child, 0)
metrics.cache_lookup(hit=False)
print(json.dumps({"master": os.getpid(), "worker": child}))
"""


def test_a_forked_worker_counts_in_its_own_file(tmp_path):
    """gunicorn forks its workers from the master that built the app: a worker's counts go to a file of its own,
    named by its pid, never into the master's (the process id is kept by a fork hook, not asked of the system on
    every count), and a scrape adds up every process's."""
    from prometheus_client import CollectorRegistry, multiprocess

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    found = subprocess.run([sys.executable, "-c", FORKED_COUNTS], env=env, capture_output=True, text=True, check=False,
                           cwd=Path(__file__).parents[1], timeout=60)
    assert found.returncode == 0, found.stderr
    pids = json.loads(found.stdout)
    assert {f"counter_{pids['master']}.db", f"counter_{pids['worker']}.db"} <= set(os.listdir(tmp_path))

    def hits():
        registry = CollectorRegistry()
        collector = multiprocess.MultiProcessCollector(registry, path=str(tmp_path))
        samples_ = {(s.name, s.labels.get("result")): s.value for family in collector.collect()
                    for s in family.samples}
        return samples_.get(("library_response_cache_total", "hit"), 0), samples_.get(
            ("library_response_cache_total", "miss"), 0)

    assert hits() == (3, 1)  # the master's one hit and one miss, the worker's two hits
    (tmp_path / f"counter_{pids['master']}.db").unlink()
    assert hits() == (2, 0)  # the worker's own file holds exactly its own


# --- through nginx and gunicorn -----------------------------------------------------------------------------

@pytest.mark.nginx
def test_every_workers_counts_are_added_up_and_nginx_refuses_outsiders(stack):
    direct = stack.backend_url + "/api/metrics"
    labels = dict(method="GET", route="/api/v1/books/<id:book_id>", status="404")
    before = value(samples(requests.get(direct, timeout=10).text), "library_http_requests_total", **labels)
    for _ in range(40):  # a connection each: nginx spreads them over the 4 workers
        assert requests.get(stack.url + "/api/v1/books/987654321", timeout=10).status_code == 404
    # Each worker writes its counts at least once a second (metrics.FLUSH_SECONDS): all 40, and no more, within a
    # few seconds.
    deadline = time.monotonic() + 10 * FLUSH_SECONDS
    while True:
        after = value(samples(requests.get(direct, timeout=10).text), "library_http_requests_total", **labels)
        if after - before >= 40 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert after - before == 40

    outside = requests.get(stack.url + "/api/metrics", timeout=10)  # nginx: no credentials
    assert outside.status_code == 403 and outside.headers["Content-Type"] == "application/problem+json"
    forged = requests.get(stack.url + "/api/metrics", headers={"Authorization": "Bearer guess"}, timeout=10)
    assert forged.status_code == 403 and forged.json()["detail"].startswith("Metrics are served")  # the app
