"""book.title_key: the title's words in lower case without accents, so an exact title ranks first

Revision ID: 0005_title_key
Revises: 0004_search
Create Date: 2026-11-27

"""
from alembic import op
import sqlalchemy as sa

from library.services.search import title_key

# revision identifiers, used by Alembic.
revision = '0005_title_key'
down_revision = '0004_search'
branch_labels = None
depends_on = None


def upgrade():
    # Not in batch mode: on SQLite that would copy the table and lose its search triggers; both databases
    # add (and SQLite >= 3.35 drops) a column in place.
    op.add_column('book', sa.Column('title_key', sa.String(length=500), nullable=True))
    connection = op.get_bind()
    book = sa.table('book', sa.column('id', sa.Integer), sa.column('title', sa.String), sa.column('title_key', sa.String))
    last = 0
    while True:  # in chunks, so a million books need neither a million-row list nor hours
        rows = connection.execute(sa.select(book.c.id, book.c.title).where(book.c.id > last)
                                  .order_by(book.c.id).limit(20_000)).all()
        if not rows:
            break
        connection.execute(sa.update(book).where(book.c.id == sa.bindparam('b_id'))
                           .values(title_key=sa.bindparam('b_key')),
                           [{'b_id': row_id, 'b_key': title_key(title)} for row_id, title in rows])
        last = rows[-1][0]
    op.create_index('ix_book_title_key', 'book', ['title_key'], unique=False)


def downgrade():
    op.drop_index('ix_book_title_key', table_name='book')
    op.drop_column('book', 'title_key')
