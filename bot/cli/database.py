"""`commonpurse db upgrade`."""

import click
from flask.cli import AppGroup

from bot.cli.commands import summary
from bot.context import get_db

db_group = AppGroup("db", help=summary("db"))


@db_group.command("upgrade")
def upgrade() -> None:
    """Apply all migrations (safe to run again)."""
    get_db().upgrade()
    click.echo("Database is up to date.")
