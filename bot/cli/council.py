"""`commonpurse council create|list|add-community|remove-community|digest` and
`commonpurse council officer create|list|remove`: councils, the communities they follow and
their officers (who read those communities on the dashboard and change nothing)."""

import click
from flask import current_app
from flask.cli import AppGroup

from bot.cli.commands import summary
from bot.cli.community import DAYS
from bot.cli.organisers import _check_password, _read_password
from bot.cli.output import echo, emit
from bot.context import get_db, now
from bot.domain import councils
from bot.domain.communities import by_slug
from bot.domain.council_figures import council_lines
from bot.domain.digest import last_completed, parse_week
from bot.messaging.council_digest import send_council_week
from bot.messaging.mailer import mail_settings

council_group = AppGroup("council", help=summary("council"))
officer_group = AppGroup("officer", help="A council's officers: read-only dashboard accounts.")
council_group.add_command(officer_group)


@council_group.command("create", short_help="Create a council that follows communities.")
@click.argument("name")
@click.option("--email", "emails", multiple=True, help="Who gets its weekly digest; repeat for more.")
@click.option("--day", type=click.Choice(DAYS), help="The day its digest goes out (default monday).")
@click.option("--time", "at", help="The London time it goes out, HH:MM (default 09:00).")
def create(name: str, emails: tuple[str, ...], day: str | None, at: str | None) -> None:
    """Create a council NAME; its slug (for the other commands) is made from the name."""
    with get_db().transaction() as session:
        council = councils.create_council(
            session,
            name=name,
            emails=list(emails),
            weekday=DAYS.index(day) if day else 0,
            at=at or "09:00",
            now=now(),
        )
        done = (
            f"Council {council.name} created (slug {council.slug}); weekly digest to "
            f"{', '.join(council.digest_recipients) or 'nobody'}."
        )
    echo(done)


@council_group.command("list", short_help="List councils and their communities.")
@click.option("--json", "as_json", is_flag=True)
def list_(as_json: bool) -> None:
    """List councils, the communities each follows, and its officers."""
    with get_db().transaction() as session:
        rows = [
            {
                "slug": c.slug,
                "name": c.name,
                "communities": [m.slug for m in c.communities],
                "officers": [o.email for o in councils.officers(session, c)],
                "digest_recipients": c.digest_recipients,
            }
            for c in councils.councils(session)
        ]
    columns = [("SLUG", "slug"), ("NAME", "name"), ("COMMUNITIES", "communities"), ("OFFICERS", "officers")]
    emit(rows, columns, as_json)


@council_group.command("add-community", short_help="Let a council follow a community.")
@click.option("--council", "council_slug", required=True, help="The council's slug.")
@click.option("--community", "slug", required=True, help="The community's slug.")
def add_community(council_slug: str, slug: str) -> None:
    """Let the council's officers read the community's overview, rounds and money."""
    with get_db().transaction() as session:
        council = councils.council_by_slug(session, council_slug)
        added = councils.add_community(session, council, by_slug(session, slug), now())
    echo(f"{council_slug} {'now follows' if added else 'already followed'} {slug}.")


@council_group.command("remove-community", short_help="Stop a council following a community.")
@click.option("--council", "council_slug", required=True, help="The council's slug.")
@click.option("--community", "slug", required=True, help="The community's slug.")
def remove_community(council_slug: str, slug: str) -> None:
    """Its officers no longer see the community."""
    with get_db().transaction() as session:
        council = councils.council_by_slug(session, council_slug)
        councils.remove_community(session, council, by_slug(session, slug), now())
    echo(f"{council_slug} no longer follows {slug}.")


@council_group.command("digest", short_help="Show or send a council's weekly digest.")
@click.option("--council", "council_slug", required=True, help="The council's slug.")
@click.option("--week", help="An ISO week, e.g. 2026-W48; default the last one completed.")
@click.option("--send", is_flag=True, help="Send it (once: a week already sent is not sent again).")
def digest(council_slug: str, week: str | None, send: bool) -> None:
    """Show the council's lines as they stand, or send a completed week's digest."""
    db = get_db()
    with db.transaction() as session:
        council = councils.council_by_slug(session, council_slug)
        council_id, tz = council.id, council.timezone
        chosen = parse_week(week, tz) if week else last_completed(now(), tz)
        lines = council_lines(session, council, now())
    if send:
        result = send_council_week(db, council_id, chosen, now(), mail_settings(current_app))
        echo(f"Council digest {chosen.iso} for {council_slug}: {result.replace('_', ' ')}.")
        return
    for line in lines:
        turnout = f"{line.turnout * 100:.0f}%" if line.latest_round else "-"
        figures = f"{line.members} members, {line.ideas} ideas, turnout {turnout}"
        echo(f"{line.name}: {figures}, {line.referrals_waiting} referrals waiting")


@officer_group.command("create", short_help="Create a council officer's account.")
@click.option("--council", "council_slug", required=True, help="The council's slug.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin (what happens anyway when stdin is not a terminal).",
)
def officer_create(council_slug: str, email: str, name: str, password_stdin: bool) -> None:
    """Create an officer, who signs in to the dashboard and reads the council's communities.

    At a terminal the password is asked for, hidden, twice; otherwise it is stdin's first line.
    """
    password = _read_password(password_stdin)
    _check_password(password)
    with get_db().transaction() as session:
        council = councils.council_by_slug(session, council_slug)
        officer = councils.create_officer(
            session, council, email=email, name=name, password=password, now=now()
        )
        done = f"Officer {officer.email} of {council.name} created: they sign in at /dashboard/login."
    echo(done)


@officer_group.command("list", short_help="List a council's officers.")
@click.option("--council", "council_slug", required=True, help="The council's slug.")
@click.option("--json", "as_json", is_flag=True)
def officer_list(council_slug: str, as_json: bool) -> None:
    """List the council's officers."""
    with get_db().transaction() as session:
        council = councils.council_by_slug(session, council_slug)
        rows = [{"email": o.email, "name": o.name} for o in councils.officers(session, council)]
    emit(rows, [("EMAIL", "email"), ("NAME", "name")], as_json)


@officer_group.command("remove", short_help="Remove a council officer's account.")
@click.option("--council", "council_slug", required=True, help="The council's slug.")
@click.option("--email", required=True)
def officer_remove(council_slug: str, email: str) -> None:
    """Remove the officer's account: signed out at once, everywhere."""
    with get_db().transaction() as session:
        council = councils.council_by_slug(session, council_slug)
        councils.remove_officer(session, council, email, now())
    echo(f"Officer {email.strip().lower()} removed from {council_slug}.")
