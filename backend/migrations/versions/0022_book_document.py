"""book_document: each book as the public catalog sends it, stored ready to send (issue 12, services/documents.py).

A row holds the book's JSON (BookOut, keys sorted, as the app's JSON provider writes it) in two parts, head and
tail, around its availability, which is counted when it is read. Triggers set head and tail to NULL ("stale") in
the transaction of any change to what a document holds: the book's row (inserted or updated), its author links,
subject links and other ISBNs, and an author's or a subject's name. A stale document is never sent: the page is
computed as before, and the document is written again (the committing session, the worker, or
`flask --app library documents`). Deleting a book deletes its document (the foreign key's cascade); the cascaded
deletes of its links then mark a book that no longer exists, which writes nothing.

The bulk importer's batches write only new books: on SQLite it drops the insert triggers for the batch
(services/bulkload.quiet_triggers), on PostgreSQL they return at once (library.bulk_load, as the search index's),
and the importer marks the new books stale once at the end (services/importer.finish).

Every book in the catalog starts stale here: the worker (or the command) writes their documents after the upgrade.

Revision ID: 0022_book_document
Revises: 0021_loan_tally
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022_book_document'
down_revision = '0021_loan_tally'
branch_labels = None
depends_on = None


def _stale(ids: str) -> str:
    """The statement marking the documents of the books {ids} (an SQL list or SELECT) stale, for those that exist."""
    return (f"INSERT INTO book_document (book_id) SELECT id FROM book WHERE id IN ({ids}) ORDER BY id "
            "ON CONFLICT (book_id) DO UPDATE SET head = NULL, tail = NULL;")


SQLITE_TRIGGERS = {
    "book_document_book_ai": f"AFTER INSERT ON book BEGIN {_stale('NEW.id')} END",
    "book_document_book_au": f"AFTER UPDATE ON book BEGIN {_stale('NEW.id')} END",
    **{f"book_document_{short}_{event}": f"AFTER {verb} ON {table} BEGIN {_stale(ids)} END"
       for short, table in (("ba", "book_author"), ("bs", "book_subject"), ("bi", "book_isbn"))
       for event, verb, ids in (("ai", "INSERT", "NEW.book_id"), ("au", "UPDATE", "OLD.book_id, NEW.book_id"),
                                ("ad", "DELETE", "OLD.book_id"))},
    "book_document_author_au": "AFTER UPDATE OF name, sort_name ON author BEGIN "
                               f"{_stale('SELECT book_id FROM book_author WHERE author_id = NEW.id')} END",
    "book_document_subject_au": "AFTER UPDATE OF name ON subject BEGIN "
                                f"{_stale('SELECT book_id FROM book_subject WHERE subject_id = NEW.id')} END",
}

PG_FUNCTION = """CREATE FUNCTION book_document_stale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids integer[];
BEGIN
    IF current_setting('library.bulk_load', true) = 'on' THEN RETURN NULL; END IF;  -- new books only; see finish()
    IF TG_TABLE_NAME = 'book' THEN
        ids := ARRAY[NEW.id];
    ELSIF TG_TABLE_NAME = 'author' THEN
        ids := ARRAY(SELECT book_id FROM book_author WHERE author_id = NEW.id);
    ELSIF TG_TABLE_NAME = 'subject' THEN
        ids := ARRAY(SELECT book_id FROM book_subject WHERE subject_id = NEW.id);
    ELSIF TG_OP = 'INSERT' THEN
        ids := ARRAY[NEW.book_id];
    ELSIF TG_OP = 'DELETE' THEN
        ids := ARRAY[OLD.book_id];
    ELSE
        ids := ARRAY[OLD.book_id, NEW.book_id];
    END IF;
    INSERT INTO book_document (book_id) SELECT id FROM book WHERE id = ANY (ids) ORDER BY id
        ON CONFLICT (book_id) DO UPDATE SET head = NULL, tail = NULL;
    RETURN NULL;
END $$"""

PG_TRIGGERS = {
    "book_document_book": "AFTER INSERT OR UPDATE ON book",
    "book_document_book_author": "AFTER INSERT OR UPDATE OR DELETE ON book_author",
    "book_document_book_subject": "AFTER INSERT OR UPDATE OR DELETE ON book_subject",
    "book_document_book_isbn": "AFTER INSERT OR UPDATE OR DELETE ON book_isbn",
    "book_document_author": "AFTER UPDATE OF name, sort_name ON author",
    "book_document_subject": "AFTER UPDATE OF name ON subject",
}


def upgrade():
    op.create_table(
        "book_document",
        sa.Column("book_id", sa.Integer(), sa.ForeignKey("book.id", ondelete="CASCADE"), primary_key=True,
                  autoincrement=False),
        sa.Column("head", sa.LargeBinary(), nullable=True),
        sa.Column("tail", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_book_document_stale", "book_document", ["book_id"],
                    sqlite_where=sa.text("head IS NULL"), postgresql_where=sa.text("head IS NULL"))
    if op.get_bind().dialect.name == "sqlite":
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        op.execute(PG_FUNCTION)
        for name, when in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW EXECUTE FUNCTION book_document_stale()")
    op.execute("INSERT INTO book_document (book_id) SELECT id FROM book WHERE archived_at IS NULL")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name, when in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {when.rsplit(' ON ', 1)[1]}")
        op.execute("DROP FUNCTION IF EXISTS book_document_stale()")
    op.drop_index("ix_book_document_stale", table_name="book_document")
    op.drop_table("book_document")
