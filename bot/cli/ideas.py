"""`commonpurse ideas list`."""
import click
from flask.cli import AppGroup

from bot.cli.output import echo, emit
from bot.cli.params import ID, MONEY
from bot.context import get_db, now
from bot.domain import moderation
from bot.domain.communities import by_slug
from bot.domain.ideas import ideas_of
from bot.domain.serialise import idea_json
from bot.text.money import format_pence
from models import IDEA_STATUSES

ideas_group = AppGroup("ideas", help="Residents' ideas.")

COLUMNS = [("#", "number"), ("STATUS", "status"), ("COST", "cost"), ("IDEA", "text")]


@ideas_group.command("list")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.option("--status", type=click.Choice(IDEA_STATUSES), help="Only ideas in this status.")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
def list_(slug: str, status: str | None, as_json: bool) -> None:
    """List a community's ideas, newest first."""
    with get_db().transaction() as session:
        rows = [idea_json(i) for i in ideas_of(session, by_slug(session, slug), status)]
    emit(rows, COLUMNS, as_json)


@ideas_group.command("shortlist")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.argument("number", type=ID)
@click.option("--cost", type=MONEY, help="The agreed cost (default: the resident's estimate).")
def shortlist(slug, number, cost) -> None:
    """Put an idea forward for a vote; its author is told."""
    with get_db().transaction() as session:
        idea = moderation.shortlist(session, by_slug(session, slug), number, cost, now())
        echo(f"Idea #{idea.number} shortlisted at {format_pence(idea.cost_pence)}.")


@ideas_group.command("reject")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.argument("number", type=ID)
@click.option("--reason", required=True, help="Why; the author is told.")
def reject(slug, number, reason) -> None:
    """Decline an idea, with a reason its author is told."""
    with get_db().transaction() as session:
        moderation.reject(session, by_slug(session, slug), number, reason, now())
        echo(f"Idea #{number} rejected.")


@ideas_group.command("merge")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.argument("number", type=ID)
@click.option("--into", "into", required=True, type=ID, help="The idea that stays.")
def merge(slug, number, into) -> None:
    """Merge a duplicate into another idea; both authors are credited."""
    with get_db().transaction() as session:
        moderation.merge(session, by_slug(session, slug), number, into, now())
        echo(f"Idea #{number} merged into #{into}.")


def register(cli: click.Group) -> None:
    cli.add_command(ideas_group)
