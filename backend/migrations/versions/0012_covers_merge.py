"""covers and merges: book.cover_id (a stored cover), book_isbn (a book's other ISBNs), book_redirect (merged
book ids that answer 301 to the survivor)

Revision ID: 0012_covers_merge
Revises: 0015_jobs
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0012_covers_merge'
down_revision = '0015_jobs'
branch_labels = None
depends_on = None


def upgrade():
    # Not in batch mode: on SQLite that would copy the book table and lose its search triggers; both
    # databases add (and SQLite >= 3.35 drops) a column in place.
    op.add_column('book', sa.Column('cover_id', sa.String(length=32), nullable=True))
    op.create_table('book_isbn',
    sa.Column('book_id', sa.Integer(), nullable=False),
    sa.Column('isbn', sa.String(length=13), nullable=False),
    sa.CheckConstraint('length(isbn) = 13', name=op.f('ck_book_isbn_isbn_13_digits')),
    sa.ForeignKeyConstraint(['book_id'], ['book.id'], name=op.f('fk_book_isbn_book_id_book'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('book_id', 'isbn', name=op.f('pk_book_isbn'))
    )
    op.create_index(op.f('ix_book_isbn_isbn'), 'book_isbn', ['isbn'], unique=False)
    op.create_table('book_redirect',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('book_id', sa.Integer(), nullable=False),
    sa.Column('merged_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['book_id'], ['book.id'], name=op.f('fk_book_redirect_book_id_book'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_book_redirect'))
    )
    op.create_index(op.f('ix_book_redirect_book_id'), 'book_redirect', ['book_id'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite gives a new row the highest id + 1, so a merged book's id can come back as a new book's: the new
        # book wins, and its id no longer redirects. (PostgreSQL's sequences never hand out an id twice.)
        op.execute('CREATE TRIGGER book_redirect_book_ai AFTER INSERT ON book '
                   'BEGIN DELETE FROM book_redirect WHERE id = NEW.id; END')


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TRIGGER IF EXISTS book_redirect_book_ai')
    op.drop_index(op.f('ix_book_redirect_book_id'), table_name='book_redirect')
    op.drop_table('book_redirect')
    op.drop_index(op.f('ix_book_isbn_isbn'), table_name='book_isbn')
    op.drop_table('book_isbn')
    op.drop_column('book', 'cover_id')
