"""Flask commands: flask --app library seed-demo (migrations: flask --app library db upgrade)."""

import click
from sqlalchemy import func, select

from .extensions import db
from .models import Book
from .services import demo


def register(app):
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only load when the catalog has no books at all.")
    def seed_demo(if_empty):
        """Load about 200 demo books; books already there (same ISBN) are left alone."""
        if if_empty and db.session.scalar(select(func.count()).select_from(Book)):
            click.echo("The catalog is not empty; demo books not loaded.")
            return
        added = demo.load_demo()
        click.echo(f"Added {added} demo book(s).")
