"""book_import, book_import_batch; book.edition and book.call_number: catalog imports (MARC, CSV). A record's other
ISBNs go to book_isbn, which 0012_covers_merge creates.

Revision ID: 0011_imports
Revises: 0010_operations
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic. (Follows main's head until the lead re-chains the migrations; book_import
# refers to job, 0015_jobs.)
revision = '0011_imports'
down_revision = '0010_operations'
branch_labels = None
depends_on = None


def upgrade():
    # Not in batch mode: on SQLite that would copy the table and lose its search triggers.
    op.add_column('book', sa.Column('edition', sa.String(length=100), nullable=True))
    op.add_column('book', sa.Column('call_number', sa.String(length=100), nullable=True))
    op.create_table('book_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=100), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=True),
    sa.Column('sample', sa.JSON(), nullable=True),
    sa.Column('mapping', sa.JSON(), nullable=True),
    sa.Column('policy', sa.String(length=20), nullable=True),
    sa.Column('preview', sa.JSON(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('records_total', sa.Integer(), nullable=True),
    sa.Column('after_book_id', sa.Integer(), nullable=True),
    sa.Column('rejected_name', sa.String(length=100), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('uploaded', 'previewing', 'previewed', 'importing', 'done', 'failed', 'cancelled')",
                       name=op.f('ck_book_import_state_known')),
    sa.CheckConstraint("format IN ('csv', 'marc', 'marcxml')", name=op.f('ck_book_import_format_known')),
    sa.CheckConstraint("policy IS NULL OR policy IN ('skip', 'add_copies', 'add_anyway')",
                       name=op.f('ck_book_import_policy_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_book_import_created_by_id_user_account'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_book_import_job_id_job'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_book_import'))
    )
    op.create_index('uq_book_import_one_importing', 'book_import', ['state'], unique=True,
                    sqlite_where=sa.text("state = 'importing'"), postgresql_where=sa.text("state = 'importing'"))
    op.create_table('book_import_batch',
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('records_done', sa.Integer(), nullable=False),
    sa.Column('rejected_bytes', sa.BigInteger(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('book_ids', sa.JSON(), nullable=False),
    sa.Column('copy_ids', sa.JSON(), nullable=False),
    sa.Column('author_ids', sa.JSON(), nullable=False),
    sa.Column('subject_ids', sa.JSON(), nullable=False),
    sa.Column('isbns', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['book_import.id'], name=op.f('fk_book_import_batch_import_id_book_import'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('import_id', 'seq', name=op.f('pk_book_import_batch'))
    )


def downgrade():
    op.drop_table('book_import_batch')
    op.drop_index('uq_book_import_one_importing', table_name='book_import')
    op.drop_table('book_import')
    op.drop_column('book', 'call_number')
    op.drop_column('book', 'edition')
