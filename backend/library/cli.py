"""Flask commands: flask --app library seed-demo (migrations: flask --app library db upgrade)."""

import click
from sqlalchemy import func, select

from .extensions import db
from .models import Book
from .services import demo


def register(app):
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True,
                  help="Only load the books when the catalog has none (--history still adds the demo copies' loans, "
                       "once).")
    @click.option("--history", is_flag=True,
                  help="Also a year of loans up to today, and a few holds (once), so the statistics show something.")
    @click.option("--history-days", default=365, show_default=True, type=click.IntRange(7, 3650),
                  help="Days of loan history with --history.")
    def seed_demo(if_empty, history, history_days):
        """Load about 200 demo books with copies, and ten demo members; what is there already is left alone."""
        if if_empty and db.session.scalar(select(func.count()).select_from(Book)):
            click.echo("The catalog is not empty; demo books not loaded.")
        else:
            added = demo.load_demo()
            click.echo(f"Added {added} demo book(s).")
        if history:  # the demo copies' loans, once (a catalog seeded before the history gets it too)
            made = demo.load_history(history_days)
            click.echo("The demo copies have loans already (or there are none); no history added." if made is None else
                       f"Added {made.loans} loans over {history_days} days ({made.active} still out, {made.overdue} "
                       f"overdue, {made.anonymised} anonymised) and a few holds.")

    register_accounts(app)
    register_backups(app)

    @app.cli.command("import-books")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--format", "file_format", type=click.Choice(["auto", "csv", "marc", "marcxml"]), default="auto",
                  show_default=True, help="auto: recognised from the content (and the extension).")
    @click.option("--dry-run", is_flag=True, help="Only say what would happen to each record; write nothing.")
    @click.option("--duplicates", type=click.Choice(["skip", "add-copies", "add-anyway"]), default="skip",
                  show_default=True, help="What a book already in the catalog (same ISBN, or likely the same) becomes.")
    @click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(1, 50_000))
    def import_books(path, file_format, dry_run, duplicates, batch_size):
        """Import books from MARC 21 (ISO 2709 .mrc, MARC-8 or UTF-8), MARCXML or CSV (columns title, subtitle,
        authors ";", isbn, other_isbns, edition, publisher, year, language, subjects ";", description, call_number,
        barcodes ";", copy_locations, copy_call_numbers, copy_statuses); the search index is built once at the end."""
        import time
        from pathlib import Path

        from .services import audit, bookcsv, importer, imports, marc

        with open(path, "rb") as binary:
            head = binary.read(4096)
        try:
            detected = imports.sniff(head, path)
        except imports.ImportProblem as error:
            raise click.ClickException(str(error)) from None
        file_format = detected if file_format == "auto" else file_format
        mapping = None
        if file_format == "csv":
            with open(path, "rb") as binary:
                header, _ = bookcsv.read_header(binary)
            mapping = bookcsv.suggest_mapping(header)
            if "title" not in mapping["fields"]:
                raise click.ClickException(
                    f"The header must name columns from {', '.join(importer.COLUMNS)} (title required); it has "
                    f"{', '.join(header) or 'nothing'}. Other headers can be mapped on the Import page.")
            ignored = [name for name, target in zip(header, mapping["fields"]) if target is None]
            if ignored:
                click.echo(f"Columns left out (not a known field): {', '.join(ignored)}", err=True)
        total = imports.estimate_records(file_format, Path(path))
        unit = "rows" if file_format == "csv" else "records"
        started = time.monotonic()
        after_id = importer.last_book_id()
        with click.progressbar(length=total, label="Checking" if dry_run else "Importing", show_pos=True,
                               file=click.get_text_stream("stderr")) as bar:
            done = [0]

            def progress(_report, records, _written):
                bar.update(max(0, min(records, total) - done[0]))
                done[0] = min(records, total)

            try:
                report = importer.plan_and_write(
                    imports.records_of(file_format, Path(path), mapping), policy=duplicates.replace("-", "_"),
                    dry_run=dry_run, batch_size=batch_size, on_batch=progress)
            except marc.FileError as error:
                raise click.ClickException(str(error)) from None
        if not dry_run:
            if report.added:
                click.echo("Building the search index for the new books...")
            importer.finish(after_id)
            audit.record("book.import", summary={"file": Path(path).name, **{
                name: getattr(report, name) for name in report.COUNTERS}})
            db.session.commit()
            if report.added:
                click.echo("Updating the query planner's statistics...")
                importer.analyze()
        seconds = max(time.monotonic() - started, 1e-9)
        for line in report_lines(report):
            click.echo(line, err=True)
        if dry_run:
            click.echo(f"Checked {report.records} {unit}: {report.new} new, {report.duplicate} duplicate, "
                       f"{report.likely_duplicate} likely duplicate, {report.invalid} invalid; nothing was written.")
        else:
            click.echo(f"Read {report.records} {unit}: added {report.added}, skipped {report.records - report.added} "
                       f"in {seconds:.1f} s ({report.records / seconds:,.0f} {unit}/s); {report.copies_added} copies "
                       "added.")

    @app.cli.command("reindex")
    def reindex():
        """Rebuild the search index, the "did you mean" words and the exact-title keys from the catalog
        (after a failed import, titles changed by SQL, or a restore from a dump taken without them)."""
        from .extensions import db
        from .models import search as search_index
        from .services import search

        connection = db.session.connection()
        search_index.rebuild_index(connection)
        search_index.drop_archived(connection)
        search.rebuild_words(connection, title_keys=True)
        db.session.commit()
        click.echo("Search index rebuilt.")

    @app.cli.command("documents")
    def write_documents():
        """Write every stored book document that is stale or missing now (the background worker writes them too,
        a few seconds' worth each round): after an import or an upgrade, before a benchmark."""
        import time

        from .extensions import db
        from .services import documents

        started = time.monotonic()
        documents.mark_missing(db.session.connection())
        db.session.commit()
        written = documents.catch_up(seconds=None)
        click.echo(f"Wrote {written} book document(s) in {time.monotonic() - started:.1f} s.")

    @app.cli.command("forget-history")
    def forget_history():
        """Anonymise what members who keep no reading history still have linked, and take card numbers out of the
        audit trail's entries about closed loans and holds; for cron (returns do this for each loan already)."""
        from .services import privacy

        members, loans = privacy.sweep()
        click.echo(f"Anonymised {loans} loan(s) of {members} member(s).")

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Run one round (due tasks, queued jobs) and exit.")
    @click.option("--poll", default=1.0, show_default=True, type=click.FloatRange(0.1, 60),
                  help="Seconds between rounds when there is nothing to do.")
    @click.option("--beat-file", type=click.Path(dir_okay=False),
                  help="Touch this file every round (a container healthcheck reads its age).")
    def worker(once, poll, beat_file):
        """Run background work: jobs (imports ...) and periodic tasks (clean-up ...), until Ctrl-C or SIGTERM.
        Several workers may run at once."""
        from .services.worker import Worker

        Worker(app, poll=poll, beat_file=beat_file).run(once=once)
    @app.cli.command("prune-covers")
    @click.option("--hours", default=24, show_default=True, type=click.IntRange(0, 24 * 365),
                  help="Keep unused cover files younger than this (an upload or a lookup not saved yet).")
    def prune_covers(hours):
        """Delete cover images that no book uses any more (for cron, like expire-holds)."""
        from sqlalchemy import select

        from .extensions import db
        from .models import Book
        from .services import covers

        used = set(db.session.scalars(select(Book.cover_id).where(Book.cover_id.is_not(None))))
        removed = covers.current_store().prune(used, older_than=hours * 3600)
        click.echo(f"Removed {removed} unused cover file(s).")

    @app.cli.command("expire-holds")
    def expire_holds():
        """Clear the holds not picked up in time, as Clear on the hold shelf list does (each copy passes to the
        next in line or back to the shelf); for libraries that want it from cron rather than at the desk."""
        from .services import circulation, settings

        count = circulation.expire_holds(settings.rules())
        click.echo(f"Expired {count} hold(s).")


def report_lines(report) -> list[str]:
    """The report's problems, duplicates and warnings as lines, in file order ("line 5: isbn: ...")."""
    lines = []
    for problem in report.problems:
        where = f"line {problem['line']}" if problem.get("line") else f"record {problem['record']}"
        lines.append((problem["record"], f"{where}: {'; '.join(problem['reasons'])}"))
    for dup in report.duplicates:
        where = f"line {dup['line']}" if dup.get("line") else f"record {dup['record']}"
        what = "isbn: duplicate of" if dup["kind"] == "duplicate" else "likely duplicate (title and first author) of"
        other = (f"record {dup['record_of_file']} of the file" if dup.get("record_of_file") else
                 "a record earlier in the file" if dup["in_file"] else f"book {dup['book_id']} in the catalog")
        lines.append((dup["record"], f"{where}: {what} {other}"))
    for note in report.notes:
        where = f"line {note['line']}" if note.get("line") else f"record {note['record']}"
        lines.append((note["record"], f"{where}: warning: {note['message']}"))
    return [text for _, text in sorted(lines, key=lambda pair: pair[0])]


def register_accounts(app):
    """create-user, ensure-admin, create-token and reset-password."""
    import os
    import secrets
    import sys

    from .models import User
    from .services import audit, auth, passwordlinks, passwords
    from .services.auth import ROLE_SCOPES, SCOPES

    def make_user(email, role, name, password):
        problems = passwords.problems(password)
        if problems:
            raise click.ClickException(" ".join(problems))
        if auth.user_by_email(email):
            raise click.ClickException(f"A user with email {email} already exists.")
        user = User(email=email.strip().lower(), display_name=name or email.split("@")[0], role=role, is_active=True,
                    password_hash=passwords.hash_password(password, app.config["LIBRARY_ARGON2"]))
        db.session.add(user)
        db.session.commit()
        return user

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice(["admin", "librarian", "member"]), required=True)
    @click.option("--name", help="Display name (default: the part of the email before @).")
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
    def create_user(email, role, name, password_stdin):
        """Create a user; without --password-stdin a password is generated and printed last."""
        password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(12)
        user = make_user(email, role, name, password)
        click.echo(f"Created {user.role} {user.email} (id {user.id}).")
        if not password_stdin:
            click.echo(f"Password: {password}")

    @app.cli.command("ensure-admin")
    def ensure_admin():
        """Create the first admin from LIBRARY_ADMIN_EMAIL / LIBRARY_ADMIN_PASSWORD when there is no admin yet."""
        if db.session.scalar(select(func.count()).select_from(User).where(User.role == "admin")):
            click.echo("An admin exists; nothing to do.")
            return
        email = os.environ.get("LIBRARY_ADMIN_EMAIL") or "admin@example.com"
        password = os.environ.get("LIBRARY_ADMIN_PASSWORD") or ""
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        make_user(email, "admin", "Administrator", password)
        click.echo(f"Created the first admin: {email}")
        if generated:
            click.echo("=" * 60)
            click.echo(f"  Admin password (shown only now): {password}")
            click.echo("  Log in and change it on the Account page.")
            click.echo("=" * 60)

    @app.cli.command("create-token")
    @click.argument("email")
    @click.option("--name", required=True, help="What the token is for.")
    @click.option("--scopes", default="read", show_default=True, help=f"Comma-separated: {', '.join(SCOPES)}.")
    @click.option("--days", default=90, show_default=True, type=click.IntRange(1, 365), help="Days until it expires.")
    def create_token(email, name, scopes, days):
        """Create an API token for a user; the token is the last word printed."""
        user = auth.user_by_email(email)
        if user is None or not user.is_active:
            raise click.ClickException(f"No active user with email {email}.")
        wanted = [s.strip() for s in scopes.split(",") if s.strip()]
        unknown = set(wanted) - set(SCOPES)
        if unknown or not wanted:
            raise click.ClickException(f"Scopes are {', '.join(SCOPES)}; got {scopes!r}.")
        if not set(wanted) <= ROLE_SCOPES[user.role]:
            raise click.ClickException(f"A {user.role} may have the scopes {', '.join(sorted(ROLE_SCOPES[user.role]))}.")
        token, raw = auth.create_token(user, name[:100], wanted, days, frozenset(SCOPES))
        click.echo(f"Token {token.id} for {user.email}, scopes {token.scopes}, expires {token.expires_at:%Y-%m-%d}:")
        click.echo(raw)

    @app.cli.command("reset-password")
    @click.argument("email")
    @click.option("--password-stdin", is_flag=True, help="Set the password read from standard input instead.")
    @click.option("--temporary", is_flag=True, help="With --password-stdin: the user must change it at first login.")
    @click.option("--base-url", default=None,
                  help="The address people open the library at; the link starts with it (default LIBRARY_PUBLIC_URL).")
    def reset_password(email, password_stdin, temporary, base_url):
        """Print a one-time link for a user to set a new password (it works once, for 24 hours), or set one with
        --password-stdin. Once the password is set, the user's sessions and API tokens end."""
        user = auth.user_by_email(email)
        if user is None:
            raise click.ClickException(f"No user with email {email}.")
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
            if problems := passwords.problems(password):
                raise click.ClickException(" ".join(problems))
            passwordlinks.set_password(user, password, app.config["LIBRARY_ARGON2"])
            user.must_change_password = temporary
            audit.record("auth.password_set_by_operator", resource=user, summary={"temporary": temporary})
            db.session.commit()
            click.echo(f"Set a new password for {user.email}; their sessions and tokens have ended.")
            return
        if not user.is_active:
            raise click.ClickException(f"The account {user.email} is disabled; enable it first.")
        link, raw = passwordlinks.make_link(user, "reset")
        db.session.commit()
        click.echo(f"A one-time link for {user.email}, valid until {link.expires_at:%Y-%m-%d %H:%M} UTC:")
        click.echo(passwordlinks.link_url(base_url or app.config["LIBRARY_PUBLIC_URL"], raw))


def register_backups(app):
    """backup, restore and backup-schedule (services/backup.py does the work)."""
    import time
    from datetime import datetime, timezone

    from .services import backup

    def run_backup(destination):
        try:
            result = backup.create(db.engine, app.config["LIBRARY_DATA_DIR"], destination)
        except backup.BackupError as error:
            raise click.ClickException(str(error)) from None
        manifest = result.manifest
        rows = sum(manifest["counts"].values())
        files = sum(name.startswith("files/") for name in manifest["members"])
        click.echo(f"Backed up {rows} rows in {len(manifest['counts'])} tables and {files} file(s), schema "
                   f"{manifest['schema_revision']}, in {manifest['seconds']:.1f} s: {result.path}")
        return result

    @app.cli.command("backup")
    @click.argument("path", required=False, type=click.Path(dir_okay=True, file_okay=True))
    def backup_command(path):
        """Back up the database (consistently, while the app runs) and LIBRARY_DATA_DIR's files into PATH: a
        folder (default LIBRARY_BACKUP_DIR; the archive is named by the time) or a .tar.gz file."""
        run_backup(path or app.config["LIBRARY_BACKUP_DIR"])

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def restore_command(path):
        """Restore a backup into the database of DATABASE_URL, which must be empty, and its files into
        LIBRARY_DATA_DIR; then migrate it to this version's schema. A backup of a newer schema is refused."""
        from flask_migrate import upgrade

        from .services import revisions

        try:
            manifest = backup.restore(path, db.engine, app.config["LIBRARY_DATA_DIR"])
        except backup.BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Restored the backup of {manifest['created_at']} ({sum(manifest['counts'].values())} rows, "
                   f"schema {manifest['schema_revision']}).")
        if manifest["schema_revision"] != revisions.head():
            click.echo(f"Migrating the schema to {revisions.head()}...")
            upgrade()
        problems = backup.integrity(db.engine)
        if problems:
            raise click.ClickException("The restored database has problems: " + "; ".join(problems[:10]))
        click.echo("Integrity check: clean. Start Library on this database.")

    @app.cli.command("backup-schedule")
    @click.option("--every", "every_hours", type=click.FloatRange(min=0.01), default=None,
                  help="Hours between backups (default LIBRARY_BACKUP_EVERY_HOURS).")
    @click.option("--keep", type=click.IntRange(min=1), default=None, help="Backups kept (default LIBRARY_BACKUP_KEEP).")
    @click.option("--once", is_flag=True, help="One backup and pruning, then exit (for cron).")
    def backup_schedule(every_hours, keep, once):
        """Back up into LIBRARY_BACKUP_DIR now and then every few hours, keeping the newest few (the compose
        `backup` service runs this)."""
        every = (every_hours or app.config["LIBRARY_BACKUP_EVERY_HOURS"]) * 3600
        keep = keep or app.config["LIBRARY_BACKUP_KEEP"]
        directory = app.config["LIBRARY_BACKUP_DIR"]
        while True:
            started = time.monotonic()
            try:
                run_backup(directory)
                for old in backup.prune(directory, keep):
                    click.echo(f"Removed the old backup {old.name}")
            except click.ClickException as error:  # e.g. the database restarting: try again next time
                click.echo(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} backup failed: {error.message}", err=True)
                if once:
                    raise
            finally:
                db.session.remove()
            if once:
                return
            time.sleep(max(0.0, every - (time.monotonic() - started)))
