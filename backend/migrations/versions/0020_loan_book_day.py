"""loan_book_day: loans per UTC day and book, kept by triggers on loan and copy, so the dashboard's most borrowed
titles, authors and subjects read a period's per-day counts instead of joining every loan of the period to its copy.
Backfilled from the loans already there.

Revision ID: 0020_loan_book_day
Revises: 0019_collection_tally
Create Date: 2026-11-30

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020_loan_book_day'
down_revision = '0019_collection_tally'
branch_labels = None
depends_on = None

# A row per (day, book) with at least one loan (the check: a count reaching 0 is deleted, never kept). On SQLite the
# table is its primary key (WITHOUT ROWID), so a period is one contiguous range of it; the book index serves the
# foreign key (a book with counted loans cannot be deleted) and a copy moving to another book.
TABLE = """CREATE TABLE loan_book_day (
    day DATE NOT NULL,
    book_id INTEGER NOT NULL,
    loans INTEGER NOT NULL,
    CONSTRAINT pk_loan_book_day PRIMARY KEY (day, book_id),
    CONSTRAINT ck_loan_book_day_loans_positive CHECK (loans > 0),
    CONSTRAINT fk_loan_book_day_book_id_book FOREIGN KEY(book_id) REFERENCES book (id)
){options}"""
INDEX = "CREATE INDEX ix_loan_book_day_book ON loan_book_day (book_id, day)"

# Triggers beside 0017's loan_stats ones (paused by the same loan_stats_pause row): a loan made (+1 for the UTC day
# of loaned_at and its copy's book), deleted (-1), moved to another day or copy (both), and a copy moved to another
# book (a merge: its loans now count for the new book). Day = the UTC date of loaned_at, as loan_day's.
PAUSED = "EXISTS (SELECT 1 FROM loan_stats_pause)"
SQLITE_BOOK = "(SELECT book_id FROM copy WHERE id = {}.copy_id)"
SQLITE_ADD = f"""INSERT INTO loan_book_day (day, book_id, loans)
            SELECT substr(NEW.loaned_at, 1, 10), book_id, 1 FROM copy WHERE id = NEW.copy_id
            ON CONFLICT (day, book_id) DO UPDATE SET loans = loans + 1;"""
SQLITE_REMOVE = f"""DELETE FROM loan_book_day WHERE day = substr(OLD.loaned_at, 1, 10)
            AND book_id = {SQLITE_BOOK.format('OLD')} AND loans = 1;
        UPDATE loan_book_day SET loans = loans - 1 WHERE day = substr(OLD.loaned_at, 1, 10)
            AND book_id = {SQLITE_BOOK.format('OLD')};"""
SQLITE_MOVED = "(SELECT count(*) FROM loan WHERE copy_id = NEW.id AND substr(loaned_at, 1, 10) = loan_book_day.day)"
SQLITE_MOVED_DAYS = "(SELECT substr(loaned_at, 1, 10) FROM loan WHERE copy_id = NEW.id)"
SQLITE_TRIGGERS = {
    "loan_book_day_ai": f"""AFTER INSERT ON loan WHEN NOT {PAUSED} BEGIN
        {SQLITE_ADD}
    END""",
    "loan_book_day_ad": f"""AFTER DELETE ON loan WHEN NOT {PAUSED} BEGIN
        {SQLITE_REMOVE}
    END""",
    "loan_book_day_au": f"""AFTER UPDATE OF loaned_at, copy_id ON loan
        WHEN (OLD.loaned_at IS NOT NEW.loaned_at OR OLD.copy_id IS NOT NEW.copy_id) AND NOT {PAUSED} BEGIN
        {SQLITE_REMOVE}
        {SQLITE_ADD}
    END""",
    "copy_book_day_au": f"""AFTER UPDATE OF book_id ON copy
        WHEN OLD.book_id IS NOT NEW.book_id AND NOT {PAUSED} BEGIN
        DELETE FROM loan_book_day WHERE book_id = OLD.book_id AND day IN {SQLITE_MOVED_DAYS}
            AND loans = {SQLITE_MOVED};
        UPDATE loan_book_day SET loans = loans - {SQLITE_MOVED}
            WHERE book_id = OLD.book_id AND day IN {SQLITE_MOVED_DAYS};
        INSERT INTO loan_book_day (day, book_id, loans)
            SELECT substr(loaned_at, 1, 10), NEW.book_id, count(*) FROM loan WHERE copy_id = NEW.id GROUP BY 1
            ON CONFLICT (day, book_id) DO UPDATE SET loans = loans + excluded.loans;
    END""",
}
PG_LOAN_FUNCTION = """CREATE FUNCTION loan_book_day_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'UPDATE' AND NEW.loaned_at IS NOT DISTINCT FROM OLD.loaned_at AND NEW.copy_id = OLD.copy_id)
            OR EXISTS (SELECT 1 FROM loan_stats_pause) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        WITH gone AS (
            DELETE FROM loan_book_day d USING copy c
            WHERE c.id = OLD.copy_id AND d.day = (OLD.loaned_at AT TIME ZONE 'UTC')::date AND d.book_id = c.book_id
                AND d.loans = 1)
        UPDATE loan_book_day d SET loans = d.loans - 1 FROM copy c
            WHERE c.id = OLD.copy_id AND d.day = (OLD.loaned_at AT TIME ZONE 'UTC')::date AND d.book_id = c.book_id
                AND d.loans > 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO loan_book_day AS d (day, book_id, loans)
            SELECT (NEW.loaned_at AT TIME ZONE 'UTC')::date, book_id, 1 FROM copy WHERE id = NEW.copy_id
            ON CONFLICT (day, book_id) DO UPDATE SET loans = d.loans + 1;
    END IF;
    RETURN NULL;
END
$$"""
PG_COPY_FUNCTION = """CREATE FUNCTION copy_book_day_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM loan_stats_pause) THEN
        RETURN NULL;
    END IF;
    WITH moved AS (
        SELECT (loaned_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM loan WHERE copy_id = NEW.id GROUP BY 1
    ), gone AS (
        DELETE FROM loan_book_day d USING moved
        WHERE d.book_id = OLD.book_id AND d.day = moved.day AND d.loans = moved.n)
    UPDATE loan_book_day d SET loans = d.loans - moved.n FROM moved
        WHERE d.book_id = OLD.book_id AND d.day = moved.day AND d.loans > moved.n;
    INSERT INTO loan_book_day AS d (day, book_id, loans)
        SELECT (loaned_at AT TIME ZONE 'UTC')::date, NEW.book_id, count(*) FROM loan WHERE copy_id = NEW.id GROUP BY 1
        ON CONFLICT (day, book_id) DO UPDATE SET loans = d.loans + excluded.loans;
    RETURN NULL;
END
$$"""
PG_TRIGGERS = {  # name: (table, when, function)
    "loan_book_day_insert_delete": ("loan", "AFTER INSERT OR DELETE ON loan FOR EACH ROW", "loan_book_day_sync"),
    "loan_book_day_update": ("loan", "AFTER UPDATE OF loaned_at, copy_id ON loan FOR EACH ROW", "loan_book_day_sync"),
    "copy_book_day_update": ("copy", "AFTER UPDATE OF book_id ON copy FOR EACH ROW "
                             "WHEN (OLD.book_id IS DISTINCT FROM NEW.book_id)", "copy_book_day_sync"),
}


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.execute(TABLE.format(options=" WITHOUT ROWID" if sqlite else ""))
    day = "substr(loan.loaned_at, 1, 10)" if sqlite else "(loan.loaned_at AT TIME ZONE 'UTC')::date"
    op.execute(f"""INSERT INTO loan_book_day (day, book_id, loans)
        SELECT {day}, copy.book_id, count(*) FROM loan JOIN copy ON copy.id = loan.copy_id
        GROUP BY 1, 2 ORDER BY 1, 2""")
    op.execute(INDEX)
    if sqlite:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        op.execute(PG_LOAN_FUNCTION)
        op.execute(PG_COPY_FUNCTION)
        for name, (_, when, function) in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION {function}()")
        op.execute("ANALYZE loan_book_day")


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for name, (table, _, _) in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute("DROP FUNCTION copy_book_day_sync()")
        op.execute("DROP FUNCTION loan_book_day_sync()")
    op.execute("DROP TABLE loan_book_day")
