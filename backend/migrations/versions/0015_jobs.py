"""job, task_run, worker_beat: background jobs with leases, periodic tasks claimed once per period, workers' signs of life

Revision ID: 0015_jobs
Revises: 0006_settings
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0015_jobs'
down_revision = '0006_settings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed', 'cancelled')", name=op.f('ck_job_state_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_job_created_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    op.create_index('ix_job_open', 'job', ['state', 'id'], unique=False,
                    sqlite_where=sa.text("state IN ('queued', 'running')"),
                    postgresql_where=sa.text("state IN ('queued', 'running')"))
    op.create_table('task_run',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('name', 'period', name=op.f('pk_task_run'))
    )
    op.create_index(op.f('ix_task_run_started_at'), 'task_run', ['started_at'], unique=False)
    op.create_table('worker_beat',
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('owner', name=op.f('pk_worker_beat'))
    )
    op.create_index(op.f('ix_worker_beat_seen_at'), 'worker_beat', ['seen_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_worker_beat_seen_at'), table_name='worker_beat')
    op.drop_table('worker_beat')
    op.drop_index(op.f('ix_task_run_started_at'), table_name='task_run')
    op.drop_table('task_run')
    op.drop_index('ix_job_open', table_name='job')
    op.drop_table('job')
