"""`commonpurse digest preview|send`: the council's weekly digest."""

import click
from flask import current_app
from flask.cli import AppGroup

from bot.cli.commands import summary
from bot.cli.output import echo
from bot.context import get_db, now
from bot.domain.communities import by_slug
from bot.domain.digest import Week, figures, last_completed, parse_week
from bot.errors import InvalidInput
from bot.messaging import digest
from bot.messaging.mailer import mail_settings
from bot.text import digest as digest_text
from models import Community

digest_group = AppGroup("digest", help=summary("digest"))
community_option = click.option("--community", "slug", required=True, help="Community slug.")
week_option = click.option("--week", help="ISO week, e.g. 2026-W48 (default: the last full week).")


def _week(community: Community, week: str | None) -> Week:
    if week is None:
        return last_completed(now(), community.timezone)
    return parse_week(week, community.timezone)


@digest_group.command("preview", short_help="Print a week's digest (nothing sent).")
@community_option
@week_option
def preview(slug: str, week: str | None) -> None:
    """Print a week's digest as the council would read it (nothing is stored or sent)."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        text = digest_text.text(figures(session, community, _week(community, week), now()))
    echo(text, multiline=True, nl=False)


@digest_group.command("send")
@community_option
@week_option
def send(slug: str, week: str | None) -> None:
    """Send a week's digest now, unless it was already sent."""
    db = get_db()
    with db.transaction() as session:
        community = by_slug(session, slug)
        chosen, community_id = _week(community, week), community.id
    result = digest.send_week(db, community_id, chosen, now(), mail_settings(current_app))
    messages = {
        "sent": f"Digest {chosen.iso} sent.",
        "already_sent": f"Digest {chosen.iso} was already sent: not sent again.",
    }
    if result == "no_recipients":
        raise InvalidInput(
            "this community has no digest recipients: set them with `commonpurse community digest --to ...`"
        )
    if result == "failed":
        raise click.ClickException(f"digest {chosen.iso} could not be sent; see the log, and try again")
    echo(messages[result])
