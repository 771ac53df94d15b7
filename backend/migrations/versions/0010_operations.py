"""idempotency_key: answers to POSTs sent with an Idempotency-Key, kept 24 h so a retry gets the same answer

Revision ID: 0010_operations
Revises: 0009_hardening
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010_operations'
down_revision = '0009_hardening'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('idempotency_key',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('owner_host', sa.String(length=255), nullable=False),
    sa.Column('owner_pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.CheckConstraint("state IN ('in_flight', 'committed', 'done')", name=op.f('ck_idempotency_key_state_known')),
    sa.CheckConstraint("(state = 'done') = (status IS NOT NULL AND response IS NOT NULL)",
                       name=op.f('ck_idempotency_key_done_has_response')),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_idempotency_key'))
    )
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_key_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_key_expires_at'))
    op.drop_table('idempotency_key')
