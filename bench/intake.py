"""The intake benchmark (run by run.py for each database and size, or alone): import rows/s and peak memory for the
CSV and for the same books as MARC 21, and the memory of exporting the whole catalog (constant: the same at 10 000
and 1 000 000 books).

    python bench/intake.py to-marc BOOKS.csv BOOKS.mrc        # the dataset as MARC (what run.py caches)
    python bench/intake.py export DATABASE_URL csv|mrc|xml|json  # stream an export, print its bytes and books

Peak memory is the largest resident set of the measured command (getrusage of a wrapper's only child).
"""

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
BACKEND_DIR = REPO_DIR / "backend"

PEAK = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr); "
        "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
        "sys.exit(r.returncode)")


def measured(cmd, env, cwd=BACKEND_DIR, timeout=None):
    """Run cmd; (seconds, peak RSS in MiB, stdout). Raises on a non-zero exit."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", PEAK, *map(str, cmd)], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=timeout)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    peak_kb = int(result.stderr.rsplit("PEAK_RSS_KB", 1)[1].split()[0])
    return seconds, round(peak_kb / 1024, 1), result.stdout


def to_marc(csv_path, out_path):
    """The CSV dataset's books as MARC 21 records (the app's own MARC writer), streamed."""
    sys.path.insert(0, str(BACKEND_DIR))
    from library.services import marc

    tmp = Path(str(out_path) + ".tmp")
    with open(csv_path, newline="", encoding="utf-8") as rows, open(tmp, "wb") as out:
        for number, row in enumerate(csv.DictReader(rows), start=1):
            book = {"id": number, "title": row["title"], "subtitle": row.get("subtitle") or None,
                    "authors": [{"name": name.strip(), "sort_name": ""} for name in row["authors"].split(";") if name.strip()],
                    "isbn": row.get("isbn") or None, "other_isbns": [], "publisher": row.get("publisher") or None,
                    "published_year": int(row["year"]) if row.get("year") else None,
                    "language": row.get("language") or None, "description": row.get("description") or None,
                    "subjects": [s for s in (row.get("subjects") or "").split(";") if s], "copies": []}
            out.write(marc.as_iso2709(marc.to_marc(book)))
    tmp.replace(out_path)


def export(database_url, fmt):
    """Stream an export of the whole catalog into nothing; print {"bytes", "books"}."""
    import os

    os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(BACKEND_DIR))
    from library import create_app
    from library.services import exporter

    app = create_app()
    chunks = {"csv": lambda: (",".join(map(str, row)).encode() for row in exporter.csv_rows({})),
              "mrc": lambda: exporter.marc_chunks({}), "xml": lambda: exporter.marcxml_chunks({}),
              "json": lambda: exporter.json_chunks({})}[fmt]
    size = count = 0
    with app.app_context():
        for chunk in chunks():
            size += len(chunk)
            count += 1
    print(json.dumps({"bytes": size, "chunks": count}))


def run_all(db, size, csv_path, marc_path, main_url, fresh_url, env_of):
    """The intake figures of one database and size: MARC import into a fresh database (rows/s, peak memory) and
    exports of the imported catalog (seconds, peak memory, bytes)."""
    if not marc_path.exists():
        to_marc(csv_path, marc_path)
    facts = {}
    flask = [sys.executable, "-m", "flask", "--app", "library"]
    env = env_of(fresh_url)
    subprocess.run([*flask, "db", "upgrade"], cwd=BACKEND_DIR, env=env, check=True, capture_output=True)
    seconds, peak, out = measured([*flask, "import-books", str(marc_path)], env)
    added = int(out.split("added ", 1)[1].split(",")[0]) if "added " in out else None
    facts["import_marc"] = {"records": size, "added": added, "seconds": round(seconds, 1),
                            "rows_per_s": round(size / seconds), "peak_rss_mib": peak}
    for fmt in ("csv", "mrc"):
        seconds, peak, out = measured([sys.executable, str(BENCH_DIR / "intake.py"), "export", main_url, fmt],
                                      env_of(main_url))
        facts[f"export_{fmt}"] = {"seconds": round(seconds, 1), "peak_rss_mib": peak,
                                  "books_per_s": round(size / seconds), **json.loads(out.strip().splitlines()[-1])}
    return facts


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "to-marc":
        to_marc(sys.argv[2], sys.argv[3])
    elif command == "export":
        export(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
