"""Prometheus metrics (prometheus_client), served at /api/metrics (api/metrics.py).

Under gunicorn every worker writes its values to files in PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py makes a
fresh one per start), and a scrape of any worker adds up all of them; elsewhere (the Flask test client, the
CLI) the values live in the process. What is counted:

- library_http_requests_total{method, route, status} and library_http_request_duration_seconds{method, route}:
  every answer, by route template (/api/v1/books/<id:book_id>, never the raw path), cached ones included;
- library_db_connections_in_use (pool checkouts now, all workers) and library_db_errors_total{kind}
  (disconnect, integrity, operational, other);
- library_response_cache_total{result} (hit, miss) for the public catalog's response cache;
- library_logins_total{result} (success, failure, throttled);
- library_events_total{action}: committed audit events (loan.checkout, loan.return, loan.renew, hold.place,
  hold.cancel, hold.expire, auth.login ...): the circulation counters;
- gauges computed at scrape time from hooks (add_gauge_hook), e.g. an outbox depth once notices exist.

The requests, their times and the cache lookups are tallied in the process first and written to prometheus' values
at least once a second (FLUSH_SECONDS, by a thread of the process), before any scrape the process answers, and
when it exits: writing them on every request (a lock, a process check and a write to the mmapped file for each of
four values) cost more than a book page's own Python. A scrape so sees another worker's last second of requests
a second late at most; a worker killed outright (gunicorn's timeout) loses its last second of counts.
"""

import atexit
import logging
import os
import threading
import time
from bisect import bisect_left
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from . import forks

CONTENT_TYPE = CONTENT_TYPE_LATEST
ROUTE_KEY = "library.route"  # the WSGI environ key of the matched route template
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LOGIN_RESULTS = {"auth.login": "success", "auth.login_failed": "failure"}

# In multiprocess mode each count checks that this process is still the one its file belongs to; with os.getpid,
# the default, that was four system calls a request. forks.current gives the same id, kept by a fork hook
# (prometheus_client's MultiProcessValue takes the function for this). Chosen, as prometheus_client chooses it, by
# the variable, and before the first metric is made.
if values.ValueClass is not values.MutexValue:
    values.ValueClass = values.MultiProcessValue(process_identifier=forks.current)

REQUESTS = Counter("library_http_requests_total", "HTTP requests answered, by method, route template and status",
                   ["method", "route", "status"])
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, float("inf"))
LATENCY = Histogram("library_http_request_duration_seconds", "Time to answer, by method and route template",
                    ["method", "route"], buckets=LATENCY_BUCKETS)
DB_CONNECTIONS = Gauge("library_db_connections_in_use", "Database connections checked out of the pools",
                       multiprocess_mode="livesum")
DB_ERRORS = Counter("library_db_errors_total", "Database errors by kind (disconnect, integrity, operational, other)",
                    ["kind"])
CACHE = Counter("library_response_cache_total", "Response cache lookups of public catalog pages, by result",
                ["result"])
LOGINS = Counter("library_logins_total", "Login attempts by result (success, failure, throttled)", ["result"])
EVENTS = Counter("library_events_total", "Committed audit events by action (loan.checkout, hold.place ...)",
                 ["action"])

_gauge_hooks: dict[str, tuple[str, Callable[[], float]]] = {}


def add_gauge_hook(name: str, documentation: str, read: Callable[[], float]) -> None:
    """A gauge whose value is read at scrape time, in the app context of the scraping worker (so read() may
    query the database): e.g. add_gauge_hook("library_outbox_depth", "Notices waiting to be sent", count)."""
    _gauge_hooks[name] = (documentation, read)


class _HookCollector:
    def collect(self):
        for name, (documentation, read) in sorted(_gauge_hooks.items()):
            yield GaugeMetricFamily(name, documentation, value=float(read()))


def exposition(multiprocess_dir: bool) -> bytes:
    """The metrics in Prometheus' text format: every worker's (multiprocess) or this process's, plus the hooks;
    this process's tally written first."""
    flush()
    if multiprocess_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    hooks = CollectorRegistry()
    hooks.register(_HookCollector())
    return text + generate_latest(hooks)


# --- HTTP --------------------------------------------------------------------------------------------------

FLUSH_SECONDS = 1.0


class _Tally:
    """This process's counts not yet written to prometheus' values: per (method, route, status) the number of
    answers, the sum of their times and the number in each latency bucket; the cache's hits and misses. Written by
    flush(), which the process's flusher thread (started with the first count) calls every FLUSH_SECONDS."""

    def __init__(self):
        self.lock = threading.Lock()
        self.writing = threading.Lock()  # held by flush() from taking the counts to their last write
        self.requests: dict[tuple, list] = {}
        self.cache = {True: 0, False: 0}
        self.flusher = None  # the process whose flusher thread runs

    def record(self, key: tuple, seconds: float) -> None:
        with self.lock:
            tally = self.requests.get(key)
            if tally is None:
                tally = self.requests[key] = [0, 0.0] + [0] * len(LATENCY_BUCKETS)
            tally[0] += 1
            tally[1] += seconds
            tally[2 + bisect_left(LATENCY_BUCKETS, seconds)] += 1  # the first bucket whose bound is >= seconds
        if self.flusher != forks.pid:
            self._start_flusher()

    def lookup(self, hit: bool) -> None:
        with self.lock:
            self.cache[hit] += 1
        if self.flusher != forks.pid:
            self._start_flusher()

    def take(self) -> tuple:
        with self.lock:
            requests, self.requests = self.requests, {}
            cache, self.cache = self.cache, {True: 0, False: 0}
        return requests, cache

    def _start_flusher(self) -> None:
        with self.lock:
            if self.flusher == forks.pid:
                return
            self.flusher = forks.pid
        threading.Thread(target=_flush_every, name="library-metrics", daemon=True).start()


_tally = _Tally()


def _forked() -> None:
    """A forked child starts with nothing tallied (the parent writes what it had) and no flusher thread."""
    global _tally
    _tally = _Tally()


os.register_at_fork(after_in_child=_forked)


def flush() -> None:
    """Write what this process has tallied to prometheus' values (its file, in multiprocess mode). A flush under
    way elsewhere (the flusher thread's) is waited for, so that a scrape reads every count taken before it."""
    tally = _tally
    with tally.writing:
        _write(*tally.take())


def _write(requests: dict, cache: dict) -> None:
    for key, (count, seconds, *buckets) in requests.items():
        REQUESTS.labels(*key).inc(count)
        histogram = LATENCY.labels(*key[:2])
        # A histogram takes one observation at a time; these are many: its sum and buckets are added to as
        # observe() adds to them (prometheus_client's Histogram keeps them in _sum and _buckets).
        histogram._sum.inc(seconds)
        for bucket, number in zip(histogram._buckets, buckets, strict=True):
            if number:
                bucket.inc(number)
    for hit, number in cache.items():
        if number:
            CACHE.labels("hit" if hit else "miss").inc(number)


def _flush_every() -> None:
    while True:
        time.sleep(FLUSH_SECONDS)
        try:
            flush()
        except Exception:  # logged; the counts taken are lost, the thread goes on
            logging.getLogger("library").exception("writing the metrics failed")


atexit.register(flush)  # a worker's last counts, as it exits (gunicorn's workers exit through sys.exit)


class MetricsMiddleware:
    """Counts and times every answer, including those the response cache gives before Flask runs, when its
    status line is sent (Flask has built the whole body by then). The route template comes from the environ
    (set by Flask's url_value_preprocessor, or by the cache for its hits)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        started = time.perf_counter()

        def start(status, headers, exc_info=None):
            method = environ.get("REQUEST_METHOD", "")
            method = method if method in METHODS else "other"
            _tally.record((method, environ.get(ROUTE_KEY, "unmatched"), status[:3]), time.perf_counter() - started)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def record_route(environ, rule) -> None:
    environ[ROUTE_KEY] = rule.rule if rule is not None else "unmatched"


def cache_lookup(hit: bool) -> None:
    _tally.lookup(hit)


# --- the database ------------------------------------------------------------------------------------------

def watch_engine(engine) -> None:
    """Pool checkouts and database errors of one engine (once per engine)."""
    if event.contains(engine, "handle_error", _handle_error):
        return
    event.listen(engine, "handle_error", _handle_error)
    event.listen(engine.pool, "checkout", _checkout)
    event.listen(engine.pool, "checkin", _checkin)
    event.listen(engine.pool, "detach", _checkin)  # the response cache's own connection leaves the pool


def _checkout(*_):
    DB_CONNECTIONS.inc()


def _checkin(*_):
    DB_CONNECTIONS.dec()


def _handle_error(context):
    if context.is_disconnect:
        kind = "disconnect"
    elif isinstance(context.sqlalchemy_exception, IntegrityError):
        kind = "integrity"
    elif isinstance(context.sqlalchemy_exception, OperationalError):
        kind = "operational"
    else:
        kind = "other"
    DB_ERRORS.labels(kind).inc()


# --- events: counted once their transaction commits ---------------------------------------------------------

def note_event(session: Session, action: str) -> None:
    """An audit event added to session: counted in library_events_total when (and if) it commits."""
    session.info.setdefault("library.events", []).append(action)


def login_throttled() -> None:
    LOGINS.labels("throttled").inc()


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    for action in session.info.pop("library.events", ()):
        EVENTS.labels(action).inc()
        if action in LOGIN_RESULTS:
            LOGINS.labels(LOGIN_RESULTS[action]).inc()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop("library.events", None)
