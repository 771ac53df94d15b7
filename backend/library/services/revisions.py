"""The database's schema revision (Alembic) against the migrations this version of Library ships."""

from functools import cache
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR))


def head() -> str:
    """The revision this code expects (the one head of the migrations)."""
    return _scripts().get_current_head()


def is_known(revision: str) -> bool:
    """Whether revision is one of ours: the head or an older one (so `db upgrade` can bring it to head)."""
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown or malformed id
        return False


def current(connection) -> str | None:
    """The database's revision, or None when it was never migrated."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
