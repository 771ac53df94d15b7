"""member logins: password links, must-change passwords, reset requests, pending members (self-registration)

Revision ID: 0007_member_logins
Revises: 0011_imports
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0007_member_logins'
down_revision = '0011_imports'
branch_labels = None
depends_on = None

MEMBER_COLUMNS = ('id', 'card_number', 'name', 'email', 'phone', 'status', 'user_id', 'calendar_salt', 'created_at',
                  'updated_at')


def _member_table(statuses, card_nullable, checks=()):
    """The member table's columns and constraints (a frozen copy of its DDL, for SQLite's rebuild)."""
    return (
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('card_number', sa.String(length=50), nullable=card_nullable),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('phone', sa.String(length=50), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('calendar_salt', sa.String(length=32), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"status IN ({statuses})", name=op.f('ck_member_status_known')),
        *[sa.CheckConstraint(sql, name=op.f(name)) for name, sql in checks],
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_member_user_id_user_account'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member')),
        sa.UniqueConstraint('card_number', name=op.f('uq_member_card_number')),
        sa.UniqueConstraint('user_id', name=op.f('uq_member_user_id')),
    )


def _rebuild_member_on_sqlite(definition):
    """SQLite cannot change a CHECK or NOT NULL in place: copy the rows aside, drop the table, create it anew and
    copy them back, in this migration's one transaction. Loans and holds refer to member with foreign keys, which
    stay enforced (PRAGMA foreign_keys cannot change inside a transaction); deferring them lets the table be
    missing for a moment: dropping it counts the loans and holds left without their member, putting the same ids
    back counts them off again, and the commit checks that nothing is left over (Alembic's batch mode renames a
    copy into place instead, which leaves that count up and fails on any database with loans)."""
    columns = ', '.join(MEMBER_COLUMNS)
    op.execute('PRAGMA defer_foreign_keys = ON')
    op.execute(f'CREATE TABLE _member_0007 AS SELECT {columns} FROM member')
    op.execute('DROP TABLE member')
    op.create_table('member', *definition)
    op.execute(f'INSERT INTO member ({columns}) SELECT {columns} FROM _member_0007')
    op.execute('DROP TABLE _member_0007')


def upgrade():
    # Not in batch mode: ADD COLUMN in place on both databases (a copy of user_account would break its references).
    op.add_column('user_account', sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                            nullable=False))
    op.add_column('user_account', sa.Column('password_reset_requested_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('password_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("purpose IN ('welcome', 'reset')", name=op.f('ck_password_link_purpose_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_password_link_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_password_link_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_link_token_hash'))
    )
    with op.batch_alter_table('password_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_link_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_password_link_one_open_per_user', ['user_id'], unique=True, sqlite_where=sa.text('used_at IS NULL'), postgresql_where=sa.text('used_at IS NULL'))

    op.create_table('account_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('remote_addr', sa.String(length=45), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_request'))
    )
    with op.batch_alter_table('account_request', schema=None) as batch_op:
        batch_op.create_index('ix_account_request_kind_address', ['kind', 'remote_addr'], unique=False)
        batch_op.create_index('ix_account_request_kind_email', ['kind', 'email_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_request_requested_at'), ['requested_at'], unique=False)

    # Members: a pending status (signed up, not yet approved) and no card number until approval.
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild_member_on_sqlite(_member_table("'active', 'suspended', 'pending'", True,
                                                [('ck_member_card_unless_pending',
                                                  "status = 'pending' OR card_number IS NOT NULL")]))
    else:
        op.drop_constraint(op.f('ck_member_status_known'), 'member', type_='check')
        op.create_check_constraint(op.f('ck_member_status_known'), 'member', "status IN ('active', 'suspended', 'pending')")
        op.alter_column('member', 'card_number', existing_type=sa.String(length=50), nullable=True)
        op.create_check_constraint(op.f('ck_member_card_unless_pending'), 'member',
                                   "status = 'pending' OR card_number IS NOT NULL")


def downgrade():
    # Pending registrations have no card: they cannot exist in the older schema.
    op.execute("DELETE FROM member WHERE status = 'pending'")
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild_member_on_sqlite(_member_table("'active', 'suspended'", False))
    else:
        op.drop_constraint(op.f('ck_member_card_unless_pending'), 'member', type_='check')
        op.alter_column('member', 'card_number', existing_type=sa.String(length=50), nullable=False)
        op.drop_constraint(op.f('ck_member_status_known'), 'member', type_='check')
        op.create_check_constraint(op.f('ck_member_status_known'), 'member', "status IN ('active', 'suspended')")

    with op.batch_alter_table('account_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_request_requested_at'))
        batch_op.drop_index('ix_account_request_kind_email')
        batch_op.drop_index('ix_account_request_kind_address')
    op.drop_table('account_request')
    with op.batch_alter_table('password_link', schema=None) as batch_op:
        batch_op.drop_index('uq_password_link_one_open_per_user', sqlite_where=sa.text('used_at IS NULL'), postgresql_where=sa.text('used_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_password_link_user_id'))
    op.drop_table('password_link')
    op.drop_column('user_account', 'password_reset_requested_at')  # in place: SQLite >= 3.35 drops columns
    op.drop_column('user_account', 'must_change_password')
