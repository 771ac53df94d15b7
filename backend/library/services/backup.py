"""Backups of the whole library and their restore: the database, taken consistently while writes go on, and the
files under LIBRARY_DATA_DIR (covers and whatever else is kept there), in one archive with a manifest.

    library-20261130T021500Z.tar.gz
        manifest.json        time, engine, schema revision, row counts, SHA-256 and size of every member
        database.sqlite3     SQLite: the backup API's copy (one read transaction: what was committed when it began,
                             WAL included, while writers carry on)
        database.pgdump      PostgreSQL: pg_dump --format=custom, in the snapshot the row counts were taken in
        files/...            LIBRARY_DATA_DIR without the database, its WAL and the backups themselves

A restore goes into an empty database only, checks every checksum first, refuses a schema newer than this
version of Library knows, compares the row counts, and leaves migrating an older schema to the caller (the CLI
runs `db upgrade`). Nothing here knows of Flask or of who runs it: the CLI, the compose `backup` service's loop
and the tests call the same functions.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from ..extensions import db
from . import revisions

FORMAT = 1
PREFIX, SUFFIX = "library-", ".tar.gz"
MANIFEST = "manifest.json"
SQLITE_MEMBER, POSTGRES_MEMBER = "database.sqlite3", "database.pgdump"
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason for the operator."""


@dataclass
class Result:
    path: Path
    manifest: dict


# --- helpers ---------------------------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tables() -> list[str]:
    """The application's tables (the models' metadata), in dependency order."""
    return [table.name for table in db.metadata.sorted_tables]


def _counts(connection, present) -> dict:
    quote = connection.dialect.identifier_preparer.quote
    return {name: connection.exec_driver_sql(f"SELECT count(*) FROM {quote(name)}").scalar()
            for name in _tables() if name in present}


def sqlite_path(engine) -> Path | None:
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return Path(engine.url.database).resolve()


def _libpq(engine) -> tuple[str, dict]:
    """A libpq connection string for pg_dump / pg_restore, and an environment carrying the password (never on a
    command line, where `ps` shows it)."""
    url = engine.url
    conninfo = sa.engine.URL.create("postgresql", url.username, None, url.host, url.port, url.database,
                                    url.query).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return conninfo, env


def _run(command, env=None):
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=6 * 3600)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools)") from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


def _data_files(data_dir: Path, skip: set[Path]) -> list[Path]:
    """Files under data_dir to back up: everything but the SQLite database and its companions, and the backups."""
    if not data_dir.is_dir():
        return []
    found = []
    for root, dirs, files in os.walk(data_dir):
        dirs[:] = sorted(d for d in dirs if (Path(root) / d).resolve() not in skip)
        for name in sorted(files):
            path = Path(root) / name
            if path.resolve() not in skip and path.is_file() and not name.endswith(".partial"):
                found.append(path)
    return found


# --- backup ----------------------------------------------------------------------------------------------------

def _snapshot_sqlite(path: Path, target: Path) -> tuple[str | None, dict]:
    source = sqlite3.connect(path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one read transaction, so one consistent state
    finally:
        source.close()
    try:
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        problems = copy.execute("PRAGMA integrity_check").fetchall()
        if problems != [("ok",)]:
            raise BackupError(f"the copy fails SQLite's integrity check: {problems[:5]}")
    finally:
        copy.close()
    engine = sa.create_engine(f"sqlite:///{target}", poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            present = set(sa.inspect(connection).get_table_names())
            return revisions.current(connection), _counts(connection, present)
    finally:
        engine.dispose()


def _snapshot_postgres(engine, target: Path) -> tuple[str | None, dict]:
    conninfo, env = _libpq(engine)
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
            present = set(sa.inspect(connection).get_table_names())
            revision = revisions.current(connection)
            counts = _counts(connection, present)
            # pg_dump reads the very snapshot the counts were taken in, while this transaction keeps it alive.
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                  "--file", str(target), "--dbname", conninfo], env)
    return revision, counts


def create(engine, data_dir, destination, now: datetime | None = None) -> Result:
    """Back up the database behind engine and the files of data_dir into destination: a folder (the archive is
    named by the time) or an archive path ending in .tar.gz. Written beside the target first, then renamed, so
    a finished name is always a whole backup."""
    now = now or datetime.now(timezone.utc)
    data_dir = Path(data_dir).resolve()
    destination = Path(destination)
    if destination.name.endswith(SUFFIX):
        archive = destination
    else:
        archive = destination / f"{PREFIX}{now.strftime('%Y%m%dT%H%M%SZ')}{SUFFIX}"
    archive.parent.mkdir(parents=True, exist_ok=True)
    database = sqlite_path(engine)
    skip = {archive.parent.resolve()} | ({Path(f"{database}{s}") for s in SQLITE_COMPANIONS} if database else set())
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="library-backup.", dir=archive.parent) as work:
        work = Path(work)
        if database is not None:
            member = SQLITE_MEMBER
            revision, counts = _snapshot_sqlite(database, work / member)
        elif engine.dialect.name == "postgresql":
            member = POSTGRES_MEMBER
            revision, counts = _snapshot_postgres(engine, work / member)
        else:
            raise BackupError(f"cannot back up a {engine.dialect.name} database")
        members = {member: work / member}
        for path in _data_files(data_dir, skip):
            members["files/" + path.relative_to(data_dir).as_posix()] = path
        manifest = {
            "format": FORMAT, "created_at": now.isoformat(), "engine": engine.dialect.name,
            "schema_revision": revision, "counts": counts,
            "members": {name: {"sha256": _sha256(path), "bytes": path.stat().st_size} for name, path in members.items()},
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            tar.add(work / MANIFEST, MANIFEST)
            for name, path in members.items():
                tar.add(path, name, recursive=False)
        os.replace(partial, archive)
    manifest["seconds"] = round(time.monotonic() - started, 3)
    return Result(archive, manifest)


def prune(directory, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives in directory (names sort by time); return the deleted ones."""
    archives = sorted(Path(directory).glob(f"{PREFIX}*{SUFFIX}"))
    doomed = archives[:-keep] if keep > 0 else archives
    for path in doomed:
        path.unlink()
    return doomed


# --- restore ---------------------------------------------------------------------------------------------------

def read_manifest(archive) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            return json.load(tar.extractfile(MANIFEST))
    except (OSError, tarfile.TarError, KeyError, ValueError) as error:
        raise BackupError(f"{archive} is not a Library backup ({error})") from None


def _extract(archive: Path, work: Path, manifest: dict) -> None:
    """Unpack the archive (no member outside work: tarfile's data filter) and check every checksum."""
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(work, filter="data")
    for name, expected in manifest["members"].items():
        path = work / name
        if not path.is_file() or _sha256(path) != expected["sha256"]:
            raise BackupError(f"{name} in the backup is missing or damaged (checksum mismatch)")


def restore(archive, engine, data_dir) -> dict:
    """Restore archive into the (empty) database behind engine and the files into data_dir; returns the manifest.
    Migrating an older schema to the head is the caller's next step."""
    archive = Path(archive)
    manifest = read_manifest(archive)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    revision = manifest["schema_revision"]
    if revision is not None and not revisions.is_known(revision):
        raise BackupError(f"the backup's schema ({revision}) is newer than this version of Library knows; "
                          "restore it with the version that made it, or a newer one")
    with engine.connect() as connection:
        tables = sa.inspect(connection).get_table_names()
    if tables:
        raise BackupError(f"the database is not empty ({len(tables)} tables); restore into a new, empty database")
    data_dir = Path(data_dir)
    with tempfile.TemporaryDirectory(prefix="library-restore.") as work:
        work = Path(work)
        _extract(archive, work, manifest)
        if manifest["engine"] == "sqlite" and sqlite_path(engine) is not None:
            _restore_sqlite(work / SQLITE_MEMBER, engine)
        elif manifest["engine"] == "postgresql" and engine.dialect.name == "postgresql":
            conninfo, env = _libpq(engine)
            _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                  "--dbname", conninfo, str(work / POSTGRES_MEMBER)], env)
        else:
            raise BackupError(f"a {manifest['engine']} backup cannot be restored into {engine.dialect.name}")
        with engine.connect() as connection:
            present = set(sa.inspect(connection).get_table_names())
            found = _counts(connection, present)
        if found != manifest["counts"]:
            raise BackupError(f"row counts differ from the manifest after the restore: {found} != {manifest['counts']}")
        files = work / "files"
        if files.is_dir():
            for path in sorted(p for p in files.rglob("*") if p.is_file()):
                target = data_dir / path.relative_to(files)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
    return manifest


def _restore_sqlite(copy: Path, engine) -> None:
    target = sqlite_path(engine)
    engine.dispose()  # the emptiness check's connection may have made an empty file: replace it
    for suffix in SQLITE_COMPANIONS:
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(copy, target)
    check = sqlite3.connect(target)
    try:
        problems = check.execute("PRAGMA integrity_check").fetchall()
        broken_links = check.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        check.close()
    if problems != [("ok",)] or broken_links:
        raise BackupError(f"the restored database fails SQLite's checks: {problems[:5]} {broken_links[:5]}")


def integrity(engine) -> list[str]:
    """Problems found by checking the database (empty: clean): SQLite's integrity_check, and on both engines every
    foreign key of the models looked up (no row pointing at a missing one)."""
    problems = []
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql("PRAGMA integrity_check").fetchall()
            problems += [] if rows == [("ok",)] else [str(r) for r in rows]
        present = set(sa.inspect(connection).get_table_names())
        for table in db.metadata.sorted_tables:
            if table.name not in present:
                continue
            for key in table.foreign_key_constraints:
                (column,), (element,) = key.columns, key.elements
                parent = element.column
                orphans = connection.execute(
                    sa.select(sa.func.count()).select_from(table)
                    .where(column.is_not(None), ~sa.exists().where(parent == column))).scalar()
                if orphans:
                    problems.append(f"{table.name}.{column.name}: {orphans} row(s) point at a missing "
                                    f"{parent.table.name}")
        connection.rollback()
    return problems
