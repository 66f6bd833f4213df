"""`commonpurse announce`: news to members that is not about the money ("The partnership meets
Tuesday 7pm at the library, all welcome"), to everyone or to part of the community.

As `budget update --broadcast`: what each member gets and its cost first (asking when that is
more than two SMS segments each, or the text would be shortened), then queued once per member,
held through quiet hours. BUDGET goes on showing the latest budget news."""

from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.cli.audience import criteria_of, segment_options
from bot.cli.commands import summary
from bot.cli.output import check_sms, echo, plural
from bot.context import get_db, now
from bot.domain.announcements import announce, announcement_cost, as_sent, nobody_matches
from bot.domain.communities import by_slug
from bot.domain.quiet_hours import quiet_until
from bot.domain.segments import segment
from bot.domain.send_time import caps, send_time
from bot.text.times import spoken


@click.command("announce", short_help=summary("announce"))
@with_appcontext
@click.option("--community", "slug", required=True, help="Community slug.")
@click.option("--text", required=True, help="Your news, as members should read it.")
@click.option(
    "--yes", is_flag=True, help="Send without asking, even if it costs more than two SMS segments each."
)
@segment_options
def announce_command(slug: str, text: str, yes: bool, **given: Any) -> None:
    """Send an announcement to every member, or with --area, --language, --channel,
    --voted-in, --not-voted-in and --authors-in to part of the community only (every
    criterion given must hold); the audit trail and the digest keep the criteria, never who
    matched. Shows what each member gets and its cost first."""
    text = as_sent(text)  # refused, or as members get it, before its cost is shown
    criteria = criteria_of(given)
    # Asked outside any transaction: a database must not wait on a person.
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        to = segment(community, **criteria)
        cost = announcement_cost(session, community, text, now(), to)
    if not (cost.recipients or cost.whatsapp or cost.whatsapp_templates):
        raise nobody_matches(to)
    echo(f"To: {to.describe()}.")
    takes = send_time(dict(cost.by_channel), cost.segments, caps(current_app.config))
    check_sms(cost, "member", yes, takes.describe() if takes else None)
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        _, sent = announce(session, community, text, now(), segment(community, **criteria))
        goes_at, tz = quiet_until(community, now()), community.timezone
    done = f"Announcement sent to {plural(sent, 'member')}."
    if goes_at is not None and sent:
        done += f" Quiet hours: it goes out at {spoken(goes_at, tz)}."
    echo(done)
