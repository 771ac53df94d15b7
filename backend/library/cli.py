"""Flask commands: flask --app library seed-demo (migrations: flask --app library db upgrade)."""

import click
from sqlalchemy import func, select

from .extensions import db
from .models import Book
from .services import demo


def register(app):
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only load when the catalog has no books at all.")
    @click.option("--history", is_flag=True,
                  help="Also a year of loans up to today, and a few holds (once), so the statistics show something.")
    @click.option("--history-days", default=365, show_default=True, type=click.IntRange(7, 3650),
                  help="Days of loan history with --history.")
    def seed_demo(if_empty, history, history_days):
        """Load about 200 demo books with copies, and ten demo members; what is there already is left alone."""
        if if_empty and db.session.scalar(select(func.count()).select_from(Book)):
            click.echo("The catalog is not empty; demo books not loaded.")
            return
        added = demo.load_demo()
        click.echo(f"Added {added} demo book(s).")
        if history:
            made = demo.load_history(history_days)
            click.echo("The demo copies have loans already; no history added." if made is None else
                       f"Added {made.loans} loans over {history_days} days ({made.active} still out, {made.overdue} "
                       f"overdue, {made.anonymised} anonymised) and a few holds.")

    register_accounts(app)

    @app.cli.command("import-books")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(1, 50_000))
    def import_books(path, batch_size):
        """Import books from a CSV file (title, subtitle, authors ";", isbn, publisher, year, language, subjects ";",
        description); the search index is built once at the end."""
        import time

        from .services import importer

        with open(path, newline="", encoding="utf-8") as stream:
            total = sum(1 for _ in stream) - 1
        started = time.monotonic()
        with open(path, newline="", encoding="utf-8") as stream, \
                click.progressbar(length=max(total, 0), label="Importing", show_pos=True) as bar:
            try:
                reader = importer.read_csv(stream)
            except ValueError as error:
                raise click.ClickException(str(error)) from None
            done = [0]

            def progress(rows):
                bar.update(rows - done[0])
                done[0] = rows

            def indexing():
                bar.render_finish()
                click.echo("Building the search index for the new books...")

            result = importer.import_rows(reader, batch_size=batch_size, progress=progress, indexing=indexing)
        if result.added:
            click.echo("Updating the query planner's statistics...")
            importer.analyze()
        seconds = max(time.monotonic() - started, 1e-9)
        for line, message in result.problems:
            click.echo(f"line {line}: {message}", err=True)
        click.echo(f"Read {result.rows} rows: added {result.added}, skipped {result.skipped} "
                   f"in {seconds:.1f} s ({result.rows / seconds:,.0f} rows/s).")

    @app.cli.command("reindex")
    def reindex():
        """Rebuild the search index, the "did you mean" words and the exact-title keys from the catalog
        (after a failed import, titles changed by SQL, or a restore from a dump taken without them)."""
        from .extensions import db
        from .models import search as search_index
        from .services import search

        connection = db.session.connection()
        search_index.rebuild_index(connection)
        search.rebuild_words(connection, title_keys=True)
        db.session.commit()
        click.echo("Search index rebuilt.")

    @app.cli.command("forget-history")
    def forget_history():
        """Anonymise what members who keep no reading history still have linked, and take card numbers out of the
        audit trail's entries about closed loans and holds; for cron (returns do this for each loan already)."""
        from .services import privacy

        members, loans = privacy.sweep()
        click.echo(f"Anonymised {loans} loan(s) of {members} member(s).")

    @app.cli.command("expire-holds")
    def expire_holds():
        """Expire holds not picked up in time (their copies pass to the next in line); for cron."""
        from .services import circulation, settings

        count = circulation.expire_holds(settings.rules())
        click.echo(f"Expired {count} hold(s).")


def register_accounts(app):
    """create-user, ensure-admin and create-token."""
    import os
    import secrets
    import sys

    from .models import User
    from .services import auth, passwords
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
