"""circulation: copies, members, loans, holds (partial unique indexes enforce the invariants)

Revision ID: 0003_circulation
Revises: 0002_accounts
Create Date: 2026-11-27

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_circulation'
down_revision = '0002_accounts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('copy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('book_id', sa.Integer(), nullable=False),
    sa.Column('barcode', sa.String(length=50), nullable=False),
    sa.Column('location', sa.String(length=100), nullable=True),
    sa.Column('call_number', sa.String(length=50), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('available', 'on_loan', 'on_hold_shelf', 'lost', 'withdrawn')", name=op.f('ck_copy_status_known')),
    sa.ForeignKeyConstraint(['book_id'], ['book.id'], name=op.f('fk_copy_book_id_book'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_copy')),
    sa.UniqueConstraint('barcode', name=op.f('uq_copy_barcode'))
    )
    with op.batch_alter_table('copy', schema=None) as batch_op:
        batch_op.create_index('ix_copy_book_status', ['book_id', 'status'], unique=False)

    op.create_table('member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_number', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('calendar_salt', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'suspended')", name=op.f('ck_member_status_known')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_member_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member')),
    sa.UniqueConstraint('card_number', name=op.f('uq_member_card_number')),
    sa.UniqueConstraint('user_id', name=op.f('uq_member_user_id'))
    )
    op.create_table('hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('book_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('copy_id', sa.Integer(), nullable=True),
    sa.Column('pickup_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('waiting', 'ready', 'fulfilled', 'cancelled', 'expired')", name=op.f('ck_hold_status_known')),
    sa.ForeignKeyConstraint(['book_id'], ['book.id'], name=op.f('fk_hold_book_id_book'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['copy_id'], ['copy.id'], name=op.f('fk_hold_copy_id_copy'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_hold_member_id_member'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hold'))
    )
    with op.batch_alter_table('hold', schema=None) as batch_op:
        batch_op.create_index('ix_hold_book_queue', ['book_id', 'status', 'placed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hold_member_id'), ['member_id'], unique=False)
        batch_op.create_index('uq_hold_one_open_per_member_book', ['member_id', 'book_id'], unique=True, sqlite_where=sa.text("status IN ('waiting', 'ready')"), postgresql_where=sa.text("status IN ('waiting', 'ready')"))
        batch_op.create_index('uq_hold_one_ready_per_copy', ['copy_id'], unique=True, sqlite_where=sa.text("status = 'ready'"), postgresql_where=sa.text("status = 'ready'"))

    op.create_table('loan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('copy_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('loaned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('renewals', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['copy_id'], ['copy.id'], name=op.f('fk_loan_copy_id_copy'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_loan_member_id_member'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan'))
    )
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.create_index('ix_loan_due_active', ['due_at'], unique=False, sqlite_where=sa.text('returned_at IS NULL'), postgresql_where=sa.text('returned_at IS NULL'))
        batch_op.create_index('ix_loan_member_active', ['member_id', 'returned_at'], unique=False)
        batch_op.create_index('uq_loan_one_active_per_copy', ['copy_id'], unique=True, sqlite_where=sa.text('returned_at IS NULL'), postgresql_where=sa.text('returned_at IS NULL'))



def downgrade():
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.drop_index('uq_loan_one_active_per_copy', sqlite_where=sa.text('returned_at IS NULL'), postgresql_where=sa.text('returned_at IS NULL'))
        batch_op.drop_index('ix_loan_member_active')
        batch_op.drop_index('ix_loan_due_active', sqlite_where=sa.text('returned_at IS NULL'), postgresql_where=sa.text('returned_at IS NULL'))

    op.drop_table('loan')
    with op.batch_alter_table('hold', schema=None) as batch_op:
        batch_op.drop_index('uq_hold_one_ready_per_copy', sqlite_where=sa.text("status = 'ready'"), postgresql_where=sa.text("status = 'ready'"))
        batch_op.drop_index('uq_hold_one_open_per_member_book', sqlite_where=sa.text("status IN ('waiting', 'ready')"), postgresql_where=sa.text("status IN ('waiting', 'ready')"))
        batch_op.drop_index(batch_op.f('ix_hold_member_id'))
        batch_op.drop_index('ix_hold_book_queue')

    op.drop_table('hold')
    op.drop_table('member')
    with op.batch_alter_table('copy', schema=None) as batch_op:
        batch_op.drop_index('ix_copy_book_status')

    op.drop_table('copy')
