"""login_throttle keyed by account and client address: the back-off of one client never locks the owner out

Revision ID: 0009_hardening
Revises: 0012_covers_merge
Create Date: 2026-11-30

The table holds short-lived counters only (failures of the last hour), so it is recreated rather than
altered (a new primary key); nothing of value is lost.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009_hardening'
down_revision = '0012_covers_merge'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table('login_throttle')
    op.create_table('login_throttle',
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('client_key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('failures >= 0', name=op.f('ck_login_throttle_failures_not_negative')),
    sa.PrimaryKeyConstraint('email_key', 'client_key', name=op.f('pk_login_throttle'))
    )
    op.create_index(op.f('ix_login_throttle_last_failure_at'), 'login_throttle', ['last_failure_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_login_throttle_last_failure_at'), table_name='login_throttle')
    op.drop_table('login_throttle')
    op.create_table('login_throttle',
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('email_key', name=op.f('pk_login_throttle'))
    )
