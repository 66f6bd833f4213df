"""`commonpurse audit`: who changed what in a community's money, ideas and rounds."""

import click
from flask.cli import with_appcontext

from bot.cli.output import emit
from bot.context import get_db
from bot.domain.audit import entries
from bot.domain.communities import by_slug

COLUMNS = [("WHEN (UTC)", "at"), ("WHO", "actor"), ("WHAT", "subject"), ("CHANGE", "action")]


@click.command("audit", short_help="Organisers' changes to money, ideas and rounds.")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.option("--limit", type=click.IntRange(1, 100_000), help="Only the newest entries.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def audit(slug: str, limit: int | None, as_json: bool) -> None:
    """List organisers' changes to money, ideas and rounds, oldest first."""
    with get_db().transaction() as session:
        rows = [
            {
                "at": e.created_at.strftime("%Y-%m-%d %H:%M:%S") if not as_json else e.created_at.isoformat(),
                "actor": e.actor,
                "subject": e.subject,
                "action": e.action,
            }
            for e in entries(session, by_slug(session, slug), limit)
        ]
    emit(rows, COLUMNS, as_json)


def register(cli: click.Group) -> None:
    cli.add_command(audit)
