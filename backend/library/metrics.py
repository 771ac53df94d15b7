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
"""

import time
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
LATENCY = Histogram("library_http_request_duration_seconds", "Time to answer, by method and route template",
                    ["method", "route"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
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
    """The metrics in Prometheus' text format: every worker's (multiprocess) or this process's, plus the hooks."""
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

# The labelled children by (method, route template, status), as labels() returns them (the same objects, found
# without its lock and checks: a few microseconds a request). Bounded: methods, route templates and statuses are.
_children: dict[tuple, tuple] = {}
_cache_children: dict[bool, object] = {}


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
            key = (method, environ.get(ROUTE_KEY, "unmatched"), status[:3])
            children = _children.get(key)
            if children is None:
                children = _children[key] = (REQUESTS.labels(*key), LATENCY.labels(*key[:2]))
            children[0].inc()
            children[1].observe(time.perf_counter() - started)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def record_route(environ, rule) -> None:
    environ[ROUTE_KEY] = rule.rule if rule is not None else "unmatched"


def cache_lookup(hit: bool) -> None:
    child = _cache_children.get(hit)
    if child is None:
        child = _cache_children[hit] = CACHE.labels("hit" if hit else "miss")
    child.inc()


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
