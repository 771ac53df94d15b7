"""catalog: books, authors, subjects

Revision ID: 0001_catalog
Revises:
Create Date: 2026-11-27

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001_catalog'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('author',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('sort_name', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_author'))
    )
    with op.batch_alter_table('author', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_author_sort_name'), ['sort_name'], unique=False)
    # Names are unique case-insensitively (expression indexes work on SQLite and PostgreSQL alike).
    op.create_index('uq_author_name_lower', 'author', [sa.text('lower(name)')], unique=True)

    op.create_table('book',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('subtitle', sa.String(length=500), nullable=True),
    sa.Column('isbn', sa.String(length=13), nullable=True),
    sa.Column('publisher', sa.String(length=200), nullable=True),
    sa.Column('published_year', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('cover_url', sa.String(length=2000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(isbn) = 13', name=op.f('ck_book_isbn_13_digits')),
    sa.CheckConstraint('published_year BETWEEN 1000 AND 2100', name=op.f('ck_book_published_year_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_book')),
    sa.UniqueConstraint('isbn', name=op.f('uq_book_isbn'))
    )
    with op.batch_alter_table('book', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_book_language'), ['language'], unique=False)
        batch_op.create_index(batch_op.f('ix_book_published_year'), ['published_year'], unique=False)
    op.create_index('ix_book_title_lower', 'book', [sa.text('lower(title)')], unique=False)

    op.create_table('subject',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject'))
    )
    op.create_index('uq_subject_name_lower', 'subject', [sa.text('lower(name)')], unique=True)
    op.create_table('book_author',
    sa.Column('book_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['author.id'], name=op.f('fk_book_author_author_id_author'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['book_id'], ['book.id'], name=op.f('fk_book_author_book_id_book'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('book_id', 'author_id', name=op.f('pk_book_author'))
    )
    with op.batch_alter_table('book_author', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_book_author_author_id'), ['author_id'], unique=False)

    op.create_table('book_subject',
    sa.Column('book_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['book_id'], ['book.id'], name=op.f('fk_book_subject_book_id_book'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_book_subject_subject_id_subject'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('book_id', 'subject_id', name=op.f('pk_book_subject'))
    )
    with op.batch_alter_table('book_subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_book_subject_subject_id'), ['subject_id'], unique=False)



def downgrade():
    with op.batch_alter_table('book_subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_book_subject_subject_id'))

    op.drop_table('book_subject')
    op.drop_index('uq_subject_name_lower', table_name='subject')
    op.drop_index('ix_book_title_lower', table_name='book')
    op.drop_index('uq_author_name_lower', table_name='author')
    with op.batch_alter_table('book_author', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_book_author_author_id'))

    op.drop_table('book_author')
    op.drop_table('subject')
    with op.batch_alter_table('book', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_book_published_year'))
        batch_op.drop_index(batch_op.f('ix_book_language'))

    op.drop_table('book')
    with op.batch_alter_table('author', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_author_sort_name'))

    op.drop_table('author')
