"""notice, notice_template, notice_preference: the e-mail outbox, admins' templates, members' choices

Revision ID: 0016_notices
Revises: 0008_desk
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0016_notices'
down_revision = '0008_desk'
branch_labels = None
depends_on = None

KINDS = "kind IN ('hold_ready', 'due_soon', 'overdue', 'password_reset')"
OPEN_STATES = "state IN ('queued', 'sending')"


def upgrade():
    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=True),
    sa.Column('to_name', sa.String(length=200), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('dedupe_key', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'sending', 'sent', 'failed', 'suppressed')", name=op.f('ck_notice_state_known')),
    sa.CheckConstraint(KINDS, name=op.f('ck_notice_kind_known')),
    sa.CheckConstraint("state = 'suppressed' OR to_address IS NOT NULL", name=op.f('ck_notice_has_address')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_notice_member_id_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notice_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice')),
    sa.UniqueConstraint('message_id', name=op.f('uq_notice_message_id')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notice_dedupe_key'))
    )
    op.create_index('ix_notice_due', 'notice', ['next_attempt_at', 'id'], unique=False,
                    sqlite_where=sa.text(OPEN_STATES), postgresql_where=sa.text(OPEN_STATES))
    op.create_index('ix_notice_member', 'notice', ['member_id', 'id'], unique=False)
    op.create_index('ix_notice_state', 'notice', ['state', 'id'], unique=False)
    op.create_index(op.f('ix_notice_created_at'), 'notice', ['created_at'], unique=False)
    op.create_index(op.f('ix_notice_sent_at'), 'notice', ['sent_at'], unique=False)
    op.create_table('notice_template',
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint(KINDS, name=op.f('ck_notice_template_kind_known')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_notice_template_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_notice_template'))
    )
    op.create_table('notice_preference',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('hold_ready', 'due_soon', 'overdue')", name=op.f('ck_notice_preference_kind_known')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_notice_preference_member_id_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'kind', name=op.f('pk_notice_preference'))
    )


def downgrade():
    op.drop_table('notice_preference')
    op.drop_table('notice_template')
    op.drop_index(op.f('ix_notice_sent_at'), table_name='notice')
    op.drop_index(op.f('ix_notice_created_at'), table_name='notice')
    op.drop_index('ix_notice_state', table_name='notice')
    op.drop_index('ix_notice_member', table_name='notice')
    op.drop_index('ix_notice_due', table_name='notice')
    op.drop_table('notice')
