"""The stats scenario of the benchmark: each panel of the staff dashboard (GET /api/v1/stats/...) at a million loans.

A database of its own per engine: `--stats-books` books from generate.py (imported like the catalog scenarios), then
copies, members and `--loans` loans from bench/loans.py (four years up to today, the app's own history generator).
The app runs behind nginx as in the other scenarios; a librarian's API token (made with the CLI) goes with every
request. Each panel is measured the way the dashboard is used, by one librarian: wrk with one connection, so the
figures are the panel's own answer time, not a queue's. Targets: p99 <= 100 ms for each panel as the dashboard opens
and as its choices switch it (the last 30 days; the collection over 12 months; the weeding list); the most borrowed
over 12 months is reported beside them, without a target (see bench/README.md).
"""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

from bench.run import BENCH_DIR, CACHE_DIR, Topology, app_env, dataset, flask, log, measure, prepare_database

STATS_P99_MS = 100.0


def scenario_paths(today):
    """{name: (path, has a target)}: the dashboard's requests, with the periods the page asks for."""
    last30 = f"from={(today - timedelta(days=29)).isoformat()}&to={today.isoformat()}"
    first = today.replace(day=1)
    year_start = (first.replace(year=first.year - 1) if first.month == 12 else
                  first.replace(year=first.year - 1, month=first.month + 1))
    last12m = f"from={year_start.isoformat()}&to={today.isoformat()}"
    last365 = f"from={(today - timedelta(days=364)).isoformat()}&to={today.isoformat()}"  # a custom period: days too
    paths = {
        "stats_current": ("/api/v1/stats/current", True),
        "stats_circulation_30d": (f"/api/v1/stats/circulation?{last30}&group=day", True),
        "stats_circulation_12m": (f"/api/v1/stats/circulation?{last12m}&group=month", True),
        "stats_collection_subject": ("/api/v1/stats/collection?by=subject&months=12", True),
        "stats_collection_language": ("/api/v1/stats/collection?by=language&months=12", True),
        "stats_collection_decade": ("/api/v1/stats/collection?by=decade&months=12", True),
        "stats_weeding": ("/api/v1/stats/weeding?months=24&page=1&per_page=20", True),
    }
    for kind in ("titles", "authors", "subjects"):
        paths[f"stats_top_{kind}_30d"] = (f"/api/v1/stats/top?kind={kind}&{last30}&limit=10", True)
    for kind in ("titles", "authors", "subjects"):
        paths[f"stats_top_{kind}_12m"] = (f"/api/v1/stats/top?kind={kind}&{last12m}&limit=10", True)
    for kind in ("titles", "authors", "subjects"):
        paths[f"stats_top_{kind}_365d"] = (f"/api/v1/stats/top?kind={kind}&{last365}&limit=10", True)
    return paths


def selected(args):
    """The stats scenarios to run: all with no --scenarios, or those named ("stats" names them all)."""
    names = list(scenario_paths(datetime.now(timezone.utc).date()))
    if args.loans <= 0:
        return []
    if not args.scenarios or "stats" in args.scenarios:
        return names
    return [name for name in names if name in args.scenarios]


def prepare(db, args, pg):
    """The stats database of this engine (imported, then given its loans; both kept for --reuse): (url, facts)."""
    csv_path, tag, facts = dataset(args.stats_books, args.seed, True)
    stats_tag = f"{tag}-loans{args.loans}"
    reuse = bool(args.reuse)
    url, imported = prepare_database(db, args.stats_books, csv_path, stats_tag, reuse, pg, args.cpu_roots)
    marker = CACHE_DIR / f"{db}-{stats_tag}.loans.json"
    if reuse and imported.get("reused") and marker.exists():
        made = json.loads(marker.read_text())
        log(f"{db} stats: reusing the {made['loans']:,} loans made on {made['made_at']}")
    else:
        log(f"{db} stats: generating {args.loans:,} loans over 4 years (bench/loans.py)")
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(BENCH_DIR / "loans.py"), url, "--loans", str(args.loans)],
                                capture_output=True, text=True, env=app_env(url))
        if result.returncode != 0:
            raise RuntimeError(f"bench/loans.py failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
        made = {**eval_facts(result.stdout), "seconds": round(time.monotonic() - started, 1),
                "made_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        marker.write_text(json.dumps(made, indent=2))
        log(f"{db} stats: {made['loans']:,} loans in {made['seconds']:.0f} s")
    return url, {"dataset": {"books": args.stats_books, "csv_sha256": facts["sha256"]}, "import": imported,
                 "loans": made}


def eval_facts(stdout):
    """The dict bench/loans.py prints last."""
    import ast

    return ast.literal_eval(stdout.strip().splitlines()[-1])


def fetch_as(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def bench_stats(db, args, pg):
    """Measure every selected stats scenario on this engine's stats database."""
    url, facts = prepare(db, args, pg)
    env = app_env(url)
    email = f"bench-{int(time.time())}@bench.test"
    flask(env, "create-user", email, "--role", "librarian", "--name", "Bench librarian")
    token = flask(env, "create-token", email, "--name", "stats bench", "--scopes", "read").stdout.strip().splitlines()[-1]
    today = datetime.now(timezone.utc).date()
    paths = scenario_paths(today)
    result = {"db": db, **facts, "scenarios": {}}
    top = Topology(env)
    try:
        top.start_nginx()
        top.start_app()
        for name in selected(args):
            path, target = paths[name]
            status, body = fetch_as(top.url + path, token)
            if status != 200:
                result["scenarios"][name] = {"path": path, "missing": f"answered {status}: {body[:300]!r}"}
                log(f"{db} stats {name}: MISSING ({status})")
                continue
            log(f"{db} stats {name}: {path}")
            result["scenarios"][name] = {
                "path": path, "target": target, "bytes": len(body),
                **measure(top.url + path, args, topology=top, headers={"Authorization": f"Bearer {token}"}, threads=1,
                          connections=1)}
    finally:
        top.close(keep_logs_to=CACHE_DIR / "logs" / f"{db}-stats")
    return result


def checks(stats_runs):
    """Each targeted panel's p99 against STATS_P99_MS; the others are INFO."""
    out = []
    for run_ in stats_runs:
        for name, entry in run_["scenarios"].items():
            p99 = entry.get("p99_ms")
            if not entry.get("target", True):
                result = "INFO"
            elif p99 is None:
                result = "MISSING"
            else:
                result = "PASS" if p99 <= STATS_P99_MS and not entry.get("errors") else "FAIL"
            out.append({"db": run_["db"], "size": run_["loans"]["loans"] if "loans" in run_ else None,
                        "check": f"{name} p99", "target": f"<= {STATS_P99_MS:g} ms", "value": p99, "result": result})
    return out


def _rows(stats_runs, measured, missing):
    """One line per scenario: measured(db, name, entry) or missing(db, name, why)."""
    for run_ in stats_runs:
        for name, entry in run_["scenarios"].items():
            yield missing(run_["db"], name, entry["missing"]) if "missing" in entry else measured(run_["db"], name, entry)


def table(stats_runs):
    lines = [f"{'db':<10} {'stats scenario':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6} "
             f"{'other CPU':>9}"]
    lines += [f"{run_['db']:<10} {run_['dataset']['books']:,} books, {run_['loans']['loans']:,} loans "
              f"({run_['loans']['active']:,} out, {run_['loans']['anonymised']:,} anonymised)" for run_ in stats_runs]
    lines += _rows(stats_runs,
                   lambda db, name, e: f"{db:<10} {name:<28} {e['rps']:>8,.0f} {e['p50_ms']:>8.2f} {e['p99_ms']:>8.2f} "
                                       f"{e['max_ms']:>8.2f} {e['errors']:>6} {e['cpu_share']['other']:>9.0%}",
                   lambda db, name, why: f"{db:<10} {name:<28} MISSING: {why[:70]}")
    return "\n".join(lines)


def markdown_table(stats_runs):
    lines = ["| db | stats scenario | p50 ms | p99 ms | max ms | req/s (1 connection) | target |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    lines += _rows(stats_runs,
                   lambda db, name, e: f"| {db} | {name} | {e['p50_ms']:.2f} | {e['p99_ms']:.2f} | {e['max_ms']:.2f} | "
                                       f"{e['rps']:,.0f} | {'p99 ≤ 100 ms' if e.get('target') else '—'} |",
                   lambda db, name, why: f"| {db} | {name} | missing | | | | |")
    return "\n".join(lines)
