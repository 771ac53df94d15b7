"""Gunicorn settings for production, from the environment (documented in .env.example).

Runs `gunicorn -c gunicorn.conf.py 'library:create_app()'`; command-line flags override these.
"""

import gc
import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# Sync workers, one request each: nginx buffers requests and responses, so a slow client never
# holds a worker. (2 x cores + 1) is gunicorn's rule of thumb; capped so a big host doesn't open
# more database connections than PostgreSQL allows.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 8))
worker_class = "sync"
threads = 1

# nginx's proxy_read_timeout is 35 s: a stuck request is killed here first.
timeout = 30
graceful_timeout = 20
keepalive = 5

# Recycle workers now and then, so a slow leak can't grow forever. The jitter is half the limit: with
# 1000 +- 100 all workers (which share the load evenly) restarted within the same second, and each lost
# its warm state and its response cache (the benchmark's multi-second p99).
max_requests = 20000
max_requests_jitter = 10000

# Build the app once in the master and fork workers from it: a recycled worker starts without importing
# and building the app again. create_app() opens no database connection, and what is per process (the
# SQLite version connection of the response cache) is opened lazily after the fork.
preload_app = True


def pre_fork(server, worker):
    """Freeze what the master built (the preloaded app: about 200 000 objects) out of the garbage collector's
    reach before each fork. Otherwise every worker's full (generation 2) collection walks all of them again, about
    0.1 s on this hardware, once every few hundred requests: the p99 of a cheap request was that pause
    (bench/README.md, the stats scenario). Frozen objects are never freed, and the app lives as long as the
    process anyway; it also keeps the collector from touching (and so copying) the pages the workers share."""
    gc.freeze()

# Request limits at least as generous as nginx's (large_client_header_buffers 4 8k: a request line or a
# header line up to 8 KiB, 32 KiB of headers in all), so that nginx, which answers problem+json, is the one
# that refuses an oversized request; gunicorn's own 414/431 pages are HTML. 8190 is gunicorn's maximum line.
limit_request_line = 8190
limit_request_field_size = 0  # no limit of its own: nginx's 8 KiB per line applies
limit_request_fields = 32768  # gunicorn's maximum; nginx's 32 KiB bound the count anyway

# Forwarded headers are handled by Flask's ProxyFix (LIBRARY_PROXY_HOPS), not by gunicorn;
# gunicorn trusts X-Forwarded-Proto only from loopback.
forwarded_allow_ips = "127.0.0.1,::1"

accesslog = "-"
errorlog = "-"
# gunicorn's default line plus the request time, the worker's pid (which worker served what, e.g. to see
# that state shared across workers really lives in the database) and the request id (X-Request-ID: from
# nginx, or made by the app), which the app's own log lines of that request carry too. No bodies are logged.
access_log_format = ('%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms worker=%(p)s '
                     'request_id=%({x-request-id}o)s')
loglevel = os.environ.get("LIBRARY_LOG_LEVEL", "info").lower()
# LIBRARY_LOG_FORMAT=json: gunicorn's error and access logs as JSON lines, like the app's (library/logs.py).
if os.environ.get("LIBRARY_LOG_FORMAT", "").strip().lower() == "json":
    logger_class = "library.logs.JsonGunicornLogger"

# The worker heartbeat file: on tmpfs, since a disk-backed /tmp (Docker overlay) can stall workers.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# gunicorn >= 25 opens a control socket in ~/.gunicorn by default; nothing here uses it.
control_socket_disable = True

# Metrics (prometheus_client's multiprocess mode): each worker writes its values to files in one folder, which a
# scrape of any worker adds up. A fresh folder per start (made before the app is imported, which reads the
# variable); an operator's PROMETHEUS_MULTIPROC_DIR is emptied instead. A worker that exits is marked dead, so its
# live gauges (connections in use) stop counting.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _metrics_dir:
    Path(_metrics_dir).mkdir(parents=True, exist_ok=True)
    for _stale in Path(_metrics_dir).glob("*.db"):
        _stale.unlink()
    _own_metrics_dir = None
else:
    _metrics_dir = _own_metrics_dir = tempfile.mkdtemp(prefix="library-metrics.")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)
