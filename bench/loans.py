"""Loan history for the stats scenario: copies of every book, members, and N loans over Y years up to now, written
into a catalog database that `flask import-books` filled (bench/run.py does that first).

    python bench/loans.py DATABASE_URL [--loans 1000000] [--years 4] [--members 20000] [--seed 20261130]

The loans come from the app's own generator (library/services/demo_history.py, the one behind `seed-demo --history`):
a library's week and year, skewed popularity, returns mostly on time, the youngest still out. Copies: one to three a
book (barcodes BENCH-<book>-<n>); members BENCH-M000001 ...; one in seven does not keep their reading history, so
their closed loans are anonymised. Deterministic for the same catalog, options and day.
"""

import argparse
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "backend"))
sys.path.insert(0, str(BENCH_DIR.parent))

from bench import words  # noqa: E402

BATCH = 10_000


def add_copies_and_members(members: int, seed: int) -> tuple[int, int]:
    """One to three copies of every book that has none, and members up to `members`; returns what was added."""
    from sqlalchemy import func, insert, select

    from library.extensions import db
    from library.models import Book, Copy, Member

    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    have = set(db.session.scalars(select(Copy.book_id).distinct()))
    copies, rows = 0, []
    for book_id in db.session.scalars(select(Book.id).order_by(Book.id)):
        count = 1 if rng.random() < 0.55 else (2 if rng.random() < 0.7 else 3)
        if book_id in have:
            continue
        rows += [{"book_id": book_id, "barcode": f"BENCH-{book_id}-{n}", "status": "available", "created_at": now,
                  "updated_at": now} for n in range(1, count + 1)]
        if len(rows) >= BATCH:
            db.session.execute(insert(Copy.__table__), rows)
            copies, rows = copies + len(rows), []
    if rows:
        db.session.execute(insert(Copy.__table__), rows)
        copies += len(rows)
    existing = db.session.scalar(select(func.count()).select_from(Member))
    rows = []
    for n in range(existing + 1, members + 1):
        rows.append({"card_number": f"BENCH-M{n:06d}", "status": "active", "keep_history": rng.random() >= 1 / 7,
                     "name": f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}", "created_at": now,
                     "updated_at": now})
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(Member.__table__), rows[start:start + BATCH])
    db.session.commit()
    return copies, len(rows)


def populate(database_url: str, loans: int, years: int, members: int, seed: int) -> dict:
    """Copies, members and loans into the database at database_url (migrated and imported); returns the facts."""
    from library import create_app
    from library.extensions import db
    from library.services import demo_history

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LIBRARY_ENV": "development"})
    with app.app_context():
        started = time.monotonic()
        copies, added_members = add_copies_and_members(members, seed)
        plan = demo_history.Plan(loans=loans, days=round(365.25 * years), seed=seed)
        made = demo_history.add_history(None, None, plan, datetime.now(timezone.utc))
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM (ANALYZE) loan, copy, member, hold")
        else:
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
        db.engine.dispose()
    return {"copies_added": copies, "members_added": added_members, "loans": made.loans, "active": made.active,
            "overdue": made.overdue, "anonymised": made.anonymised, "years": years,
            "seconds": round(time.monotonic() - started, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20261130)
    args = parser.parse_args(argv)
    print(populate(args.database_url, args.loans, args.years, args.members, args.seed))


if __name__ == "__main__":
    main()
