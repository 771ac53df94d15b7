"""The benchmark: the catalog's read paths on the real topology (nginx -> gunicorn -> SQLite | PostgreSQL), by size.

    make bench                                   # both databases, 10 000 and 1 000 000 books
    make bench BENCH_ARGS="--sizes 10000"        # a quick run
    .venv/bin/python bench/run.py --help

For each database and size: generate the books (bench/generate.py, cached in bench/.cache/), create the database
(`flask db upgrade`), import them (`flask import-books`, timed), start nginx from the project's template in front of
gunicorn with the production settings, and drive each scenario with wrk from 127.0.0.1. Two references are measured
in the same run: nginx serving the first list page as a static file, and a bare WSGI app returning those bytes
behind the same nginx and gunicorn settings (at the end of each database and size, and around each computed
scenario, behind a second nginx: --bare-beside), requested as the row it divides is (one URL, or a unique one each
time for the /uncached scenarios and the floors). After it, the floors: the same bare app running the lean lane's
statement for page 1, or for a book, or on PostgreSQL one trivial statement or the common word's search, per request
(--floors, refapp.py).
Prints a table and the targets' PASS/FAIL; writes bench/results/<UTC time>.json and bench/results/latest.json.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(REPO_DIR / "backend"))
sys.path.insert(0, str(REPO_DIR))

from bench import generate, intake  # noqa: E402
from library.serve import (BACKEND_DIR, FRONTEND_DIR, free_port, render_nginx_config, render_template,  # noqa: E402
                           start_gunicorn, start_nginx, stop, wait_for_http)

CACHE_DIR = BENCH_DIR / ".cache"
RESULTS_DIR = BENCH_DIR / "results"
SIZES = (10_000, 1_000_000)
DATABASES = ("sqlite", "postgresql")
TARGET_SIZE = 1_000_000
CURSOR_DEPTH = 25_000
SEARCH_P99_MS = 50.0
SEARCHES = ("search_common", "search_rare", "search_phrase", "search_prefix")
BARE = "ref_bare_wsgi"
UNCACHED = "/uncached"  # suffix of a scenario measured with a unique URL per request (--cache-bust)
STATIC = "ref_nginx_static"
# Floors (refapp.py with a statement): the bare reference plus what reading the database costs, nothing else.
FLOOR_STATEMENT = "ref_floor_statement"  # PostgreSQL: one statement, the response cache's version
FLOOR_BOOK = "ref_floor_book"  # the lean lane's statement for the detail scenario's book
FLOOR_PAGE = "ref_floor_page"  # the lean lane's statement for list page 1, its documents joined
FLOOR_SEARCH = "ref_floor_search_common"  # PostgreSQL: the lean lane's one statement for the common word's search


def floor_statements(db, book_id):
    """{floor reference: (the statement each request runs, the column of the first document part in its rows when
    they are a page of documents to join, "item" when it is a book's document to join, else None)} for db;
    book_id: the detail scenario's book."""
    from library.services import documents

    postgres = db == "postgresql"
    page = documents.page_sql("SELECT lower(title) AS k, id FROM book WHERE archived_at IS NULL ORDER BY "
                              "lower(title), id LIMIT 21 OFFSET 0", "p.k, p.id", db, versioned=True)
    book = documents._READ_ONE_VERSIONED[db].replace("%s", "%d").replace("?", "%d") % int(book_id)
    floors = {FLOOR_STATEMENT: (f"SELECT {documents.VERSION[db]}", None)} if postgres else {}
    floors |= {FLOOR_BOOK: (book, "item"), FLOOR_PAGE: (page, 2)}
    if postgres:  # SQLite's search is several statements (FTS5's), not one to measure alone
        floors[FLOOR_SEARCH] = (search_statement(generate.COMMON_WORD), 6)
    return floors


def search_statement(text: str) -> str:
    """The one statement the lean lane sends on PostgreSQL for the first page (20 books) of a search for text,
    asked without a cached entry (so it reads the data version too), with its parameter written in as a literal:
    the planner's estimate, the count, the ranked page and its documents (catalog._PostgresSearch)."""
    from psycopg import sql

    from library.services import catalog, search

    statement, params = catalog._PostgresSearch(None, search.parse(text)).counted_page_sql(
        catalog.COUNT_EXACT_MAX + 1, None, 21, 0, versioned=True)
    assert statement.count("%s") == len(params) and "%" not in statement.replace("%s", "")
    return statement.replace("%s", "{}").format(*(sql.Literal(value).as_string(None) for value in params))


def log(message):
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def q(**params):
    return "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe=",")


def scenario_paths():
    """The scenarios whose URL is known before the server runs (cursor and detail are discovered)."""
    phrase = '"' + " ".join(generate.PHRASE) + '"'
    return {
        "list_page1": "/api/v1/books" + q(per_page=20),
        "search_common": "/api/v1/books" + q(q=generate.COMMON_WORD, per_page=20),
        "search_rare": "/api/v1/books" + q(q=generate.RARE_WORD, per_page=20),
        "search_phrase": "/api/v1/books" + q(q=phrase, per_page=20),
        "search_prefix": "/api/v1/books" + q(q=generate.PREFIX, per_page=20),
        "search_facets": "/api/v1/books" + q(q=generate.COMMON_WORD, per_page=20,
                                             facets="subject,language,author,decade"),
    }


SCENARIO_ORDER = ("list_page1", "cursor_25000", "search_common", "search_rare", "search_phrase", "search_prefix",
                  "search_facets", "detail")


# --- helpers ---------------------------------------------------------------------------------------------------

def run(cmd, **kwargs):
    """Run a command, raising with its output when it fails."""
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n{result.stdout[-3000:]}\n"
                           f"{result.stderr[-3000:]}")
    return result


def fetch(url, timeout=120):
    """GET url: (status, headers, body bytes)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def tool_version(cmd, pattern=r"[\d.]+[\d]"):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True)
        match = re.search(pattern, out.stdout + out.stderr)
        return match.group(0) if match else (out.stdout + out.stderr).strip()[:80]
    except OSError:
        return None


def pg_bin():
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def machine_facts():
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                   "")
    except OSError:
        pass
    mem = ""
    try:
        mem = next(line.split(":", 1)[1].strip() for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        pass
    pg = pg_bin()
    head = subprocess.run(["git", "-C", str(REPO_DIR), "rev-parse", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(REPO_DIR), "status", "--porcelain"], capture_output=True, text=True)
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "kernel": platform.release(),
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "postgresql": tool_version([str(pg / "postgres"), "--version"]) if pg else None,
        "nginx": tool_version(["nginx", "-v"]), "wrk": tool_version(["wrk", "-v"], r"\d+\.\d+\.\d+"),
        "gunicorn": tool_version([sys.executable, "-m", "gunicorn", "--version"]),
        "git_head": head.stdout.strip(), "git_dirty": [line[3:] for line in dirty.stdout.splitlines()],
    }


def importer_takes_description():
    """Does `flask import-books` accept a description column? (Asked in a subprocess: the backend may be mid-edit.)"""
    result = subprocess.run([sys.executable, "-c", "from library.services.importer import COLUMNS; "
                             "print('description' in COLUMNS)"], cwd=BACKEND_DIR, capture_output=True, text=True)
    return result.stdout.strip() == "True"


# --- data and databases ----------------------------------------------------------------------------------------

def dataset(size, seed, description):
    """The cached CSV for size (generated when missing): its path and facts."""
    tag = f"{size}-s{seed}" + ("" if description else "-nodesc")
    path = CACHE_DIR / f"books-{tag}.csv"
    facts_path = path.with_suffix(".json")
    if path.exists() and facts_path.exists():
        return path, tag, json.loads(facts_path.read_text())
    log(f"generating {size:,} books -> {path.relative_to(REPO_DIR)}")
    started = time.monotonic()
    digest = generate.generate(path, size, seed, description)
    facts = {"rows": size, "seed": seed, "description": description, "sha256": digest,
             "seconds": round(time.monotonic() - started, 2), "bytes": path.stat().st_size}
    facts_path.write_text(json.dumps(facts, indent=2))
    log(f"generated in {facts['seconds']} s (sha256 {digest[:16]}...)")
    return path, tag, facts


class Postgres:
    """A PostgreSQL cluster for the benchmark in bench/.cache/pg (kept, so --reuse can skip a 1M import), started on a
    free loopback port like the tests' throwaway cluster (initdb and the server run as `postgres` when we are root).
    Stock settings (as the postgres:15 image of docker-compose.yml), apart from the address and port."""

    def __init__(self):
        self.bin = pg_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.dir = CACHE_DIR / "pg"
        self.data = self.dir / "data"
        self.port = free_port()
        self.started = False

    def _run(self, *args):
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return run([*as_postgres, *map(str, args)])

    def start(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        if not (self.data / "PG_VERSION").exists():
            shutil.rmtree(self.data, ignore_errors=True)
            self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-instructions")
        if (self.data / "postmaster.pid").exists():  # left by a killed run
            subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D", str(self.data),
                            "-m", "fast", "-w", "stop"], capture_output=True)
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir}"
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.dir / "server.log", "-w", "-o", options, "start")
        self.started = True

    def url(self, name):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def sql(self, statement, database="postgres"):
        return run([self.bin / "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                    "-v", "ON_ERROR_STOP=1", "-At", "-c", statement]).stdout.strip()

    def exists(self, name):
        return self.sql(f"select count(*) from pg_database where datname = '{name}'") == "1"

    def recreate(self, name):
        self.sql(f'drop database if exists "{name}" with (force)')
        self.sql(f'create database "{name}"')

    def version(self):
        return self.sql("show server_version")

    def postmaster_pid(self):
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self):
        if self.started:
            subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D", str(self.data), "-m",
                            "fast", "-w", "stop"] if os.geteuid() == 0 else
                           [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                           capture_output=True)
            self.started = False


def schema_fingerprint():
    """A digest of what shapes an imported database: the migrations, the search index model and the importer."""
    import hashlib
    digest = hashlib.sha256()
    for path in sorted([*(BACKEND_DIR / "migrations" / "versions").glob("*.py"),
                        BACKEND_DIR / "library" / "models" / "search.py",
                        BACKEND_DIR / "library" / "services" / "importer.py"]):
        if path.exists():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def app_env(database_url):
    """The production environment of the backend: LIBRARY_ENV=production, a fresh 64-character SECRET_KEY."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LIBRARY_FRONTEND_DIR", "WEB_CONCURRENCY", "GUNICORN_BIND", "DATABASE_URL")}
    env.update({"DATABASE_URL": database_url, "LIBRARY_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                "LIBRARY_PROXY_HOPS": "1"})
    return env


def flask(env, *args, timeout=None):
    return run([sys.executable, "-m", "flask", "--app", "library", *args], cwd=BACKEND_DIR, env=env, timeout=timeout)


def prepare_database(db, size, csv_path, tag, reuse, pg, cpu_roots=()):
    """Create, migrate and import; with reuse, keep a database imported earlier. Returns (url, import facts)."""
    marker = CACHE_DIR / f"{db}-{tag}.import.json"
    if db == "sqlite":
        path = CACHE_DIR / f"{db}-{tag}.db"
        url = f"sqlite:///{path}"
        present = path.exists()
    else:
        name = f"library_{tag.replace('-', '_')}"
        url = pg.url(name)
        present = pg.exists(name)
    if reuse and present and marker.exists():
        facts = json.loads(marker.read_text())
        log(f"{db} {size:,}: reusing the database imported on {facts.get('imported_at')}")
        if facts.get("schema") != schema_fingerprint():
            facts["stale_schema"] = True
            log(f"warning: migrations, search model or importer changed since that import "
                f"({facts.get('schema')} -> {schema_fingerprint()}); drop --reuse to import again")
        # A migration the lead added since then is applied here (its own cost is not measured).
        flask(app_env(url), "db", "upgrade")
        facts = {**facts, "documents": write_documents(db, size, url)}
        if db == "postgresql":  # a migration may have rewritten rows: settle them before measuring
            pg.sql("vacuum (analyze)", name)
        return url, {**facts, "reused": True}
    marker.unlink(missing_ok=True)
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        pg.recreate(name)
    env = app_env(url)
    log(f"{db} {size:,}: db upgrade")
    flask(env, "db", "upgrade")
    log(f"{db} {size:,}: import-books {csv_path.name}")
    meter = CpuMeter(cpu_roots).start()
    started = time.monotonic()
    seconds, peak_rss_mib, stdout = intake.measured([sys.executable, "-m", "flask", "--app", "library", "import-books",
                                                     str(csv_path)], env)
    result = subprocess.CompletedProcess([], 0, stdout, "")
    seconds = time.monotonic() - started
    cpu = meter.stop()
    match = re.search(r"Read (\d+) rows: added (\d+), skipped (\d+) in ([\d.]+) s", result.stdout)
    if not match:
        raise RuntimeError(f"unexpected import-books output:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    rows, added, skipped, own_seconds = int(match[1]), int(match[2]), int(match[3]), float(match[4])
    documents = write_documents(db, size, url)
    if db == "postgresql":  # planner statistics, as autovacuum would gather soon after a bulk load
        pg.sql("analyze", name)
    facts = {"documents": documents, "rows": rows, "added": added, "skipped": skipped, "seconds": round(seconds, 1), "peak_rss_mib": peak_rss_mib,
             "rows_per_s": round(rows / seconds), "importer_seconds": own_seconds,
             "cpu_s": intake.LAST_CPU.get("cpu_s"),  # the import command's own CPU (not the database server's)
             "imported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "reused": False,
             "cpu_share": cpu, "loadavg_1m": round(os.getloadavg()[0], 2), "schema": schema_fingerprint()}
    if db == "sqlite":
        facts["db_bytes"] = path.stat().st_size
    else:
        facts["db_bytes"] = int(pg.sql(f"select pg_database_size('{name}')"))
    marker.write_text(json.dumps(facts, indent=2))
    log(f"{db} {size:,}: imported {added:,} of {rows:,} rows in {seconds:.0f} s ({facts['rows_per_s']:,} rows/s)")
    if skipped:
        log(f"warning: {skipped} rows skipped:\n{result.stderr[-1500:]}")
    return url, facts


def write_documents(db, size, url):
    """The stored book documents (backend/library/services/documents.py) written for every book, as the app's worker
    writes them after an import or an upgrade, before anything is measured: {"written", "seconds"} (not part of the
    import's figures: the import only marks its books stale)."""
    started = time.monotonic()
    output = flask(app_env(url), "documents").stdout
    seconds = time.monotonic() - started
    written = int(re.search(r"Wrote (\d+) book document", output)[1])
    log(f"{db} {size:,}: wrote {written:,} book documents in {seconds:.1f} s")
    return {"written": written, "seconds": round(seconds, 1)}


def intake_figures(db, size, csv_path, tag, url, pg):
    """MARC import into a fresh database, and exports of the imported catalog (bench/intake.py)."""
    marc_path = csv_path.with_suffix(".mrc")
    if db == "sqlite":
        fresh = CACHE_DIR / f"{db}-{tag}-marc.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{fresh}{suffix}").unlink(missing_ok=True)
        fresh_url = f"sqlite:///{fresh}"
    else:
        name = f"library_{tag.replace('-', '_')}_marc"
        pg.recreate(name)
        fresh_url = pg.url(name)
    log(f"{db} {size:,}: intake (MARC import, exports)")
    facts = intake.run_all(db, size, csv_path, marc_path, url, fresh_url, app_env)
    log(f"{db} {size:,}: MARC import {facts['import_marc']['rows_per_s']:,} records/s, peak "
        f"{facts['import_marc']['peak_rss_mib']} MiB; export csv peak {facts['export_csv']['peak_rss_mib']} MiB, "
        f"mrc peak {facts['export_mrc']['peak_rss_mib']} MiB")
    return facts


# --- the servers -----------------------------------------------------------------------------------------------

class Topology:
    """nginx (the project's template, plus the bench's static reference server) in front of one gunicorn."""

    def __init__(self, env):
        self.env = env
        self.dir = Path(tempfile.mkdtemp(prefix="library-bench."))
        self.dir.chmod(0o755)
        self.port, self.static_port, self.bare_port = free_port(), free_port(), free_port()
        self.backend, self.bare_backend = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
        self.url = f"http://127.0.0.1:{self.port}"
        self.static_url = f"http://127.0.0.1:{self.static_port}"
        self.bare_url = f"http://127.0.0.1:{self.bare_port}"
        self.static_root = self.dir / "static-reference"
        self.gunicorn = self.nginx = self.bare = self.bare_nginx = None

    def start_nginx(self):
        run_dir = self.dir / "nginx"
        render_nginx_config(run_dir, self.port, self.backend, FRONTEND_DIR)
        self.static_root.mkdir(exist_ok=True)
        extra = render_template((BENCH_DIR / "nginx-static.conf").read_text(),
                                {"BENCH_STATIC_PORT": f"127.0.0.1:{self.static_port}",
                                 "BENCH_STATIC_ROOT": self.static_root})
        (run_dir / "conf.d" / "bench-static.conf").write_text(extra)
        for path in [self.static_root, *run_dir.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        self.nginx = start_nginx(run_dir, log_path=self.dir / "nginx.log")

    def start_app(self):
        self.gunicorn = start_gunicorn(self.backend, env=self.env, log_path=self.dir / "gunicorn.log")
        wait_for_http(self.url + "/api/health", timeout=120, procs=[self.gunicorn, self.nginx])

    def _refapp(self, body_path, bind, url, floor=None):
        """The bare WSGI reference: same gunicorn.conf.py, workers and worker class as the app. floor: (statement,
        documents) to make it a floor reference (refapp.py)."""
        cmd = [sys.executable, "-m", "gunicorn", "-c", str(BACKEND_DIR / "gunicorn.conf.py"), "--bind", bind,
               "--no-control-socket", "--pythonpath", str(BENCH_DIR), "refapp:app"]
        env = {**self.env, "BENCH_REFAPP_BODY": str(body_path)}
        if floor:
            env.update({"BENCH_REFAPP_SQL": floor[0], "BENCH_REFAPP_DOCUMENTS": str(floor[1] or "")})
        with open(self.dir / "refapp.log", "ab") as log_file:
            proc = subprocess.Popen(cmd, cwd=BACKEND_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for_http(url + "/api/v1/books", timeout=60, procs=[proc, self.nginx])
        except BaseException:
            stop(proc)  # not yet ours to close: a reference that never answered would outlive the run
            raise
        return proc

    def start_refapp(self, body_path, floor=None):
        """The bare WSGI reference (or a floor) on the app's upstream port, the app stopped."""
        self.gunicorn = self._refapp(body_path, self.backend, self.url, floor)

    def start_bare_beside(self, body_path):
        """The bare WSGI reference on a gunicorn of its own, behind an nginx of its own rendered from the project's
        template (as the app's is), both alive beside the app's and idle while the app is measured."""
        run_dir = self.dir / "nginx-bare"
        render_nginx_config(run_dir, self.bare_port, self.bare_backend, FRONTEND_DIR)
        self.bare_nginx = start_nginx(run_dir, log_path=self.dir / "nginx-bare.log")
        self.bare = self._refapp(body_path, self.bare_backend, self.bare_url)

    def stop_backend(self):
        stop(self.gunicorn, timeout=30)
        self.gunicorn = None

    def close(self, keep_logs_to=None):
        self.stop_backend()
        stop(self.bare, timeout=30)
        stop(self.bare_nginx)
        stop(self.nginx)
        if keep_logs_to:
            keep_logs_to.mkdir(parents=True, exist_ok=True)
            for name in ("gunicorn.log", "refapp.log", "nginx.log", "nginx-bare.log"):
                if (self.dir / name).exists():
                    shutil.copyfile(self.dir / name, keep_logs_to / name)
        shutil.rmtree(self.dir, ignore_errors=True)


class CpuMeter:
    """CPU used during a measurement by the benchmark's own processes (this runner's descendants: nginx, gunicorn,
    wrk; and the PostgreSQL server) and by everything else on the machine ("other"), as shares of all cores.
    The machine is shared (tests of other sessions may run): a large "other" share marks a noisy figure.

    parts: name -> a function giving a process id (or None): the CPU seconds of each one's process tree are also
    reported apart ("seconds"; what is left of ours is "load": this runner and wrk, whose CPU reaches this runner
    when it exits). That splits a request's cost between the app, the database server and nginx."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, extra_roots=(), parts=None):
        self.extra_roots = extra_roots
        self.parts = parts or {}

    @staticmethod
    def _procs():
        out = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                raw = open(f"/proc/{entry.name}/stat").read()
            except OSError:
                continue
            fields = raw[raw.rindex(")") + 2:].split()
            out[int(entry.name)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))  # ppid, u+s+cu+cs
        return out

    def _ours(self):
        """Clock ticks of our processes: {part: ticks of its tree, ..., "load": the rest of ours}."""
        procs = self._procs()
        children, seen = {}, set()
        for pid, (ppid, _) in procs.items():
            children.setdefault(ppid, []).append(pid)

        def tree(root):
            total, stack = 0, [root]
            while stack:
                pid = stack.pop()
                if pid in procs and pid not in seen:
                    seen.add(pid)
                    total += procs[pid][1]
                    stack += children.get(pid, [])
            return total

        ticks = {name: tree(pid) for name, pid in ((name, get()) for name, get in self.parts.items())
                 if pid is not None}
        ticks["load"] = sum(tree(root) for root in {os.getpid(), *[r() for r in self.extra_roots]} - {None})
        return ticks

    @staticmethod
    def _busy():
        fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
        return sum(fields) - fields[3] - fields[4]  # all but idle and iowait

    def start(self):
        self.t0, self.busy0, self.ours0 = time.monotonic(), self._busy(), self._ours()
        return self

    def stop(self):
        elapsed = time.monotonic() - self.t0
        capacity = elapsed * self.TICK * (os.cpu_count() or 1)
        now = self._ours()
        parts = {name: max(now[name] - self.ours0.get(name, 0), 0) for name in now}
        busy, ours = self._busy() - self.busy0, sum(parts.values())
        return {"ours": round(ours / capacity, 3), "other": round(max(busy - ours, 0) / capacity, 3),
                "seconds": {name: round(ticks / self.TICK, 2) for name, ticks in parts.items()}}


def wait_quiet(meter, limit_s, threshold=0.15):
    """Wait (at most limit_s) until other processes use less than threshold of the machine over a second."""
    waited = 0.0
    while True:
        meter.start()
        time.sleep(1.0)
        other = meter.stop()["other"]
        if other < threshold or waited >= limit_s:
            return {"waited_s": round(waited), "other_before": other}
        if waited == 0:
            log(f"  the machine is busy (other processes use {other:.0%}); waiting up to {limit_s} s")
        waited += 1.0


def wrk(url, args, duration, bust=False, headers=None, threads=None, connections=None):
    """One wrk run: the parsed BENCH-JSON line plus req/s and milliseconds. bust: a unique URL per request;
    headers: sent with every request; threads, connections: instead of the run's."""
    script = "wrk-bust.lua" if bust else "wrk-report.lua"
    cmd = ["wrk", f"-t{threads or args.threads}", f"-c{connections or args.connections}", f"-d{duration}s",
           f"--timeout={args.timeout}s", "--latency", "-s", script,
           *[part for name, value in (headers or {}).items() for part in ("-H", f"{name}: {value}")], url]
    out = run(cmd, cwd=BENCH_DIR).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH-JSON "))
    raw = json.loads(line.removeprefix("BENCH-JSON "))
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    return {"rps": round(raw["requests"] / seconds, 1), "p50_ms": raw["p50_us"] / 1000, "p90_ms": raw["p90_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000, "max_ms": raw["max_us"] / 1000, "mean_ms": round(raw["mean_us"] / 1000, 3),
            "requests": raw["requests"], "errors": errors, "non_2xx_3xx": raw["status_errors"], "wrk": raw}


def measure(url, args, bust=False, topology=None, bare=False, **wrk_options):
    """Wait for a quiet machine, warm up (not recorded), then measure, noting the CPU shares and load, and (with the
    topology) the CPU milliseconds per request of the app (the gunicorn workers; SQLite runs inside them; bare: the
    bare reference's beside them), the database server (PostgreSQL), nginx (bare: the bare reference's own) and the
    load (wrk and this runner)."""
    parts = {}
    if topology is not None:
        app, nginx = ("bare", "bare_nginx") if bare else ("gunicorn", "nginx")
        parts = {"app": lambda: getattr(topology, app).pid if getattr(topology, app) else None,
                 "nginx": lambda: getattr(topology, nginx).pid if getattr(topology, nginx) else None}
        if topology.env.get("DATABASE_URL", "").startswith("postgresql"):
            parts["database"] = args.postmaster_pid
    meter = CpuMeter(args.cpu_roots, parts)
    quiet = wait_quiet(meter, args.wait_quiet) if args.wait_quiet > 0 else {}
    if args.warmup > 0:
        wrk(url, args, args.warmup, bust, **wrk_options)
    meter.start()
    result = wrk(url, args, args.duration, bust, **wrk_options)
    cpu = meter.stop()
    if cpu["other"] > 0.15:
        log(f"  noisy: other processes used {cpu['other']:.0%} of the machine during this measurement")
    per_request = {}
    if parts and result["requests"]:
        per_request = {"cpu_ms_per_request": {name: round(seconds * 1000 / result["requests"], 3)
                                              for name, seconds in cpu["seconds"].items()}}
    return {**result, "cpu_share": cpu, "loadavg_1m": round(os.getloadavg()[0], 2), **quiet, **per_request}


def measure_bare_beside(top, args):
    """The bare WSGI reference on its own port beside the app (--bare-beside): req/s, p99 and CPU per request. It
    divides the /uncached scenarios, so it is requested as they are: a unique ignored parameter per request
    (wrk-bust.lua). Requested at one fixed URL, the serving stack's own work (wrk's Lua, nginx and gunicorn reading
    and logging a longer, ever new request line) was about 13 % less than what each scenario's requests cost it."""
    beside = measure(top.bare_url + scenario_paths()["list_page1"], args, bust=True, topology=top, bare=True)
    return {"cache_bust": True,
            **{key: beside[key] for key in ("rps", "p99_ms", "cpu_ms_per_request", "cpu_share") if key in beside}}


def bracket(top, args, label, rps, before):
    """(the bare reference beside the app measured now, right after a measurement of rps req/s that `before` was
    measured just before; rps ÷ the mean of the two): the machine's speed around that measurement. Logged."""
    after = measure_bare_beside(top, args)
    around = (before["rps"] + after["rps"]) / 2
    ratio = round(rps / around, 3) if around else None
    log(f"{label}: {rps:,.0f} req/s; bare WSGI before and after {before['rps']:,.0f} and {after['rps']:,.0f}: {ratio}")
    return after, ratio


def discover(base, size, paths):
    """Check each scenario once and find the URLs that depend on the data: the cursor at depth and a middle book."""
    found = {}
    status, _, body = fetch(base + paths["list_page1"])
    if status != 200:
        raise RuntimeError(f"list page 1 answered {status}: {body[:500]!r}")
    page1 = json.loads(body)
    found["list_page1"] = {"path": paths["list_page1"], "total": page1.get("total"), "bytes": len(body)}

    # Cursor: walk next_cursor with per_page=100 to the depth, then measure that cursor with per_page=20 (page 1's size).
    depth = min(CURSOR_DEPTH, (size // 2) // 100 * 100)
    if "next_cursor" not in page1:
        found["cursor_25000"] = {"missing": "the API has no next_cursor yet (cursor pagination not implemented)"}
    else:
        cursor, seen, started = None, 0, time.monotonic()
        while seen < depth:
            path = "/api/v1/books" + q(per_page=100, **({"cursor": cursor} if cursor else {}))
            status, _, body = fetch(base + path)
            page = json.loads(body) if status == 200 else {}
            if status != 200 or not page.get("next_cursor"):
                cursor = None
                found["cursor_25000"] = {"missing": f"walking the cursor failed at {seen} items: {status} {body[:300]!r}"}
                break
            seen += len(page["items"])
            cursor = page["next_cursor"]
        if cursor:
            path = "/api/v1/books" + q(per_page=20, cursor=cursor)
            status, _, body = fetch(base + path)
            ok = status == 200 and len(json.loads(body).get("items", [])) == 20
            found["cursor_25000"] = ({"path": path, "depth": seen, "bytes": len(body),
                                      "walk_seconds": round(time.monotonic() - started, 1)} if ok else
                                     {"missing": f"the cursor page answered {status}: {body[:300]!r}"})

    for name in SEARCHES + ("search_facets",):
        status, _, body = fetch(base + paths[name])
        if status != 200:
            found[name] = {"missing": f"answered {status}: {body[:300]!r}"}
            continue
        page = json.loads(body)
        found[name] = {"path": paths[name], "total": page.get("total"), "bytes": len(body)}
        if name == "search_facets":
            facets = page.get("facets") or {}
            if not {"subject", "language", "author", "decade"} <= set(facets):
                found[name] = {"missing": "the response has no facets (facets not implemented yet)"}
    if found["search_rare"].get("total") not in (None, generate.RARE_COUNT):
        found["search_rare"]["warning"] = f"expected {generate.RARE_COUNT} matches"

    middle = size // 2
    status, _, body = fetch(base + f"/api/v1/books/{middle}")
    if status != 200:  # ids are not 1..N (a database not made by this runner): take one from page 1
        middle = page1["items"][len(page1["items"]) // 2]["id"]
        status, _, body = fetch(base + f"/api/v1/books/{middle}")
    found["detail"] = {"path": f"/api/v1/books/{middle}", "bytes": len(body)}
    return found, body_of_page1(base, paths)


def body_of_page1(base, paths):
    return fetch(base + paths["list_page1"])[2]


def bench_one(db, size, url, args, started_facts):
    """Start the topology on one database and measure every scenario and both references."""
    env = app_env(url)
    top = Topology(env)
    result = {"scenarios": {}, "references": {}}
    try:
        top.start_nginx()
        top.start_app()
        found, page1 = discover(top.url, size, scenario_paths())
        (top.static_root / "page1.json").write_bytes(page1)
        (top.static_root / "page1.json").chmod(0o644)
        status, headers, body = fetch(top.static_url + "/api/v1/books")
        assert status == 200 and body == page1 and headers.get("Content-Type", "").startswith("application/json"), \
            f"the static reference does not serve the page-1 bytes: {status} {headers}"
        bare_before = None  # the bare reference beside the app, measured last (before the next computed scenario)
        if args.bare_beside == "on" and args.cache_bust in ("on", "both"):
            top.start_bare_beside(top.static_root / "page1.json")
            status, _, body = fetch(top.bare_url + scenario_paths()["list_page1"])
            assert status == 200 and body == page1, "the bare WSGI reference beside the app does not answer page 1"
            bare_before = measure_bare_beside(top, args)
        for name in SCENARIO_ORDER:
            if args.scenarios and name not in args.scenarios:
                continue
            info = found[name]
            if "missing" in info:
                log(f"{db} {size:,} {name}: MISSING ({info['missing']})")
                result["scenarios"][name] = info
                continue
            log(f"{db} {size:,} {name}: {info['path']}")
            if args.cache_bust in ("off", "both"):
                result["scenarios"][name] = {**info, "cache_bust": False,
                                             **measure(top.url + info["path"], args, topology=top)}
            if args.cache_bust in ("on", "both"):
                pairs = []  # (measurement, bare before, bare after, ratio to their mean), --repeat times
                for _ in range(args.repeat if bare_before else 1):
                    measured = measure(top.url + info["path"], args, bust=True, topology=top)
                    if not bare_before:
                        pairs.append((measured, None, None, None))
                        continue
                    bare_after, ratio = bracket(top, args, f"{db} {size:,} {name}{UNCACHED}", measured["rps"],
                                                bare_before)
                    pairs.append((measured, bare_before, bare_after, ratio))
                    bare_before = bare_after
                # the measurement of the median ratio stands for the scenario (all of them: "repeats")
                measured, before, after, ratio = sorted(pairs, key=lambda pair: pair[3] or 0)[len(pairs) // 2]
                entry = result["scenarios"][name + UNCACHED] = {**info, "cache_bust": True, **measured}
                if before:
                    entry["bare_beside"] = {"before": before, "after": after}
                    entry["ratio_to_bare_beside"] = ratio
                if len(pairs) > 1:
                    entry["repeats"] = [{"rps": m["rps"], "p99_ms": m["p99_ms"], "bare_before_rps": b["rps"],
                                         "bare_after_rps": a["rps"], "ratio": r} for m, b, a, r in pairs]
        log(f"{db} {size:,} {STATIC}")
        result["references"][STATIC] = {"path": "/api/v1/books (static file, port of its own)", "bytes": len(page1),
                                        **measure(top.static_url + "/api/v1/books", args, topology=top)}
        result["workers"] = worker_memory(top.gunicorn.pid)  # after every app scenario, before they stop
        log(f"{db} {size:,} gunicorn workers' peak RSS: "
            f"{', '.join(str(w['peak_rss_mib']) for w in result['workers'])} MiB")
        top.stop_backend()
        top.start_refapp(top.static_root / "page1.json")
        status, _, body = fetch(top.url + scenario_paths()["list_page1"])
        assert status == 200 and body == page1, "the bare WSGI reference does not answer the page-1 bytes"
        log(f"{db} {size:,} {BARE}")
        result["references"][BARE] = {"path": scenario_paths()["list_page1"], "bytes": len(page1),
                                      **measure(top.url + scenario_paths()["list_page1"], args,
                                                topology=top)}
        # The /uncached scenarios and the floors (theirs) are requested with a unique ignored parameter each time,
        # which costs wrk, nginx and gunicorn more than one fixed URL: each is divided by the bare reference
        # requested as it was.
        bust = args.cache_bust in ("on", "both")
        if bust:
            log(f"{db} {size:,} {BARE}{UNCACHED}")
            result["references"][BARE + UNCACHED] = {
                "path": scenario_paths()["list_page1"], "bytes": len(page1), "cache_bust": True,
                **measure(top.url + scenario_paths()["list_page1"], args, bust=True, topology=top)}
        if args.floors == "on":
            book_id = found.get("detail", {}).get("path", "/0").rsplit("/", 1)[1]
            # With the bare reference beside the app, each floor is bracketed by it too, as a computed scenario is:
            # one measurement of the reference at the end moves by up to a tenth between runs.
            bare_before = measure_bare_beside(top, args) if bare_before else None
            for name, floor in floor_statements(db, book_id).items():
                top.stop_backend()
                top.start_refapp(top.static_root / "page1.json", floor)
                status, _, body = fetch(top.url + scenario_paths()["list_page1"])
                assert status == 200 and body == page1, f"the {name} reference does not answer the page-1 bytes"
                log(f"{db} {size:,} {name}")
                entry = result["references"][name] = {"path": scenario_paths()["list_page1"], "bytes": len(page1),
                                                      "statement": floor[0], "cache_bust": bust,
                                                      **measure(top.url + scenario_paths()["list_page1"], args,
                                                                bust=bust, topology=top)}
                if bare_before:
                    bare_after, entry["ratio_to_bare_beside"] = bracket(top, args, f"{db} {size:,} {name}",
                                                                        entry["rps"], bare_before)
                    entry["bare_beside"] = {"before": bare_before, "after": bare_after}
                    bare_before = bare_after
    finally:
        top.close(keep_logs_to=CACHE_DIR / "logs" / f"{db}-{size}")
    fixed = result["references"][BARE]["rps"]
    unique = result["references"].get(BARE + UNCACHED, {}).get("rps")
    for entry in [*result["scenarios"].values(), *result["references"].values()]:
        if "rps" in entry:  # ÷ the bare reference at the end, requested as the entry was
            bare = unique if entry.get("cache_bust") and unique else fixed
            entry["ratio_to_bare_wsgi"] = round(entry["rps"] / bare, 3) if bare else None
    return result


# --- targets and report ----------------------------------------------------------------------------------------

# Every target, in one place (the search issue's, and issue 12's table: computed path, import, memory). Each is
# checked on each database at the check size (--check-size, default 1 000 000 books). A row:
#   (name, kind, subject, comparison, limit)
# kinds: "p99" (subject: a scenario; ms), "ratio_bare" (a scenario's req/s ÷ ref_bare_wsgi of the same run),
# "ratio" (subject: (a, b), req/s of a ÷ req/s of b), "import" (subject: a key of the import figures: rows_per_s,
# peak_rss_mib), "intake" (subject: (scenario, key) of the intake figures, e.g. MARC import), "workers" (the
# largest peak RSS of a gunicorn worker after the whole bench, MiB), "export_memory" (subject: a format; the export's
# peak RSS at the check size minus at the smallest size measured, MiB: constant memory). "single user" targets
# apply to runs with one connection (--threads 1 --connections 1); the others to the rest. A scenario name ending in
# /uncached is the computed path (a unique URL per request).
SINGLE_USER = "single user"
IMPORT_KINDS = ("import", "intake", "export_memory")  # what --import-only measures
TARGETS = [
    *[(f"{s} p99", "p99", s, "<=", 50.0) for s in SEARCHES],
    *[(f"{s}{UNCACHED} p99", "p99", s + UNCACHED, "<=", 50.0) for s in SEARCHES],
    *[(f"{a}{v} / {b}{v} req/s", "ratio", (a + v, b + v), ">=", 0.80)
      for a, b in [("cursor_25000", "list_page1")] for v in ("", UNCACHED)],
    ("list_page1 / bare WSGI req/s", "ratio_bare", "list_page1", ">=", 0.40),
    # issue 12: the computed path, as ratios to bare WSGI in the same run
    *[(f"{s}{UNCACHED} / bare WSGI req/s", "ratio_bare", s + UNCACHED, ">=", 0.40)
      for s in ("list_page1", "cursor_25000")],
    (f"detail{UNCACHED} / bare WSGI req/s", "ratio_bare", "detail" + UNCACHED, ">=", 0.60),
    *[(f"{s}{UNCACHED} / bare WSGI req/s", "ratio_bare", s + UNCACHED, ">=", 0.25) for s in SEARCHES],
    (f"search_facets{UNCACHED} / bare WSGI req/s", "ratio_bare", "search_facets" + UNCACHED, ">=", 0.10),
    *[(f"{SINGLE_USER}: {s}{UNCACHED} p99", "p99", s + UNCACHED, "<=", 15.0) for s in SEARCHES + ("search_facets",)],
    # issue 12: the import (CSV, search index built, wall time) and memory; issue 10: export in constant memory
    ("import CSV rows/s", "import", "rows_per_s", ">=", 20_000),
    ("import CSV peak RSS MiB", "import", "peak_rss_mib", "<=", 400),
    ("import MARC peak RSS MiB", "intake", ("import_marc", "peak_rss_mib"), "<=", 400),
    ("gunicorn worker peak RSS MiB", "workers", None, "<=", 150),
    *[(f"export {fmt} peak RSS growth from the smallest size, MiB", "export_memory", fmt, "<=", 20)
      for fmt in ("csv", "mrc")],
]


def _target_value(kind, subject, run_, runs):
    sc, imp = run_["scenarios"], run_["import"]
    if kind == "p99":
        e = sc.get(subject)
        return None if not e or "rps" not in e else (e["p99_ms"] if not e.get("errors") else float("inf"))
    if kind == "ratio_bare":  # to the bare reference measured around it when there is one (--bare-beside)
        if sc.get(subject, {}).get("ratio_to_bare_beside") is not None:
            return sc[subject]["ratio_to_bare_beside"]
        return sc.get(subject, {}).get("ratio_to_bare_wsgi")  # ÷ the bare reference at the end
    if kind == "ratio":
        a, b = sc.get(subject[0], {}).get("rps"), sc.get(subject[1], {}).get("rps")
        return round(a / b, 3) if a and b else None
    if kind == "import":
        return None if imp.get("reused") else imp.get(subject)
    if kind == "intake":
        return (imp.get("intake") or {}).get(subject[0], {}).get(subject[1])
    if kind == "workers":
        workers = run_.get("workers") or []
        return max((w["peak_rss_mib"] for w in workers), default=None)
    if kind == "export_memory":
        sizes = sorted((r for r in runs if r["db"] == run_["db"] and (r["import"].get("intake") or {})),
                       key=lambda r: r["size"])
        if len(sizes) < 2 or sizes[0] is run_:
            return None
        peak = lambda r: r["import"]["intake"].get(f"export_{subject}", {}).get("peak_rss_mib")  # noqa: E731
        return round(peak(run_) - peak(sizes[0]), 1) if peak(run_) is not None and peak(sizes[0]) is not None \
            else None
    raise ValueError(kind)


def checks(runs, dbs=DATABASES, size=TARGET_SIZE, single_user=False):
    """Each target of TARGETS on each database at this size: PASS, FAIL, NOT RUN (no run of that size) or MISSING
    (the run did not measure it: another cache mode, --import-only, --no-intake, a scenario the API lacks).
    single_user: the run used one connection, so the single-user targets apply (and only they, of the scenarios')."""
    out = []
    for db in dbs:
        run_ = next((r for r in runs if r["db"] == db and r["size"] == size), None)
        for name, kind, subject, op, limit in TARGETS:
            if kind in ("p99", "ratio", "ratio_bare") and name.startswith(SINGLE_USER) != single_user:
                continue
            value = _target_value(kind, subject, run_, runs) if run_ else None
            ok = value is not None and (value <= limit if op == "<=" else value >= limit)
            out.append({"db": db, "size": size, "check": name, "kind": kind, "target": f"{op} {limit:g}", "value": value,
                        "result": "NOT RUN" if run_ is None else ("MISSING" if value is None else
                                                                  ("PASS" if ok else "FAIL"))})
            floor = floor_ratio(run_["references"].get(FLOOR_OF.get(subject), {})) \
                if run_ and kind == "ratio_bare" else None
            if floor is not None:  # the best that scenario's statement allows here (refapp.py's floors)
                out[-1]["floor"] = floor
    return out


# Not FLOOR_SEARCH: where the common word is broad (a million books) its statement is only the first of the search's.
FLOOR_OF = {"list_page1" + UNCACHED: FLOOR_PAGE, "cursor_25000" + UNCACHED: FLOOR_PAGE, "detail" + UNCACHED: FLOOR_BOOK}


def floor_ratio(entry) -> float | None:
    """A floor's ratio to the bare reference: around it (--bare-beside), else at the end of its block."""
    beside = entry.get("ratio_to_bare_beside")
    return beside if beside is not None else entry.get("ratio_to_bare_wsgi")


def floor_note(check) -> str:
    return "" if check.get("floor") is None else f" (floor {check['floor']:.2f})"


def worker_memory(master_pid):
    """The gunicorn master's workers now: pid, peak RSS (VmHWM) and RSS (VmRSS) in MiB, from /proc."""
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = dict(line.split(":", 1) for line in open(f"/proc/{entry.name}/status") if ":" in line)
        except OSError:
            continue
        if int(status.get("PPid", "0").strip()) != master_pid:
            continue
        kib = {key: int(status[key].split()[0]) for key in ("VmHWM", "VmRSS") if key in status}
        out.append({"pid": int(entry.name), "peak_rss_mib": round(kib.get("VmHWM", 0) / 1024, 1),
                    "rss_mib": round(kib.get("VmRSS", 0) / 1024, 1)})
    return sorted(out, key=lambda w: w["pid"])


def table(results):
    lines = []
    header = (f"{'db':<10} {'books':>9} {'scenario':<25} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'/bare':>6} "
              f"{'/beside':>7} {'hits':>8} {'errors':>6} {'other CPU':>9}")
    lines += [header, "-" * len(header)]
    for r in results["runs"]:
        imp = r["import"]
        lines.append(f"{r['db']:<10} {r['size']:>9,} {'import':<25} {imp['rows_per_s']:>8,} rows/s in "
                     f"{imp['seconds']:,.0f} s" + (f", peak {imp['peak_rss_mib']} MiB" if imp.get("peak_rss_mib") else "")
                     + (f", {imp['cpu_s']} s of its own CPU" if imp.get("cpu_s") else "")
                     + (" (reused)" if imp.get("reused") else ""))
        for name, e in (imp.get("intake") or {}).items():
            rate = f"{e['rows_per_s']:>8,} rows/s" if "rows_per_s" in e else f"{e['books_per_s']:>8,} books/s"
            lines.append(f"{r['db']:<10} {r['size']:>9,} {name:<25} {rate} in {e['seconds']:,.1f} s, "
                         f"peak {e['peak_rss_mib']} MiB" + (f", {e['cpu_s']} s of its own CPU" if e.get("cpu_s") else ""))
        for name, e in [*r["scenarios"].items(), *r["references"].items()]:
            if "missing" in e:
                lines.append(f"{r['db']:<10} {r['size']:>9,} {name:<25} MISSING: {e['missing'][:70]}")
                continue
            hits = "" if e.get("total") is None else f"{e['total']:,}"
            lines.append(f"{r['db']:<10} {r['size']:>9,} {name:<25} {e['rps']:>8,.0f} {e['p50_ms']:>8.2f} "
                         f"{e['p99_ms']:>8.2f} {e.get('ratio_to_bare_wsgi') or 0:>6.2f} {beside_cell(e):>7} "
                         f"{hits:>8} {e['errors']:>6} {e['cpu_share']['other']:>9.0%}")
    spreads = [line for line in map(bare_spread, results["runs"]) if line]
    if spreads:
        lines += ["", "The machine's speed within each block:", *(f"  {line}" for line in spreads)]
    floors = [line for line in map(floor_line, results["runs"]) if line]
    if floors:
        lines += ["", FLOORS_TITLE, *(f"  {line}" for line in floors)]
    lines += ["", ("CPU per request, ms (app: the gunicorn workers, SQLite inside them; database: the PostgreSQL "
                   "server; load: wrk and this runner):")]
    for r in results["runs"]:
        for name, e in [*r["scenarios"].items(), *r["references"].items()]:
            if e.get("cpu_ms_per_request"):
                lines.append(f"{r['db']:<10} {r['size']:>9,} {name:<25} " + cpu_split(e["cpu_ms_per_request"]))
            if ((e.get("bare_beside") or {}).get("after") or {}).get("cpu_ms_per_request"):
                lines.append(f"{r['db']:<10} {r['size']:>9,} {'  bare WSGI right after':<25} "
                             + cpu_split(e["bare_beside"]["after"]["cpu_ms_per_request"]))
    lines.append("")
    for r in results["runs"]:
        for w in r.get("workers") or []:
            lines.append(f"{r['db']:<10} {r['size']:>9,} gunicorn worker {w['pid']:<9} peak RSS {w['peak_rss_mib']} MiB, "
                         f"RSS {w['rss_mib']} MiB after the bench")
    lines.append("")
    sizes = sorted({c["size"] for c in results["checks"]})
    lines.append(f"Targets ({', '.join(f'{n:,}' for n in sizes) or 'none checked'} books):")
    for c in results["checks"]:
        value = "-" if c["value"] is None else c["value"]
        lines.append(f"  {c['result']:<8} {c['db']:<10} {c['check']:<56} {c['target']:<10} got {value}{floor_note(c)}")
    return "\n".join(lines)


CPU_PARTS = ("app", "database", "nginx", "load")
FLOORS_TITLE = ("The floors, ÷ bare WSGI around each (the bare app plus reading the database, nothing else; the best "
                "a computed page can reach here):")


def bare_spread(run_) -> str:
    """The bare reference's own measurements in one database and size (around the computed scenarios, and at the
    end): how much the machine's speed moved within the block, which no ratio of one scenario can tell."""
    rps = []
    for e in [*run_["scenarios"].values(), *run_["references"].values()]:  # the floors are bracketed too
        beside = e.get("bare_beside")
        pairs = e.get("repeats") or ([{"bare_before_rps": beside["before"]["rps"],
                                       "bare_after_rps": beside["after"]["rps"]}] if beside else [])
        for pair in pairs:
            if not rps or rps[-1] != pair["bare_before_rps"]:  # the first, and the one before the floors
                rps.append(pair["bare_before_rps"])
            rps.append(pair["bare_after_rps"])
    # the one at the end requested as those around the scenarios were (a unique URL each time)
    end = (run_["references"].get(BARE + UNCACHED) or run_["references"].get(BARE, {})).get("rps")
    if not rps or not end:
        return ""
    low, high = min(rps + [end]), max(rps + [end])
    return (f"{run_['db']} {run_['size']:,}: the bare WSGI reference measured {len(rps) + 1} times, "
            f"{low:,.0f} to {high:,.0f} req/s (the highest {high / low - 1:.0%} above the lowest; "
            f"at the end {end:,.0f})")


def floor_line(run_) -> str:
    """The floors of one database and size (refapp.py), as ratios to the bare reference measured around each (or,
    without --bare-beside, at the end of the block): what a computed page can reach at best on this machine when
    reading the database costs what it costs."""
    refs = run_["references"]
    words = {FLOOR_STATEMENT: "one trivial statement a request", FLOOR_BOOK: "the book page's statement",
             FLOOR_PAGE: "list page 1's statement", FLOOR_SEARCH: "the common word's search statement"}
    found = [(name, floor_ratio(refs[name])) for name in words if floor_ratio(refs.get(name, {})) is not None]
    if not found:
        return ""
    return f"{run_['db']} {run_['size']:,}: " + "; ".join(f"{words[name]} {ratio:.2f}" for name, ratio in found)


def beside_cell(entry) -> str:
    """A computed scenario's req/s ÷ the mean of the bare reference's measured right before and after it, or blank."""
    return "" if entry.get("ratio_to_bare_beside") is None else f"{entry['ratio_to_bare_beside']:.2f}"


def cpu_split(ms: dict) -> str:
    """A request's CPU milliseconds by part, and their sum."""
    return " ".join(f"{part} {ms[part]:.2f}" for part in CPU_PARTS if part in ms) + f"  total {sum(ms.values()):.2f}"


def markdown_table(results):
    """The same figures as a Markdown table (for bench/README.md's "Last run")."""
    lines = ["| db | books | scenario | req/s | p50 ms | p99 ms | req/s ÷ bare WSGI | ÷ bare beside | matches |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results["runs"]:
        imp = r["import"]
        lines.append(f"| {r['db']} | {r['size']:,} | import | {imp['rows_per_s']:,} rows/s | | | | | "
                     f"{imp['seconds']:,.0f} s |")
        for name, e in [*r["scenarios"].items(), *r["references"].items()]:
            if "missing" in e:
                lines.append(f"| {r['db']} | {r['size']:,} | {name} | missing | | | | | |")
                continue
            total = "" if e.get("total") is None else f"{e['total']:,}"
            lines.append(f"| {r['db']} | {r['size']:,} | {name} | {e['rps']:,.0f} | {e['p50_ms']:.2f} | "
                         f"{e['p99_ms']:.2f} | {e.get('ratio_to_bare_wsgi') or 0:.2f} | {beside_cell(e)} | {total} |")
    spreads = [line for line in map(bare_spread, results["runs"]) if line]
    if spreads:
        lines += ["", "The machine's speed within each block:", "", *(f"- {line}" for line in spreads)]
    floors = [line for line in map(floor_line, results["runs"]) if line]
    if floors:
        lines += ["", FLOORS_TITLE, "", *(f"- {line}" for line in floors)]
    lines += ["", "Memory (peak resident set, MiB):", "", "| db | books | process | peak RSS MiB |", "| --- | ---: | --- | ---: |"]
    for r in results["runs"]:
        imp = r["import"]
        rows = [("import (CSV)", imp.get("peak_rss_mib"))]
        rows += [(name.replace("_", " "), e.get("peak_rss_mib")) for name, e in (imp.get("intake") or {}).items()]
        rows += [(f"gunicorn worker {w['pid']} (after the bench; RSS now {w['rss_mib']})", w["peak_rss_mib"])
                 for w in r.get("workers") or []]
        lines += [f"| {r['db']} | {r['size']:,} | {name} | {value} |" for name, value in rows if value is not None]
    lines += ["", ("Where the machine's time goes: CPU milliseconds per request, by process (app: the gunicorn "
                   "workers, SQLite inside them; database: the PostgreSQL server; load: wrk and the runner):"), "",
              "| db | books | scenario | app | database | nginx | load | total |",
              "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in results["runs"]:
        for name, e in [*r["scenarios"].items(), *r["references"].items()]:
            ms = e.get("cpu_ms_per_request")
            if ms:
                cells = " | ".join("" if part not in ms else f"{ms[part]:.2f}" for part in CPU_PARTS)
                lines.append(f"| {r['db']} | {r['size']:,} | {name} | {cells} | {sum(ms.values()):.2f} |")
            ms = ((e.get("bare_beside") or {}).get("after") or {}).get("cpu_ms_per_request")
            if ms:
                cells = " | ".join("" if part not in ms else f"{ms[part]:.2f}" for part in CPU_PARTS)
                lines.append(f"| {r['db']} | {r['size']:,} | bare WSGI right after {name} | {cells} | "
                             f"{sum(ms.values()):.2f} |")
    lines += ["", "Targets:", "", "| db | books | target | limit | value | result |", "| --- | ---: | --- | --- | ---: | --- |"]
    for c in results["checks"]:
        value = "" if c["value"] is None else c["value"]
        lines.append(f"| {c['db']} | {c['size']:,} | {c['check']} | {c['target']} | {value} | {c['result']}{floor_note(c)} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated numbers of books")
    parser.add_argument("--dbs", default=",".join(DATABASES), help="comma-separated: sqlite, postgresql")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per scenario")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of wrk before each measurement, not recorded")
    parser.add_argument("--timeout", type=int, default=30, help="wrk request timeout, seconds")
    parser.add_argument("--wait-quiet", type=int, default=60,
                        help="before each measurement wait up to this many seconds for other processes to calm down")
    parser.add_argument("--cache-bust", choices=("off", "on", "both"), default="both",
                        help="on: every request of the app's scenarios gets a unique ignored parameter (_bench=...), "
                             "so the app's response cache never answers (computing each response is measured); "
                             "off: the same URL again and again (a cache may answer); both: each scenario twice. "
                             "With on or both the bare reference is measured both ways too (ref_bare_wsgi/uncached), "
                             "and each row is divided by the one requested as it was")
    parser.add_argument("--bare-beside", choices=("on", "off"), default="on",
                        help="on: measure the bare WSGI reference also before the first computed (/uncached) "
                             "scenario and right after each (with a unique URL per request, as they are), on a "
                             "gunicorn of its own beside the app, and check each "
                             "computed target against the mean of the two around it (the machine's speed drifts "
                             "within a run); off: only at the end of each database and size")
    parser.add_argument("--floors", choices=("on", "off"), default="on",
                        help="after the bare reference, measure the floors: the same bare app running, per "
                             "request, the lean lane's statement for list page 1 (ref_floor_page), for the detail "
                             "scenario's book (ref_floor_book) and, on PostgreSQL, one trivial statement "
                             "(ref_floor_statement) and the common word's search (ref_floor_search_common) "
                             "(refapp.py)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="with --bare-beside on: measure each computed scenario this many times, each followed "
                             "by the bare reference, and keep the measurement of the median ratio (odd numbers)")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--description", choices=("auto", "yes", "no"), default="auto",
                        help="generate the description column (auto: when the importer takes it)")
    parser.add_argument("--reuse", nargs="?", const="all", default="",
                        help="reuse databases already imported in bench/.cache (only the server phase runs); "
                             "optionally only for these comma-separated sizes, e.g. --reuse 1000000")
    parser.add_argument("--import-only", action="store_true", help="generate and import, measure nothing")
    parser.add_argument("--no-intake", action="store_true",
                        help="skip the intake figures (MARC import rows/s and peak memory, export memory)")
    parser.add_argument("--scenarios", default="",
                        help="comma-separated subset of scenarios (default: all); \"stats\" names every stats_* one")
    parser.add_argument("--check-size", type=int, default=TARGET_SIZE,
                        help="the number of books at which the targets are checked (one of --sizes)")
    parser.add_argument("--loans", type=int, default=1_000_000,
                        help="loans in the stats scenarios' databases (bench/stats.py); 0 skips them")
    parser.add_argument("--stats-books", type=int, default=50_000, help="books in the stats scenarios' databases")
    parser.add_argument("--no-save", action="store_true", help="print only; write nothing to bench/results/")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` cleans up like Ctrl-C: servers, cluster
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    dbs = [d.strip() for d in args.dbs.split(",") if d.strip()]
    if unknown := set(dbs) - set(DATABASES):
        parser.error(f"unknown databases: {', '.join(sorted(unknown))}")
    if args.repeat < 1 or (args.repeat > 1 and args.bare_beside != "on"):
        parser.error("--repeat takes a number from 1, and more than 1 needs --bare-beside on")
    args.scenarios = {s.strip() for s in args.scenarios.split(",") if s.strip()}
    from bench import stats

    catalog_wanted = not args.scenarios or bool(args.scenarios & set(SCENARIO_ORDER))
    stats_wanted = bool(stats.selected(args))
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            parser.error(f"{tool} is not installed (apt-get install {tool})")
    description = {"yes": True, "no": False}.get(args.description)
    if description is None:
        description = importer_takes_description()
        if not description:
            log("the importer does not take a description column yet: generating without it")

    started = datetime.now(timezone.utc)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    results = {"started_at": started.isoformat(timespec="seconds"), "machine": machine_facts(),
               "settings": {"wrk": {"threads": args.threads, "connections": args.connections,
                                    "duration_s": args.duration, "warmup_s": args.warmup, "timeout_s": args.timeout},
                            "sizes": sizes, "dbs": dbs, "seed": args.seed, "description_column": description,
                            "gunicorn": "backend/gunicorn.conf.py (workers from WEB_CONCURRENCY or min(2*cores+1, 8))",
                            "postgresql": "stock settings (as the postgres:15 image), listen 127.0.0.1",
                            "sqlite": "the app's profile: WAL, synchronous=FULL, busy_timeout",
                            "wait_quiet_s": args.wait_quiet, "cache_bust": args.cache_bust,
                            "bare_beside": args.bare_beside, "repeat": args.repeat,
                            "words": {"common": generate.COMMON_WORD, "rare": generate.RARE_WORD,
                                      "rare_rows": generate.RARE_COUNT, "phrase": " ".join(generate.PHRASE),
                                      "prefix": generate.PREFIX},
                            "cursor_depth": CURSOR_DEPTH, "stats": {"loans": args.loans, "books": args.stats_books}},
               "datasets": {}, "runs": [], "stats": []}
    pg = None
    args.postmaster_pid = lambda: pg.postmaster_pid() if pg else None  # the PostgreSQL server's CPU counts as ours
    args.cpu_roots = [args.postmaster_pid]
    try:
        if "postgresql" in dbs:
            pg = Postgres()
            pg.start()
            results["machine"]["postgresql_server"] = pg.version()
        for size in sizes if catalog_wanted else []:
            csv_path, tag, facts = dataset(size, args.seed, description)
            results["datasets"][str(size)] = {"csv": str(csv_path.relative_to(REPO_DIR)), **facts}
            for db in dbs:
                reuse = args.reuse == "all" or str(size) in args.reuse.replace("_", "").split(",")
                url, imported = prepare_database(db, size, csv_path, tag, reuse, pg, args.cpu_roots)
                if not args.no_intake:
                    imported["intake"] = intake_figures(db, size, csv_path, tag, url, pg)
                if args.import_only:
                    results["runs"].append({"db": db, "size": size, "import": imported, "scenarios": {},
                                            "references": {}})
                    continue
                measured = bench_one(db, size, url, args, imported)
                results["runs"].append({"db": db, "size": size, "import": imported, **measured})
        for db in dbs if stats_wanted and not args.import_only else []:
            results["stats"].append(stats.bench_stats(db, args, pg))
    finally:
        if pg:
            pg.stop()
    results["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    catalog_checks = [c for c in checks(results["runs"], dbs, args.check_size, args.connections == 1)
                      if not args.import_only or c["kind"] in IMPORT_KINDS] if catalog_wanted else []
    results["checks"] = catalog_checks + ([] if args.import_only else stats.checks(results["stats"]))
    print(table(results))
    if results["stats"]:
        print(stats.table(results["stats"]))
    if not args.no_save and not args.import_only:
        RESULTS_DIR.mkdir(exist_ok=True)
        text = json.dumps(results, indent=2) + "\n"
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        (RESULTS_DIR / f"{stamp}.json").write_text(text)
        (RESULTS_DIR / "latest.json").write_text(text)
        (RESULTS_DIR / "latest.md").write_text(markdown_table(results) + "\n" +
                                               (f"\n{stats.markdown_table(results['stats'])}\n" if results["stats"] else ""))
        log(f"wrote bench/results/{stamp}.json and bench/results/latest.json")
    return 1 if any(c["result"] == "FAIL" for c in results["checks"]) else 0


if __name__ == "__main__":
    sys.exit(main())
