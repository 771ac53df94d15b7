"""search: full-text index (FTS5 on SQLite, weighted tsvector + GIN on PostgreSQL) kept in sync by
triggers, the "did you mean" vocabulary, and a (lower(title), id) index for keyset pages

Revision ID: 0004_search
Revises: 0003_circulation
Create Date: 2026-11-27

"""
from alembic import op

from library.models import search
from library.services.search import rebuild_words

# revision identifiers, used by Alembic.
revision = '0004_search'
down_revision = '0003_circulation'
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    search.create_search_objects(connection)
    search.rebuild_index(connection)
    rebuild_words(connection)
    op.drop_index('ix_book_title_lower', table_name='book')
    op.execute('CREATE INDEX ix_book_title_lower_id ON book (lower(title), id)')


def downgrade():
    op.drop_index('ix_book_title_lower_id', table_name='book')
    op.execute('CREATE INDEX ix_book_title_lower ON book (lower(title))')
    search.drop_search_objects(op.get_bind())
