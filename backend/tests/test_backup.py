"""Backups and restore, on SQLite and PostgreSQL, with the commands the README gives (`flask --app library backup`,
`flask --app library restore`): a backup taken while writers keep writing, restored into a new database, holds
every write acknowledged before it began; the integrity check is clean and the app starts on it. Also: covers
and other files come along, a newer schema or a non-empty database is refused, an older schema is migrated,
a damaged archive is refused, and old backups are pruned."""

import json
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from library import create_app
from library.services import backup, revisions

from .conftest import BACKEND_DIR

WRITERS = 3  # threads of this process (a 2-core machine): SQLite's 5 s busy timeout must hold


def flask(env, *args, check=True):
    """`flask --app library ...` as an operator runs it, in backend/ with the given settings."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "library", *args], cwd=BACKEND_DIR,
                            env={"PATH": "/usr/bin:/bin", "LIBRARY_ENV": "testing", **env},
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def empty_database(request, database_url, tmp_path):
    """A new, empty database of the same engine as database_url (where a restore goes)."""
    if database_url.startswith("sqlite"):
        folder = tmp_path / "restored"
        folder.mkdir()
        return f"sqlite:///{folder / 'library.db'}"
    return request.getfixturevalue("pg_server").create_database()


def settings(url, data_dir):
    return {"DATABASE_URL": url, "LIBRARY_DATA_DIR": str(data_dir)}


def rows(url, statement):
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(statement)).fetchall()
    finally:
        engine.dispose()


def test_a_backup_under_write_load_restores_every_acknowledged_write(app, as_role, database_url, empty_database,
                                                                      tmp_path):
    data_dir = Path(app.config["LIBRARY_DATA_DIR"])
    (data_dir / "covers").mkdir()
    (data_dir / "covers" / "42.jpg").write_bytes(b"\xff\xd8 a cover \xff\xd9")
    clients = [as_role("librarian") for _ in range(WRITERS)]
    acknowledged, errors, stop = [], [], threading.Event()  # (time acknowledged, card number)

    def write(client):
        while not stop.is_set():
            card = f"BK-{uuid.uuid4().hex[:12]}"
            response = client.post("/api/v1/members", json={"card_number": card, "name": f"Backup {card}"})
            if response.status_code == 201:
                acknowledged.append((time.monotonic(), card))
            else:
                errors.append(f"{response.status_code} {response.get_data(as_text=True)[:200]}")
            time.sleep(0.01)

    threads = [threading.Thread(target=write, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(acknowledged) < 20 and time.monotonic() < deadline and not errors:
            time.sleep(0.05)
        began = time.monotonic()
        made = flask(settings(database_url, data_dir), "backup", str(tmp_path / "backups"))  # as the README says
        ended = time.monotonic()
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert not errors, errors[:5]
    (archive,) = (tmp_path / "backups").glob("library-*.tar.gz")
    before = {card for at, card in acknowledged if at < began}
    during = [card for at, card in acknowledged if began <= at <= ended]
    assert len(before) > 10, "the writers wrote too little before the backup to mean anything"

    restored_dir = tmp_path / "restored-data"
    out = flask(settings(empty_database, restored_dir), "restore", str(archive)).stdout
    assert "Integrity check: clean." in out, out

    cards = {card for (card,) in rows(empty_database, "SELECT card_number FROM member WHERE card_number LIKE 'BK-%'")}
    assert before <= cards, f"{len(before - cards)} acknowledged writes missing"
    manifest = backup.read_manifest(archive)
    assert len(cards) == manifest["counts"]["member"]
    assert (restored_dir / "covers" / "42.jpg").read_bytes() == b"\xff\xd8 a cover \xff\xd9"
    print(f"\n[{database_url.split(':')[0]}] backup under {WRITERS} writers: {len(before)} acknowledged before it, "
          f"{len(during)} during its {ended - began:.1f} s, {len(cards)} in it; {made.stdout.strip()}")

    # The app starts on the restored database and serves it.
    restored = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "LIBRARY_ENV": "testing",
                           "LIBRARY_DATA_DIR": str(restored_dir)})
    try:
        client = restored.test_client()
        assert client.get("/api/ready").status_code == 200
        assert client.get("/api/v1/books").status_code == 200
    finally:
        with restored.app_context():
            from library.extensions import db

            db.engine.dispose()


def test_restore_refuses_a_database_that_is_not_empty(app, database_url, tmp_path):
    archive = backup_of(database_url, tmp_path)
    result = flask(settings(database_url, tmp_path), "restore", str(archive), check=False)
    assert result.returncode != 0 and "not empty" in result.stderr


def backup_of(url, tmp_path):
    flask(settings(url, tmp_path / "data"), "backup", str(tmp_path / "backups"))
    return max((tmp_path / "backups").glob("library-*.tar.gz"))


def test_an_older_schema_is_migrated_and_a_newer_one_refused(database_url, empty_database, tmp_path):
    from flask_migrate import downgrade

    from library.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LIBRARY_ENV": "testing",
                      "LIBRARY_DATA_DIR": str(tmp_path)})
    with app.app_context():
        downgrade(revision="-1")
        older = revisions.current(db.session.connection())
        db.session.rollback()
        db.engine.dispose()
    archive = backup_of(database_url, tmp_path)
    assert backup.read_manifest(archive)["schema_revision"] == older != revisions.head()
    out = flask(settings(empty_database, tmp_path / "r1"), "restore", str(archive)).stdout
    assert f"Migrating the schema to {revisions.head()}" in out
    assert rows(empty_database, "SELECT version_num FROM alembic_version") == [(revisions.head(),)]

    future = rewrite_manifest(archive, tmp_path / "future.tar.gz", schema_revision="9999_from_the_future")
    result = flask(settings(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "r2"), "restore", str(future),
                   check=False)
    assert result.returncode != 0 and "newer than this version" in result.stderr


def rewrite_manifest(archive, target, **changes):
    """A copy of archive with manifest fields changed (its checksums left as they are)."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as copy:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps({**json.loads(data), **changes}).encode()
                member.size = len(data)
            copy.addfile(member, __import__("io").BytesIO(data))
    return target


def test_a_damaged_backup_is_refused(app, database_url, tmp_path):
    archive = backup_of(database_url, tmp_path)
    manifest = backup.read_manifest(archive)
    (member,) = [m for m in manifest["members"] if m.startswith("database")]
    damaged = rewrite_manifest(archive, tmp_path / "damaged.tar.gz",
                               members={**manifest["members"], member: {"sha256": "0" * 64, "bytes": 1}})
    result = flask(settings(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path / "r"), "restore", str(damaged),
                   check=False)
    assert result.returncode != 0 and "damaged" in result.stderr


def test_scheduled_backups_keep_the_newest(app, database_url, tmp_path):
    env = {**settings(database_url, tmp_path / "data"), "LIBRARY_BACKUP_DIR": str(tmp_path / "kept")}
    for _ in range(3):
        flask(env, "backup-schedule", "--once", "--keep", "2")
        time.sleep(1.1)  # archive names have whole seconds
    kept = sorted(p.name for p in (tmp_path / "kept").iterdir())
    assert len(kept) == 2 and all(name.startswith("library-") and name.endswith(".tar.gz") for name in kept)


def test_backups_of_sqlite_leave_out_the_database_files_and_the_backups_themselves(tmp_path):
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'library.db'}"
    from .conftest import migrate

    data.mkdir()
    migrate(url)
    (data / "covers").mkdir()
    (data / "covers" / "a.png").write_bytes(b"png")
    out = flask({**settings(url, data)}, "backup").stdout  # default: LIBRARY_DATA_DIR/backups
    (archive,) = (data / "backups").glob("library-*.tar.gz")
    assert str(archive) in out
    names = set(backup.read_manifest(archive)["members"])
    assert names == {"database.sqlite3", "files/covers/a.png"}
    shutil.rmtree(data / "backups")
