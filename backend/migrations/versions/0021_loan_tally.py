"""loan_tally: loans per calendar month and per calendar year of each book, author and subject, kept by triggers on
loan_book_day, book_author and book_subject, so the most borrowed over a long period add up a year's or a month's
counts (one row per book, author or subject) instead of every day's. Backfilled from loan_book_day.

A day's count changing in loan_book_day (0020's triggers keep it from the loans) changes the month and year rows of
its book, of the book's authors and of its subjects by as much; an author or subject linked to a book (or unlinked,
or an author merged into another) takes the book's month and year counts along. Rows reaching 0 are deleted by the
statement that empties them. The triggers return at once while the statistics are paused (0017's loan_stats_pause);
the bulk writer that pauses them recounts at the end.

Revision ID: 0021_loan_tally
Revises: 0020_loan_book_day
Create Date: 2026-12-01

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021_loan_tally'
down_revision = '0020_loan_book_day'
branch_labels = None
depends_on = None

# On SQLite the table is its primary key (WITHOUT ROWID): a month or a run of months of one kind is one range of it.
# The (key_id, kind) index finds a book's rows when an author or subject is linked to it, and an author's or a
# subject's rows that reached 0. SQLite, without statistics for the table, would rather read all of a kind's rows
# through the primary key: its statements say +kind, which the key cannot use.
TABLE = """CREATE TABLE loan_tally (
    kind VARCHAR(7) NOT NULL,
    span VARCHAR(5) NOT NULL,
    start DATE NOT NULL,
    key_id INTEGER NOT NULL,
    loans INTEGER NOT NULL,
    CONSTRAINT pk_loan_tally PRIMARY KEY (kind, span, start, key_id),
    CONSTRAINT ck_loan_tally_kind_known CHECK (kind IN ('book', 'author', 'subject')),
    CONSTRAINT ck_loan_tally_span_known CHECK (span IN ('month', 'year')),
    CONSTRAINT ck_loan_tally_loans_not_negative CHECK (loans >= 0)
){options}"""
INDEX = "CREATE INDEX ix_loan_tally_key ON loan_tally (key_id, kind)"

PAUSED = "EXISTS (SELECT 1 FROM loan_stats_pause)"
LINKS = {"author": ("book_author", "author_id"), "subject": ("book_subject", "subject_id")}
SPANS = {  # span: its first day from a day {d}
    "sqlite": {"month": "substr({d}, 1, 8) || '01'", "year": "substr({d}, 1, 5) || '01-01'"},
    "postgresql": {"month": "date_trunc('month', {d})::date", "year": "date_trunc('year', {d})::date"},
}
UPSERT = """INSERT INTO loan_tally (kind, span, start, key_id, loans) {select}
        ON CONFLICT (kind, span, start, key_id) DO UPDATE SET loans = loan_tally.loans + excluded.loans"""


def _ids(book):
    """kind: the ids that a loan of book {book} counts for (the book, each of its authors and subjects)."""
    return {"book": f"({book})", **{kind: f"(SELECT {column} FROM {table} WHERE book_id = {book})"
                                    for kind, (table, column) in LINKS.items()}}


def _keys(book):
    """Rows (kind, key_id) of the same."""
    return (f"SELECT 'book' AS kind, {book} AS key_id"
            + "".join(f" UNION ALL SELECT '{kind}', {column} FROM {table} WHERE book_id = {book}"
                      for kind, (table, column) in LINKS.items()))


def _day_counts(dialect, book, day, delta):
    """Statements adding delta (of either sign) loans on day {day} of book {book} to its month's and year's rows
    (book, authors, subjects): the rows there take it, those missing are made (delta > 0), those reaching 0 go.
    Each finds its rows by their whole key (SQLite reads a row value IN a list through the key's first two columns
    only: a whole month's rows). A CHECK is tested before ON CONFLICT on both databases, so a negative count is never
    proposed for insertion."""
    spans = [(span, start.format(d=day)) for span, start in SPANS[dialect].items()]
    rows = [f"kind = '{kind}' AND span = '{span}' AND start = {start} AND key_id IN {ids}"
            for kind, ids in _ids(book).items() for span, start in spans]
    starts = " UNION ALL ".join(f"SELECT '{span}' AS span, {start} AS start" for span, start in spans)
    return ([f"UPDATE loan_tally SET loans = loans + ({delta}) WHERE {where}" for where in rows]
            + [f"INSERT INTO loan_tally (kind, span, start, key_id, loans) SELECT k.kind, s.span, s.start, k.key_id, "
               f"{delta} FROM ({_keys(book)}) AS k CROSS JOIN ({starts}) AS s WHERE ({delta}) > 0 "
               f"ON CONFLICT (kind, span, start, key_id) DO NOTHING"]
            + [f"DELETE FROM loan_tally WHERE {where} AND loans = 0" for where in rows])


def _link_counts(dialect, kind, book, key, sign):
    """Statements adding (sign 1) or taking away (-1) book {book}'s month and year counts to {kind} {key}."""
    by_key = "+kind" if dialect == "sqlite" else "kind"
    books = f"FROM loan_tally b WHERE {by_key.replace('kind', 'b.kind')} = 'book' AND b.key_id = {book}"
    if sign > 0:
        return [UPSERT.format(select=f"SELECT '{kind}', b.span, b.start, {key}, b.loans {books}")]
    return [f"UPDATE loan_tally SET loans = loans - (SELECT b.loans {books} AND b.span = loan_tally.span "
            f"AND b.start = loan_tally.start) WHERE {by_key} = '{kind}' AND key_id = {key} "
            f"AND (span, start) IN (SELECT b.span, b.start {books})",
            f"DELETE FROM loan_tally WHERE {by_key} = '{kind}' AND key_id = {key} AND loans = 0"]


def _body(statements):
    return "BEGIN\n        " + ";\n        ".join(statements) + ";\n    END"


def sqlite_triggers():
    same_row = "OLD.day IS NEW.day AND OLD.book_id IS NEW.book_id"
    triggers = {
        "loan_tally_day_ai": f"AFTER INSERT ON loan_book_day WHEN NOT {PAUSED} "
                             + _body(_day_counts("sqlite", "NEW.book_id", "NEW.day", "NEW.loans")),
        "loan_tally_day_ad": f"AFTER DELETE ON loan_book_day WHEN NOT {PAUSED} "
                             + _body(_day_counts("sqlite", "OLD.book_id", "OLD.day", "-OLD.loans")),
        "loan_tally_day_au": f"AFTER UPDATE ON loan_book_day WHEN {same_row} AND NOT {PAUSED} "
                             + _body(_day_counts("sqlite", "NEW.book_id", "NEW.day", "NEW.loans - OLD.loans")),
        "loan_tally_day_moved": f"AFTER UPDATE ON loan_book_day WHEN NOT ({same_row}) AND NOT {PAUSED} "
                                + _body(_day_counts("sqlite", "OLD.book_id", "OLD.day", "-OLD.loans")
                                        + _day_counts("sqlite", "NEW.book_id", "NEW.day", "NEW.loans")),
    }
    for kind, (table, column) in LINKS.items():
        changed = f"OLD.book_id IS NOT NEW.book_id OR OLD.{column} IS NOT NEW.{column}"
        triggers[f"loan_tally_{kind}_ai"] = (f"AFTER INSERT ON {table} WHEN NOT {PAUSED} "
                                             + _body(_link_counts("sqlite", kind, "NEW.book_id", f"NEW.{column}", 1)))
        triggers[f"loan_tally_{kind}_ad"] = (f"AFTER DELETE ON {table} WHEN NOT {PAUSED} "
                                             + _body(_link_counts("sqlite", kind, "OLD.book_id", f"OLD.{column}", -1)))
        triggers[f"loan_tally_{kind}_au"] = (f"AFTER UPDATE OF book_id, {column} ON {table} "
                                             f"WHEN ({changed}) AND NOT {PAUSED} "
                                             + _body(_link_counts("sqlite", kind, "OLD.book_id", f"OLD.{column}", -1)
                                                     + _link_counts("sqlite", kind, "NEW.book_id", f"NEW.{column}", 1)))
    return triggers


def _pg_function(name, cases):
    body = "\n    ".join(f"IF {when} THEN\n        " + ";\n        ".join(statements) + ";\n    END IF;"
                         for when, statements in cases)
    return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {PAUSED} THEN
        RETURN NULL;
    END IF;
    {body}
    RETURN NULL;
END
$$"""


def pg_functions():
    same_row = "TG_OP = 'UPDATE' AND OLD.day = NEW.day AND OLD.book_id = NEW.book_id"
    functions = {"loan_tally_day_sync": _pg_function("loan_tally_day_sync", [
        (same_row, _day_counts("postgresql", "NEW.book_id", "NEW.day", "NEW.loans - OLD.loans")),
        (f"TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND NOT ({same_row}))",
         _day_counts("postgresql", "OLD.book_id", "OLD.day", "-OLD.loans")),
        (f"TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NOT ({same_row}))",
         _day_counts("postgresql", "NEW.book_id", "NEW.day", "NEW.loans")),
    ])}
    for kind, (_, column) in LINKS.items():
        functions[f"loan_tally_{kind}_sync"] = _pg_function(f"loan_tally_{kind}_sync", [
            ("TG_OP IN ('UPDATE', 'DELETE')", _link_counts("postgresql", kind, "OLD.book_id", f"OLD.{column}", -1)),
            ("TG_OP IN ('INSERT', 'UPDATE')", _link_counts("postgresql", kind, "NEW.book_id", f"NEW.{column}", 1)),
        ])
    return functions


PG_TRIGGERS = {  # name: (table, when, function)
    "loan_tally_day": ("loan_book_day", "AFTER INSERT OR UPDATE OR DELETE ON loan_book_day FOR EACH ROW",
                       "loan_tally_day_sync"),
    **{f"loan_tally_{kind}": (table, f"AFTER INSERT OR DELETE OR UPDATE OF book_id, {column} ON {table} FOR EACH ROW",
                              f"loan_tally_{kind}_sync")
       for kind, (table, column) in LINKS.items()},
}


def backfill_sql(dialect):
    """From loan_book_day: the books' months, then their years, then each author's and subject's from its books'."""
    month = SPANS[dialect]["month"].format(d="day")
    year = SPANS[dialect]["year"].format(d="start")
    statements = [
        f"""INSERT INTO loan_tally (kind, span, start, key_id, loans)
        SELECT 'book', 'month', {month}, book_id, sum(loans) FROM loan_book_day
        GROUP BY {month}, book_id ORDER BY 3, 4""",
        f"""INSERT INTO loan_tally (kind, span, start, key_id, loans)
        SELECT 'book', 'year', {year}, key_id, sum(loans) FROM loan_tally WHERE kind = 'book' AND span = 'month'
        GROUP BY {year}, key_id ORDER BY 3, 4"""]
    for kind, (table, column) in LINKS.items():
        statements.append(f"""INSERT INTO loan_tally (kind, span, start, key_id, loans)
        SELECT '{kind}', t.span, t.start, l.{column}, sum(t.loans) FROM loan_tally t
        JOIN {table} l ON l.book_id = t.key_id WHERE t.kind = 'book' GROUP BY t.span, t.start, l.{column} ORDER BY 2, 3, 4""")
    return statements


def upgrade():
    dialect = op.get_bind().dialect.name
    op.execute(TABLE.format(options=" WITHOUT ROWID" if dialect == "sqlite" else ""))
    for statement in backfill_sql(dialect):
        op.execute(statement)
    op.execute(INDEX)
    if dialect == "sqlite":
        for name, body in sqlite_triggers().items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        for statement in pg_functions().values():
            op.execute(statement)
        for name, (_, when, function) in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION {function}()")
        op.execute("ANALYZE loan_tally")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in sqlite_triggers():
            op.execute(f"DROP TRIGGER {name}")
    else:
        for name, (table, _, _) in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for name in pg_functions():
            op.execute(f"DROP FUNCTION {name}()")
    op.execute("DROP TABLE loan_tally")
