"""Where one API request spends its time: the SQL it runs (each statement timed, and its plan) and a cProfile
of the Python, through the Flask test client against a benchmark database (no nginx, no gunicorn).

    .venv/bin/python bench/profile_request.py sqlite:///bench/.cache/sqlite-1000000-s20261127.db '/api/v1/books?q=garden'
    .venv/bin/python bench/profile_request.py sqlite:///bench/.cache/sqlite-10000-s20261127.db '/api/v1/books?per_page=20' \
        --uncached --repeat 200   # the computed path: a unique ignored parameter per request, as /uncached
    .venv/bin/python bench/profile_request.py postgresql+psycopg://postgres@127.0.0.1:PORT/library_1000000_s20261127 \
        '/api/v1/books?per_page=20' --repeat 20 --plans

The first request warms caches and is not counted. Plans: EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on
SQLite, for the statements that took the most time. For PostgreSQL, run.py's cluster must be running: start it with
`pg_ctl -D bench/.cache/pg/data` (as postgres), or use py-spy on a live run instead (see bench/README.md).
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR / "backend"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("path", help="request path and query, e.g. '/api/v1/books?q=garden'")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--plans", action="store_true", help="show the plans of the slowest statements")
    parser.add_argument("--top", type=int, default=25, help="functions to show")
    parser.add_argument("--sort", default="tottime", help="pstats order: tottime (own time) or cumulative")
    parser.add_argument("--uncached", action="store_true",
                        help="add a unique, ignored _bench=<n> parameter to each request, as run.py's /uncached mode "
                             "does, so that the response cache never answers (the computed path)")
    args = parser.parse_args(argv)

    url = args.database_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):  # Flask-SQLAlchemy would resolve it
        url = "sqlite:///" + str(Path(url.removeprefix("sqlite:///")).resolve())  # against the instance folder
    os.environ.update({"DATABASE_URL": url, "LIBRARY_ENV": "production",
                       "SECRET_KEY": "p" * 64, "LIBRARY_PROXY_HOPS": "0"})
    from sqlalchemy import event

    from library import create_app
    from library.extensions import db

    app = create_app()
    client = app.test_client()
    statements = {}
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - conn.info["started"].pop()
        entry = statements.setdefault(statement, {"count": 0, "seconds": 0.0, "parameters": parameters})
        entry["count"] += 1
        entry["seconds"] += elapsed

    def path(number):
        if not args.uncached:
            return args.path
        return f"{args.path}{'&' if '?' in args.path else '?'}_bench={number}"

    response = client.get(path(0))
    print(f"GET {args.path} -> {response.status_code}, {len(response.data)} bytes")
    if response.status_code != 200:
        print(response.data[:500].decode(errors="replace"))
    started, cpu = time.perf_counter(), time.process_time()  # without the profiler's overhead
    for number in range(args.repeat):
        client.get(path(1 + number))
    plain_ms = (time.perf_counter() - started) / args.repeat * 1000
    cpu_ms = (time.process_time() - cpu) / args.repeat * 1000
    print(f"{plain_ms:.2f} ms per request without the profiler (this process's CPU: {cpu_ms:.2f} ms)")
    statements.clear()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for number in range(args.repeat):
        client.get(path(1 + args.repeat + number))
    profiler.disable()
    per_request = (time.perf_counter() - started) / args.repeat * 1000
    sql_ms = sum(e["seconds"] for e in statements.values()) / args.repeat * 1000
    print(f"\n{per_request:.1f} ms per request (under cProfile), of which SQL {sql_ms:.1f} ms "
          f"in {sum(e['count'] for e in statements.values()) / args.repeat:.0f} statements\n")
    ranked = sorted(statements.items(), key=lambda item: -item[1]["seconds"])
    for statement, entry in ranked[:8]:
        print(f"--- {entry['seconds'] / args.repeat * 1000:.2f} ms per request, {entry['count'] // args.repeat}x: "
              f"{' '.join(statement.split())[:600]}")
    if args.plans:
        with app.app_context():
            for statement, entry in ranked[:3]:
                prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
                rows = db.session.connection().exec_driver_sql(prefix + statement, entry["parameters"]).all()
                print(f"\n=== plan ({entry['seconds'] / args.repeat * 1000:.2f} ms): {' '.join(statement.split())[:200]}")
                for row in rows:
                    print("   ", " | ".join(str(c) for c in row))
            db.session.rollback()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(args.sort).print_stats(args.top)
    print("\n" + "\n".join(out.getvalue().splitlines()[4:]))


if __name__ == "__main__":
    main()
