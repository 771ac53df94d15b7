"""collection tally: copies in the collection counted by subject, language and decade, by whether they are on loan
and by the month of their last loan (collection_tally), kept by triggers on copy, book and book_subject on both
databases and backfilled from the copies already there.

A group key "none" (a book without a language or a year) is '' and a copy never lent has the month 0001-01-01, so
that the primary key (which treats no two NULLs as equal on either database) holds one row per group.
The triggers return at once while the statistics are paused (a row in 0017's loan_stats_pause, seen by its own
transaction only); the bulk writer that pauses them recounts at the end.

Revision ID: 0019_collection_tally
Revises: 0018_languages
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0019_collection_tally'
down_revision = '0018_languages'
branch_labels = None
depends_on = None

IN_COLLECTION = "{r}.status NOT IN ('lost', 'withdrawn')"
PAUSED = "EXISTS (SELECT 1 FROM loan_stats_pause)"
SQLITE_MONTH = "coalesce(date({r}.last_loaned_at, 'start of month'), '0001-01-01')"
PG_MONTH = "coalesce(date_trunc('month', {r}.last_loaned_at AT TIME ZONE 'UTC')::date, DATE '0001-01-01')"
UPSERT = """INSERT INTO collection_tally (dimension, grp, on_loan, lent_month, copies) {select}
        ON CONFLICT (dimension, grp, on_loan, lent_month) DO UPDATE SET copies = collection_tally.copies + excluded.copies"""
# What one copy ({r}: NEW or OLD) counts in each dimension: its book's language and decade, each of its subjects.
COPY_GROUPS = {  # dimension: (the group, where it comes from)
    "language": ("coalesce(b.language, '')", "book b WHERE b.id = {r}.book_id"),
    "decade": ("coalesce(CAST(b.published_year / 10 * 10 AS VARCHAR(4)), '')", "book b WHERE b.id = {r}.book_id"),
    "subject": ("CAST(s.subject_id AS VARCHAR(20))", "book_subject s WHERE s.book_id = {r}.book_id"),
}
# What a book's copies count in one group (a book's language or decade changed, a subject linked or unlinked).
BOOK_GROUPS = {
    "language": "coalesce({r}.language, '')",
    "decade": "coalesce(CAST({r}.published_year / 10 * 10 AS VARCHAR(4)), '')",
    "subject": "CAST({r}.subject_id AS VARCHAR(20))",
}


def _copy_counts(month, r, sign):
    """Statements adding (sign 1) or taking away (-1) the copy {r} in each dimension."""
    return [UPSERT.format(select=f"SELECT '{dimension}', {group}, {r}.status = 'on_loan', {month.format(r=r)}, {sign} "
                          f"FROM {source.format(r=r)} AND {IN_COLLECTION.format(r=r)}")
            for dimension, (group, source) in COPY_GROUPS.items()]


def _book_counts(month, dimension, r, book, sign):
    """The statement adding or taking away the copies of book {book} in {r}'s group of dimension."""
    c_month = month.format(r="c")
    return UPSERT.format(select=f"""SELECT '{dimension}', {BOOK_GROUPS[dimension].format(r=r)}, c.status = 'on_loan',
            {c_month}, {sign} * count(*) FROM copy c WHERE c.book_id = {r}.{book} AND {IN_COLLECTION.format(r='c')}
            GROUP BY c.status = 'on_loan', {c_month}""")


def _sqlite_triggers():
    m = SQLITE_MONTH
    copy_changed = "(OLD.status IS NOT NEW.status OR OLD.book_id IS NOT NEW.book_id " \
        "OR OLD.last_loaned_at IS NOT NEW.last_loaned_at)"
    book_changed = {"language": "OLD.language IS NOT NEW.language",
                    "decade": "OLD.published_year / 10 IS NOT NEW.published_year / 10"}
    body = lambda statements: "BEGIN\n        " + ";\n        ".join(statements) + ";\n    END"  # noqa: E731
    triggers = {
        "copy_tally_ai": f"AFTER INSERT ON copy WHEN NOT {PAUSED} " + body(_copy_counts(m, "NEW", 1)),
        "copy_tally_ad": f"AFTER DELETE ON copy WHEN NOT {PAUSED} " + body(_copy_counts(m, "OLD", -1)),
        "copy_tally_au": f"AFTER UPDATE OF status, book_id, last_loaned_at ON copy WHEN {copy_changed} "
                         f"AND NOT {PAUSED} " + body(_copy_counts(m, "OLD", -1) + _copy_counts(m, "NEW", 1)),
        "book_subject_tally_ai": f"AFTER INSERT ON book_subject WHEN NOT {PAUSED} "
                                 + body([_book_counts(m, "subject", "NEW", "book_id", 1)]),
        "book_subject_tally_ad": f"AFTER DELETE ON book_subject WHEN NOT {PAUSED} "
                                 + body([_book_counts(m, "subject", "OLD", "book_id", -1)]),
    }
    for dimension, column in (("language", "language"), ("decade", "published_year")):
        triggers[f"book_{dimension}_tally_au"] = (
            f"AFTER UPDATE OF {column} ON book WHEN {book_changed[dimension]} AND NOT {PAUSED} "
            + body([_book_counts(m, dimension, "OLD", "id", -1), _book_counts(m, dimension, "NEW", "id", 1)]))
    return triggers


def _pg_function(name, statements_by_case):
    cases = "\n    ".join(f"IF {when} THEN\n        " + ";\n        ".join(statements) + ";\n    END IF;"
                           for when, statements in statements_by_case)
    return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {PAUSED} THEN
        RETURN NULL;
    END IF;
    {cases}
    RETURN NULL;
END
$$"""


def _pg_functions():
    m = PG_MONTH
    return {
        "copy_tally_sync": _pg_function("copy_tally_sync", [
            ("TG_OP IN ('UPDATE', 'DELETE')", _copy_counts(m, "OLD", -1)),
            ("TG_OP IN ('INSERT', 'UPDATE')", _copy_counts(m, "NEW", 1))]),
        "book_tally_sync": _pg_function("book_tally_sync", [
            (f"OLD.{column} IS DISTINCT FROM NEW.{column}" if dimension == "language"
             else "OLD.published_year / 10 IS DISTINCT FROM NEW.published_year / 10",
             [_book_counts(m, dimension, "OLD", "id", -1), _book_counts(m, dimension, "NEW", "id", 1)])
            for dimension, column in (("language", "language"), ("decade", "published_year"))]),
        "book_subject_tally_sync": _pg_function("book_subject_tally_sync", [
            ("TG_OP = 'DELETE'", [_book_counts(m, "subject", "OLD", "book_id", -1)]),
            ("TG_OP = 'INSERT'", [_book_counts(m, "subject", "NEW", "book_id", 1)])]),
    }


PG_TRIGGERS = {  # name: (when, table, function)
    "copy_tally_insert_delete": ("AFTER INSERT OR DELETE ON copy", "copy_tally_sync"),
    "copy_tally_update": ("AFTER UPDATE OF status, book_id, last_loaned_at ON copy FOR EACH ROW WHEN "
                          "(OLD.status IS DISTINCT FROM NEW.status OR OLD.book_id IS DISTINCT FROM NEW.book_id "
                          "OR OLD.last_loaned_at IS DISTINCT FROM NEW.last_loaned_at)", "copy_tally_sync"),
    "book_tally_update": ("AFTER UPDATE OF language, published_year ON book", "book_tally_sync"),
    "book_subject_tally_insert_delete": ("AFTER INSERT OR DELETE ON book_subject", "book_subject_tally_sync"),
}


def backfill_sql(sqlite):
    """Every copy in the collection counted once per dimension (per subject of its book)."""
    month = (SQLITE_MONTH if sqlite else PG_MONTH).format(r="c")
    parts = [f"SELECT '{dimension}' AS dimension, {group} AS grp, c.status = 'on_loan' AS on_loan, {month} AS lent_month "
             f"FROM copy c JOIN {source.format(r='c').replace(' WHERE ', ' ON ')} WHERE {IN_COLLECTION.format(r='c')}"
             for dimension, (group, source) in COPY_GROUPS.items()]
    return ("INSERT INTO collection_tally (dimension, grp, on_loan, lent_month, copies) "
            "SELECT dimension, grp, on_loan, lent_month, count(*) FROM (" + " UNION ALL ".join(parts)
            + ") AS counted GROUP BY dimension, grp, on_loan, lent_month")


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.create_table('collection_tally',
    sa.Column('dimension', sa.String(length=8), nullable=False),
    sa.Column('grp', sa.String(length=20), nullable=False),
    sa.Column('on_loan', sa.Boolean(), nullable=False),
    sa.Column('lent_month', sa.Date(), nullable=False),
    sa.Column('copies', sa.Integer(), nullable=False),
    sa.CheckConstraint("dimension IN ('subject', 'language', 'decade')", name=op.f('ck_collection_tally_dimension_known')),
    sa.PrimaryKeyConstraint('dimension', 'grp', 'on_loan', 'lent_month', name=op.f('pk_collection_tally'))
    )
    op.execute(backfill_sql(sqlite))
    if sqlite:
        for name, body in _sqlite_triggers().items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        for body in _pg_functions().values():
            op.execute(body)
        for name, (when, function) in PG_TRIGGERS.items():
            each_row = "" if "FOR EACH ROW" in when else " FOR EACH ROW"
            op.execute(f"CREATE TRIGGER {name} {when}{each_row} EXECUTE FUNCTION {function}()")


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for name in _sqlite_triggers():
            op.execute(f"DROP TRIGGER {name}")
    else:
        for name, (when, _function) in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER {name} ON {when.split(' ON ')[1].split()[0]}")
        for name in _pg_functions():
            op.execute(f"DROP FUNCTION {name}()")
    op.drop_table('collection_tally')
