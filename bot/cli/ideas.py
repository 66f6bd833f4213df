"""`commonpurse ideas list`."""
import click
from flask.cli import AppGroup

from bot.cli.output import emit
from bot.communities import by_slug
from bot.db import get_db
from bot.ideas import ideas_of
from bot.money import format_pence
from models import IDEA_STATUSES, Idea

ideas_group = AppGroup("ideas", help="Residents' ideas.")

COLUMNS = [("#", "number"), ("STATUS", "status"), ("COST", "cost"), ("IDEA", "text")]


def idea_json(idea: Idea) -> dict:
    """Stable JSON fields of an idea (documented in README). No author details, ever."""
    return {
        "number": idea.number, "text": idea.text, "cost_pence": idea.cost_pence,
        "cost": format_pence(idea.cost_pence) if idea.cost_pence is not None else None,
        "status": idea.status, "reject_reason": idea.reject_reason,
        "anonymous": idea.author_id is None, "created_at": idea.created_at.isoformat(),
    }


@ideas_group.command("list")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.option("--status", type=click.Choice(IDEA_STATUSES), help="Only ideas in this status.")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
def list_(slug: str, status: str | None, as_json: bool) -> None:
    """List a community's ideas, newest first."""
    with get_db().transaction() as session:
        rows = [idea_json(i) for i in ideas_of(session, by_slug(session, slug), status)]
    emit(rows, COLUMNS, as_json)


def register(cli: click.Group) -> None:
    cli.add_command(ideas_group)
