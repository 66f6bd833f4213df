"""`commonpurse ideas list|shortlist|reject|merge`: residents' ideas, and moderating them.

The list shows each open idea's likely duplicates ("#7 (91)": idea 7, similarity 91 of 100),
ready for `ideas merge`."""

from typing import Any

import click
from flask.cli import AppGroup

from bot.cli.commands import summary
from bot.cli.output import check_sms, echo, emit
from bot.cli.params import ID, MONEY
from bot.context import get_db, now
from bot.domain import duplicates, moderation
from bot.domain.communities import by_slug
from bot.domain.ideas import idea_by_number, ideas_of
from bot.domain.notify import can_hear, residents_split, with_whatsapp
from bot.domain.serialise import idea_json
from bot.text.money import format_pence
from bot.text.organiser_text import plain, refuse_controls, sms_cost
from models import IDEA_STATUSES

ideas_group = AppGroup("ideas", help=summary("ideas"))

COLUMNS = [("#", "number"), ("STATUS", "status"), ("COST", "cost"), ("LIKE", "like"), ("IDEA", "text")]


@ideas_group.command("list", short_help="List ideas, newest first, with likely duplicates.")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.option("--status", type=click.Choice(IDEA_STATUSES), help="Only ideas in this status.")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
def list_(slug: str, status: str | None, as_json: bool) -> None:
    """List a community's ideas, newest first, each open one with its likely duplicates."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        rows = [idea_json(i) for i in ideas_of(session, community, status)]
        found = duplicates.duplicates_among(ideas_of(session, community)) if rows else {}
    for row in rows:
        row["duplicates"] = duplicates.as_json(found, row["number"])
    emit(rows if as_json else [_with_like(row) for row in rows], COLUMNS, as_json)


@ideas_group.command("shortlist")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.argument("number", type=ID)
@click.option("--cost", type=MONEY, help="The agreed cost (default: the resident's estimate).")
def shortlist(slug: str, number: int, cost: int | None) -> None:
    """Put an idea forward for a vote; its author is told."""
    with get_db().transaction() as session:
        idea = moderation.shortlist(session, by_slug(session, slug), number, cost, now())
        assert idea.cost_pence is not None  # shortlist refuses an idea without a cost
        done = f"Idea #{idea.number} shortlisted at {format_pence(idea.cost_pence)}."
    echo(done)  # once committed: a reader who left (`| head`) cannot undo it


@ideas_group.command("reject")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.argument("number", type=ID)
@click.option("--reason", required=True, help="Why; the author is told by SMS or Telegram.")
@click.option("--yes", is_flag=True, help="Send without asking, even if it costs more than two SMS segments.")
def reject(slug: str, number: int, reason: str, yes: bool) -> None:
    """Decline an idea, with a reason its author is told.

    First shows the message the author gets and its SMS segments; asks before sending if
    that is more than two, or if the reason must be shortened."""
    reason = plain(refuse_controls(reason, "the reason"))  # before its cost is shown
    if reason:
        # Asked outside any transaction: a database must not wait on a person.
        with get_db().transaction() as session:
            community = by_slug(session, slug)
            idea = idea_by_number(session, community, number)
            # An idea that cannot be rejected now is refused below, and nobody is told.
            authors = moderation.authors(session, idea) if idea.status in moderation.OPEN else []
            told = sum(1 for author in authors if can_hear(author))
            cost = sms_cost(
                "idea_rejected",
                told,
                community.default_language,
                own="reason",
                number=idea.number,
                reason=reason,
                community=community.name,
            )
            cost = with_whatsapp(cost, residents_split(session, community, authors, now()))
        check_sms(cost, "author", yes)
    with get_db().transaction() as session:
        moderation.reject(session, by_slug(session, slug), number, reason, now())
    echo(f"Idea #{number} rejected.")


@ideas_group.command("merge")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.argument("number", type=ID)
@click.option("--into", "into", required=True, type=ID, help="The idea that stays.")
def merge(slug: str, number: int, into: int) -> None:
    """Merge a duplicate into another idea; both authors are credited."""
    with get_db().transaction() as session:
        moderation.merge(session, by_slug(session, slug), number, into, now())
    echo(f"Idea #{number} merged into #{into}.")


def _with_like(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its duplicates as the LIKE column shows them: "#7 (91) #3 (84)"."""
    return {**row, "like": " ".join(f"#{d['number']} ({d['score']})" for d in row["duplicates"]) or None}


# Referring an idea to a council service (`ideas refer`, `send-again`, `referrals`) lives with
# the services; importing it here adds those commands to this group whenever `ideas` loads.
from bot.cli import referrals  # noqa: E402, F401
