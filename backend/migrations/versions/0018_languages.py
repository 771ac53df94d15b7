"""languages: member.language (NULL: the library's default), notice templates per kind and language

Revision ID: 0018_languages
Revises: 0017_stats
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0018_languages'
down_revision = '0017_stats'
branch_labels = None
depends_on = None

KINDS = "kind IN ('hold_ready', 'due_soon', 'overdue', 'password_reset')"
LANGUAGES = "language IN ('en', 'fr', 'es')"


def _template_table(name, with_language):
    columns = [sa.Column('kind', sa.String(length=30), nullable=False)]
    if with_language:
        columns.append(sa.Column('language', sa.String(length=2), nullable=False))
    columns += [
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body_text', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(KINDS, name=op.f(f'ck_{name}_kind_known')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f(f'fk_{name}_updated_by_id_user_account'),
                                ondelete='SET NULL'),
    ]
    if with_language:
        columns += [sa.CheckConstraint(LANGUAGES, name=op.f(f'ck_{name}_language_known')),
                    sa.PrimaryKeyConstraint('kind', 'language', name=op.f(f'pk_{name}'))]
    else:
        columns.append(sa.PrimaryKeyConstraint('kind', name=op.f(f'pk_{name}')))
    op.create_table(name, *columns)


def _rebuild_templates(with_language):
    """A new primary key: copy the rows into a new table (the same on SQLite and PostgreSQL), then rename it.
    Upgrading, the existing templates become the English ones; downgrading keeps only the English ones."""
    _template_table('notice_template_new', with_language)
    parts = 'kind, subject, body_text, body_html, updated_at, updated_by_id'
    if with_language:
        op.execute(f"INSERT INTO notice_template_new (language, {parts}) SELECT 'en', {parts} FROM notice_template")
    else:
        op.execute(f"INSERT INTO notice_template_new ({parts}) SELECT {parts} FROM notice_template WHERE language = 'en'")
    op.drop_table('notice_template')
    op.rename_table('notice_template_new', 'notice_template')
    if op.get_bind().dialect.name == 'postgresql':  # constraint names follow the table's name
        for old, new in (('pk_notice_template_new', 'pk_notice_template'),
                         ('ck_notice_template_new_kind_known', 'ck_notice_template_kind_known'),
                         ('ck_notice_template_new_language_known', 'ck_notice_template_language_known'),
                         ('fk_notice_template_new_updated_by_id_user_account',
                          'fk_notice_template_updated_by_id_user_account')):
            if 'language' in old and not with_language:
                continue
            op.execute(f'ALTER TABLE notice_template RENAME CONSTRAINT {old} TO {new}')


def upgrade():
    # A column with its check, added in place (SQLite takes a CHECK in ADD COLUMN; no table rebuild of member,
    # which loans, holds and notices reference).
    op.execute(f"ALTER TABLE member ADD COLUMN language VARCHAR(2) CONSTRAINT ck_member_language_known CHECK ({LANGUAGES})")
    _rebuild_templates(with_language=True)


def downgrade():
    _rebuild_templates(with_language=False)
    # The check is the column's own, so the column drops in place (SQLite 3.35+), without a rebuild of member.
    op.execute("ALTER TABLE member DROP COLUMN language")
