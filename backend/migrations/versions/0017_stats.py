"""stats: loans and returns per day (loan_day, kept by triggers on loan), each copy's last loan and each member's
last month of borrowing (kept by the same triggers), indexes for loans by period and copy and for the collection's
groups; reading-history privacy
(a closed loan or hold may lose its member: member_id nullable, with checks that an open one keeps it;
member.keep_history). Everything is backfilled from the loans already there.

Revision ID: 0017_stats
Revises: 0016_notices
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0017_stats'
down_revision = '0016_notices'
branch_labels = None
depends_on = None

LOAN_CHECK = "member_id IS NOT NULL OR returned_at IS NOT NULL"
HOLD_CHECK = "member_id IS NOT NULL OR status IN ('fulfilled', 'cancelled', 'expired')"

# SQLite cannot drop NOT NULL or add a CHECK in place: the two tables are rebuilt from this DDL (a frozen copy of
# 0003_circulation's, with the change), their rows copied and their indexes made again.
SQLITE_LOAN = """CREATE TABLE loan_new (
    id INTEGER NOT NULL,
    copy_id INTEGER NOT NULL,
    member_id INTEGER{member_null},
    loaned_at DATETIME NOT NULL,
    due_at DATETIME NOT NULL,
    returned_at DATETIME,
    renewals INTEGER NOT NULL,
    CONSTRAINT pk_loan PRIMARY KEY (id),{check}
    CONSTRAINT fk_loan_copy_id_copy FOREIGN KEY(copy_id) REFERENCES copy (id) ON DELETE RESTRICT,
    CONSTRAINT fk_loan_member_id_member FOREIGN KEY(member_id) REFERENCES member (id) ON DELETE RESTRICT
)"""
SQLITE_LOAN_COLUMNS = "id, copy_id, member_id, loaned_at, due_at, returned_at, renewals"
SQLITE_LOAN_INDEXES = [
    "CREATE INDEX ix_loan_due_active ON loan (due_at) WHERE returned_at IS NULL",
    "CREATE INDEX ix_loan_member_active ON loan (member_id, returned_at)",
    "CREATE UNIQUE INDEX uq_loan_one_active_per_copy ON loan (copy_id) WHERE returned_at IS NULL",
]
SQLITE_HOLD = """CREATE TABLE hold_new (
    id INTEGER NOT NULL,
    book_id INTEGER NOT NULL,
    member_id INTEGER{member_null},
    placed_at DATETIME NOT NULL,
    status VARCHAR(20) NOT NULL,
    copy_id INTEGER,
    pickup_by DATETIME,
    closed_at DATETIME,
    CONSTRAINT pk_hold PRIMARY KEY (id),
    CONSTRAINT ck_hold_status_known CHECK (status IN ('waiting', 'ready', 'fulfilled', 'cancelled', 'expired')),{check}
    CONSTRAINT fk_hold_book_id_book FOREIGN KEY(book_id) REFERENCES book (id) ON DELETE RESTRICT,
    CONSTRAINT fk_hold_copy_id_copy FOREIGN KEY(copy_id) REFERENCES copy (id) ON DELETE RESTRICT,
    CONSTRAINT fk_hold_member_id_member FOREIGN KEY(member_id) REFERENCES member (id) ON DELETE RESTRICT
)"""
SQLITE_HOLD_COLUMNS = "id, book_id, member_id, placed_at, status, copy_id, pickup_by, closed_at"
SQLITE_HOLD_INDEXES = [
    "CREATE INDEX ix_hold_book_queue ON hold (book_id, status, placed_at)",
    "CREATE INDEX ix_hold_member_id ON hold (member_id)",
    "CREATE UNIQUE INDEX uq_hold_one_open_per_member_book ON hold (member_id, book_id) "
    "WHERE status IN ('waiting', 'ready')",
    "CREATE UNIQUE INDEX uq_hold_one_ready_per_copy ON hold (copy_id) WHERE status = 'ready'",
]


def _rebuild_sqlite(table, ddl, columns, indexes, anonymisable):
    member_null, check = ("", f"\n    CONSTRAINT ck_{table}_{anonymisable[0]} CHECK ({anonymisable[1]}),") \
        if anonymisable else (" NOT NULL", "")
    op.execute(ddl.format(member_null=member_null, check=check))
    op.execute(f"INSERT INTO {table}_new ({columns}) SELECT {columns} FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    for statement in indexes:
        op.execute(statement)


# Triggers on loan keep loan_day (loans and returns per UTC day), copy.last_loaned_at and member.last_borrowed_month
# right for every write (the app, SQL by hand), as the search index's do. A bulk writer (the history generator) pauses
# them for its own transaction with a row in loan_stats_pause, and recounts once at the end.
PAUSED = "EXISTS (SELECT 1 FROM loan_stats_pause)"
SQLITE_TRIGGERS = {
    "loan_stats_ai": f"""AFTER INSERT ON loan WHEN NOT {PAUSED} BEGIN
        INSERT INTO loan_day (day, loans, returns) VALUES (substr(NEW.loaned_at, 1, 10), 1, 0)
            ON CONFLICT (day) DO UPDATE SET loans = loans + 1;
        INSERT INTO loan_day (day, loans, returns) SELECT substr(NEW.returned_at, 1, 10), 0, 1
            WHERE NEW.returned_at IS NOT NULL ON CONFLICT (day) DO UPDATE SET returns = returns + 1;
        UPDATE copy SET last_loaned_at = NEW.loaned_at
            WHERE id = NEW.copy_id AND (last_loaned_at IS NULL OR last_loaned_at < NEW.loaned_at);
        UPDATE member SET last_borrowed_month = date(NEW.loaned_at, 'start of month')
            WHERE id = NEW.member_id
            AND (last_borrowed_month IS NULL OR last_borrowed_month < date(NEW.loaned_at, 'start of month'));
    END""",
    "loan_stats_au": f"""AFTER UPDATE OF loaned_at, returned_at ON loan
        WHEN (OLD.loaned_at IS NOT NEW.loaned_at OR OLD.returned_at IS NOT NEW.returned_at) AND NOT {PAUSED} BEGIN
        UPDATE loan_day SET loans = loans - 1 WHERE day = substr(OLD.loaned_at, 1, 10);
        UPDATE loan_day SET returns = returns - 1 WHERE day = substr(OLD.returned_at, 1, 10);
        INSERT INTO loan_day (day, loans, returns) VALUES (substr(NEW.loaned_at, 1, 10), 1, 0)
            ON CONFLICT (day) DO UPDATE SET loans = loans + 1;
        INSERT INTO loan_day (day, loans, returns) SELECT substr(NEW.returned_at, 1, 10), 0, 1
            WHERE NEW.returned_at IS NOT NULL ON CONFLICT (day) DO UPDATE SET returns = returns + 1;
        UPDATE copy SET last_loaned_at = (SELECT max(loaned_at) FROM loan WHERE copy_id = NEW.copy_id)
            WHERE id = NEW.copy_id;
    END""",
    "loan_stats_ad": f"""AFTER DELETE ON loan WHEN NOT {PAUSED} BEGIN
        UPDATE loan_day SET loans = loans - 1 WHERE day = substr(OLD.loaned_at, 1, 10);
        UPDATE loan_day SET returns = returns - 1 WHERE day = substr(OLD.returned_at, 1, 10);
        UPDATE copy SET last_loaned_at = (SELECT max(loaned_at) FROM loan WHERE copy_id = OLD.copy_id)
            WHERE id = OLD.copy_id;
    END""",
}
PG_FUNCTION = """CREATE FUNCTION loan_stats_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'UPDATE' AND NEW.loaned_at IS NOT DISTINCT FROM OLD.loaned_at
            AND NEW.returned_at IS NOT DISTINCT FROM OLD.returned_at) OR EXISTS (SELECT 1 FROM loan_stats_pause) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE loan_day SET loans = loans - 1 WHERE day = (OLD.loaned_at AT TIME ZONE 'UTC')::date;
        UPDATE loan_day SET returns = returns - 1 WHERE day = (OLD.returned_at AT TIME ZONE 'UTC')::date;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO loan_day AS d (day, loans, returns) VALUES ((NEW.loaned_at AT TIME ZONE 'UTC')::date, 1, 0)
            ON CONFLICT (day) DO UPDATE SET loans = d.loans + 1;
        IF NEW.returned_at IS NOT NULL THEN
            INSERT INTO loan_day AS d (day, loans, returns) VALUES ((NEW.returned_at AT TIME ZONE 'UTC')::date, 0, 1)
                ON CONFLICT (day) DO UPDATE SET returns = d.returns + 1;
        END IF;
    END IF;
    IF TG_OP = 'INSERT' THEN
        UPDATE copy SET last_loaned_at = NEW.loaned_at
            WHERE id = NEW.copy_id AND (last_loaned_at IS NULL OR last_loaned_at < NEW.loaned_at);
        UPDATE member SET last_borrowed_month = date_trunc('month', NEW.loaned_at AT TIME ZONE 'UTC')::date
            WHERE id = NEW.member_id AND (last_borrowed_month IS NULL
                OR last_borrowed_month < date_trunc('month', NEW.loaned_at AT TIME ZONE 'UTC')::date);
    ELSE
        UPDATE copy SET last_loaned_at = (SELECT max(loaned_at) FROM loan WHERE copy_id = OLD.copy_id)
            WHERE id = OLD.copy_id;
    END IF;
    RETURN NULL;
END
$$"""
PG_TRIGGERS = {
    "loan_stats_insert_delete": "AFTER INSERT OR DELETE ON loan",
    "loan_stats_update": "AFTER UPDATE OF loaned_at, returned_at ON loan",
}


def _stats_objects(sqlite):
    op.create_table('loan_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('loans', sa.Integer(), nullable=False),
    sa.Column('returns', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_loan_day'))
    )
    op.create_table('loan_stats_pause',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_stats_pause'))
    )
    op.add_column('copy', sa.Column('last_loaned_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('member', sa.Column('keep_history', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column('member', sa.Column('last_borrowed_month', sa.Date(), nullable=True))
    day = (lambda column: f"substr({column}, 1, 10)") if sqlite else (lambda column: f"({column} AT TIME ZONE 'UTC')::date")
    month = "date(max(loan.loaned_at), 'start of month')" if sqlite else \
        "date_trunc('month', max(loan.loaned_at) AT TIME ZONE 'UTC')::date"
    op.execute(f"""INSERT INTO loan_day (day, loans, returns)
        SELECT day, sum(loans), sum(returns) FROM (
            SELECT {day('loaned_at')} AS day, 1 AS loans, 0 AS returns FROM loan
            UNION ALL SELECT {day('returned_at')}, 0, 1 FROM loan WHERE returned_at IS NOT NULL) AS counted
        GROUP BY day""")
    op.execute("UPDATE copy SET last_loaned_at = (SELECT max(loaned_at) FROM loan WHERE loan.copy_id = copy.id)")
    op.execute(f"UPDATE member SET last_borrowed_month = (SELECT {month} FROM loan WHERE loan.member_id = member.id)")
    if sqlite:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        op.execute(PG_FUNCTION)
        for name, when in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW EXECUTE FUNCTION loan_stats_sync()")
    # Loans by period (and copy, for the most borrowed); a copy's loans by date; copies by status and last loan
    # (the weeding list, in its order; created_at rides along so the list needs no table reads).
    op.create_index('ix_loan_loaned_at_copy', 'loan', ['loaned_at', 'copy_id'])
    op.create_index('ix_loan_copy_loaned_at', 'loan', ['copy_id', 'loaned_at'])
    op.create_index('ix_copy_status_last_loaned', 'copy', ['status', 'last_loaned_at', 'id', 'created_at'])
    # The collection by language, decade or subject walks books (or subject links) in the group's order and reads
    # each book's copies from one index: copies by book with their status and last loan; subject links by subject.
    op.drop_index('ix_copy_book_status', table_name='copy')
    op.create_index('ix_copy_book_status', 'copy', ['book_id', 'status', 'last_loaned_at'])
    op.drop_index('ix_book_subject_subject_id', table_name='book_subject')
    op.create_index('ix_book_subject_subject_book', 'book_subject', ['subject_id', 'book_id'])


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        _rebuild_sqlite('loan', SQLITE_LOAN, SQLITE_LOAN_COLUMNS, SQLITE_LOAN_INDEXES, ('member_while_active', LOAN_CHECK))
        _rebuild_sqlite('hold', SQLITE_HOLD, SQLITE_HOLD_COLUMNS, SQLITE_HOLD_INDEXES, ('member_while_open', HOLD_CHECK))
    else:
        op.alter_column('loan', 'member_id', existing_type=sa.Integer(), nullable=True)
        op.create_check_constraint(op.f('ck_loan_member_while_active'), 'loan', LOAN_CHECK)
        op.alter_column('hold', 'member_id', existing_type=sa.Integer(), nullable=True)
        op.create_check_constraint(op.f('ck_hold_member_while_open'), 'hold', HOLD_CHECK)
    _stats_objects(sqlite)


def downgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    anonymised = bind.exec_driver_sql(
        "SELECT (SELECT count(*) FROM loan WHERE member_id IS NULL) + (SELECT count(*) FROM hold WHERE member_id IS NULL)"
    ).scalar()
    if anonymised:
        raise RuntimeError(f"{anonymised} anonymised loans and holds have no member to give back; 0006 needs one")
    op.drop_index('ix_book_subject_subject_book', table_name='book_subject')
    op.create_index('ix_book_subject_subject_id', 'book_subject', ['subject_id'])
    op.drop_index('ix_copy_book_status', table_name='copy')
    op.create_index('ix_copy_book_status', 'copy', ['book_id', 'status'])
    op.drop_index('ix_copy_status_last_loaned', table_name='copy')
    op.drop_index('ix_loan_copy_loaned_at', table_name='loan')
    op.drop_index('ix_loan_loaned_at_copy', table_name='loan')
    if sqlite:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for name in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON loan")
        op.execute("DROP FUNCTION loan_stats_sync()")
    op.drop_column('member', 'last_borrowed_month')  # SQLite 3.35+ drops a plain column in place
    op.drop_column('member', 'keep_history')
    op.drop_column('copy', 'last_loaned_at')
    op.drop_table('loan_stats_pause')
    op.drop_table('loan_day')
    if sqlite:
        _rebuild_sqlite('hold', SQLITE_HOLD, SQLITE_HOLD_COLUMNS, SQLITE_HOLD_INDEXES, None)
        _rebuild_sqlite('loan', SQLITE_LOAN, SQLITE_LOAN_COLUMNS, SQLITE_LOAN_INDEXES, None)
    else:
        op.drop_constraint(op.f('ck_hold_member_while_open'), 'hold', type_='check')
        op.alter_column('hold', 'member_id', existing_type=sa.Integer(), nullable=False)
        op.drop_constraint(op.f('ck_loan_member_while_active'), 'loan', type_='check')
        op.alter_column('loan', 'member_id', existing_type=sa.Integer(), nullable=False)
