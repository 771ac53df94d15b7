"""desk: archived books (kept for their loan history, out of the catalog and its search index) and the
counters behind automatic copy barcodes and card numbers

Revision ID: 0008_desk
Revises: 0007_member_logins
Create Date: 2026-12-01

A frozen snapshot: the search triggers below are copied from what migration 0004 created, with one change
(an archived book's row is left out of the index), so later changes to library.models.search never change
what this migration does.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0008_desk'
down_revision = '0007_member_logins'
branch_labels = None
depends_on = None


# --- SQLite: the index refresh as 0004 wrote it, and with archived books left out -------------------------

_SQLITE_ROW = """
SELECT b.id,
       b.title || coalesce(' ' || b.subtitle, ''),
       coalesce((SELECT group_concat(a.name, ' ') FROM book_author ba JOIN author a ON a.id = ba.author_id
                 WHERE ba.book_id = b.id), ''),
       coalesce((SELECT group_concat(s.name, ' ') FROM book_subject bs JOIN subject s ON s.id = bs.subject_id
                 WHERE bs.book_id = b.id), ''),
       coalesce(b.publisher, '') || ' ' || coalesce(b.isbn, ''),
       coalesce(b.description, '')
FROM book b WHERE {where}"""


def _sqlite_refresh(ids_sql, archived_aware):
    where = f'b.id IN ({ids_sql})' + (' AND b.archived_at IS NULL' if archived_aware else '')
    return (f"DELETE FROM book_search WHERE rowid IN ({ids_sql}); "
            f"INSERT INTO book_search (rowid, title, authors, subjects, other, description) "
            f"{_SQLITE_ROW.format(where=where)};")


def _sqlite_triggers(archived_aware):
    """The refreshing triggers of 0004 (book_search_book_ad, which only deletes, is left as it is)."""
    book_columns = 'title, subtitle, publisher, isbn, description' + (', archived_at' if archived_aware else '')
    bodies = {
        'book_search_book_ai': ('AFTER INSERT ON book', 'NEW.id'),
        'book_search_book_au': (f'AFTER UPDATE OF {book_columns} ON book', 'NEW.id'),
        'book_search_ba_ai': ('AFTER INSERT ON book_author', 'NEW.book_id'),
        'book_search_ba_au': ('AFTER UPDATE ON book_author', 'OLD.book_id, NEW.book_id'),
        'book_search_ba_ad': ('AFTER DELETE ON book_author', 'OLD.book_id'),
        'book_search_bs_ai': ('AFTER INSERT ON book_subject', 'NEW.book_id'),
        'book_search_bs_au': ('AFTER UPDATE ON book_subject', 'OLD.book_id, NEW.book_id'),
        'book_search_bs_ad': ('AFTER DELETE ON book_subject', 'OLD.book_id'),
        'book_search_author_au': ('AFTER UPDATE OF name ON author',
                                  'SELECT book_id FROM book_author WHERE author_id = NEW.id'),
        'book_search_subject_au': ('AFTER UPDATE OF name ON subject',
                                   'SELECT book_id FROM book_subject WHERE subject_id = NEW.id'),
    }
    return {name: f"CREATE TRIGGER {name} {event} WHEN NOT EXISTS (SELECT 1 FROM search_pause) "
                  f"BEGIN {_sqlite_refresh(ids, archived_aware)} END"
            for name, (event, ids) in bodies.items()}


def _replace_sqlite_triggers(archived_aware):
    for name, statement in _sqlite_triggers(archived_aware).items():
        op.execute(f'DROP TRIGGER IF EXISTS {name}')
        op.execute(statement)


# --- PostgreSQL: book_search_refresh as 0004 wrote it, and with archived books left out -------------------

_PG_DOCUMENT = """
SELECT b.id,
       setweight(to_tsvector('simple', library_unaccent(b.title || ' ' || coalesce(b.subtitle, ''))), 'A')
    || setweight(to_tsvector('simple', library_unaccent(coalesce(
         (SELECT string_agg(a.name, ' ') FROM book_author ba JOIN author a ON a.id = ba.author_id
          WHERE ba.book_id = b.id), ''))), 'A')
    || setweight(to_tsvector('simple', library_unaccent(coalesce(
         (SELECT string_agg(s.name, ' ') FROM book_subject bs JOIN subject s ON s.id = bs.subject_id
          WHERE bs.book_id = b.id), ''))), 'B')
    || setweight(to_tsvector('simple', library_unaccent(coalesce(b.publisher, '') || ' ' || coalesce(b.isbn, ''))), 'C')
    || setweight(to_tsvector('simple', library_unaccent(coalesce(b.description, ''))), 'D')
FROM book b WHERE {where}
ON CONFLICT (book_id) DO UPDATE SET document = EXCLUDED.document"""


def _pg_refresh(archived_aware):
    if archived_aware:
        body = ("DELETE FROM book_search WHERE book_id IN "
                "(SELECT id FROM book WHERE id = ANY (ids) AND archived_at IS NOT NULL);\n"
                "INSERT INTO book_search (book_id, document)"
                + _PG_DOCUMENT.format(where='b.id = ANY (ids) AND b.archived_at IS NULL'))
    else:
        body = "INSERT INTO book_search (book_id, document)" + _PG_DOCUMENT.format(where='b.id = ANY (ids)')
    return f"CREATE OR REPLACE FUNCTION book_search_refresh(ids integer[]) RETURNS void LANGUAGE sql AS $$\n{body}\n$$"


def _replace_pg_book_trigger(archived_aware):
    columns = 'title, subtitle, publisher, isbn, description' + (', archived_at' if archived_aware else '')
    op.execute('DROP TRIGGER IF EXISTS book_search_book ON book')
    op.execute(f'CREATE TRIGGER book_search_book AFTER INSERT OR UPDATE OF {columns} ON book '
               'FOR EACH ROW EXECUTE FUNCTION book_search_sync()')


def upgrade():
    # Not in batch mode: on SQLite that would copy the table and lose its search triggers.
    op.add_column('book', sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_book_archived_at', 'book', ['archived_at'], unique=False,
                    sqlite_where=sa.text('archived_at IS NOT NULL'), postgresql_where=sa.text('archived_at IS NOT NULL'))
    if op.get_bind().dialect.name == 'sqlite':
        _replace_sqlite_triggers(archived_aware=True)
    else:
        op.execute(_pg_refresh(archived_aware=True))
        _replace_pg_book_trigger(archived_aware=True)

    op.create_table('barcode_sequence',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('next_value', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("kind IN ('copy', 'card')", name=op.f('ck_barcode_sequence_kind_known')),
    sa.CheckConstraint('next_value >= 1', name=op.f('ck_barcode_sequence_next_value_positive')),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_barcode_sequence'))
    )
    op.bulk_insert(sa.table('barcode_sequence', sa.column('kind', sa.String), sa.column('next_value', sa.BigInteger)),
                   [{'kind': 'copy', 'next_value': 1}, {'kind': 'card', 'next_value': 1}])


def downgrade():
    op.drop_table('barcode_sequence')
    if op.get_bind().dialect.name == 'sqlite':
        _replace_sqlite_triggers(archived_aware=False)
    else:
        _replace_pg_book_trigger(archived_aware=False)
        op.execute(_pg_refresh(archived_aware=False))
    # Archived books come back into the search index with `flask --app library reindex`.
    op.drop_index('ix_book_archived_at', table_name='book',
                  sqlite_where=sa.text('archived_at IS NOT NULL'), postgresql_where=sa.text('archived_at IS NOT NULL'))
    op.drop_column('book', 'archived_at')
