"""`commonpurse community create|list|digest|quiet-hours|languages|require-2fa`."""

import click
from flask.cli import AppGroup

from bot.cli.commands import summary
from bot.cli.output import echo, emit
from bot.cli.params import MONEY
from bot.context import get_db, now
from bot.domain import grant_data
from bot.domain.communities import (
    all_communities,
    by_slug,
    create_community,
    set_digest,
    set_languages,
)
from bot.domain.privacy import set_privacy
from bot.domain.quiet_hours import describe, set_quiet_hours
from bot.domain.serialise import community_json
from bot.domain.two_factor import set_required
from bot.text.money import format_pence
from models import VERIFICATION_RULES

community_group = AppGroup("community", help=summary("community"))

COLUMNS = [
    ("SLUG", "slug"),
    ("NAME", "name"),
    ("JOIN CODE", "join_code"),
    ("SMS NUMBER", "sms_number"),
    ("BUDGET", "budget"),
    ("VERIFICATION", "verification"),
    ("AREAS", "postcode_areas"),
]


@community_group.command("create")
@click.option("--name", required=True, help="Name residents see, e.g. 'Riverside Big Local'.")
@click.option("--slug", required=True, help="Short id for commands and URLs, e.g. riverside.")
@click.option("--budget", "budget", required=True, type=MONEY, help="Total budget, e.g. £1,150,000.")
@click.option("--join-code", required=True, help="Code residents use to join on Telegram.")
@click.option("--sms-number", help="The community's SMS number (E.164 or UK format).")
@click.option(
    "--verification",
    type=click.Choice(VERIFICATION_RULES),
    default="none",
    show_default=True,
    help="Check residents' postcodes before they join.",
)
@click.option(
    "--postcode-area",
    "areas",
    multiple=True,
    help="A district (E1) or sector (E1 6) residents must live in; repeat for more.",
)
@click.option("--timezone", default="Europe/London", show_default=True)
@click.option(
    "--language",
    "languages",
    multiple=True,
    help="A language residents may choose (en, cy, pl); repeat for more, the default first. Default: en.",
)
def create(
    name: str,
    slug: str,
    budget: int,
    join_code: str,
    sms_number: str | None,
    verification: str,
    areas: tuple[str, ...],
    timezone: str,
    languages: tuple[str, ...],
) -> None:
    """Create a community."""
    with get_db().transaction() as session:
        community = create_community(
            session,
            name=name,
            slug=slug,
            budget_total_pence=budget,
            join_code=join_code,
            sms_number=sms_number,
            verification=verification,
            postcode_areas=list(areas),
            timezone=timezone,
            languages=list(languages) or ["en"],
            now=now(),
        )
        done = (
            f"Created community {community.slug}: {community.name}, budget "
            f"{format_pence(community.budget_total_pence)}."
        )
    echo(done)  # once committed, so a reader who left (`| head`) cannot undo it


@community_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
def list_(as_json: bool) -> None:
    """List communities."""
    with get_db().transaction() as session:
        rows = [community_json(c) for c in all_communities(session)]
    emit(rows, COLUMNS, as_json)


DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@community_group.command("digest")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.option("--to", "recipients", multiple=True, help="An email address; repeat for more.")
@click.option("--day", type=click.Choice(DAYS), help="The day it goes out (default monday).")
@click.option("--time", "at", help="The local time it goes out, HH:MM (default 09:00).")
def digest_settings(slug: str, recipients: tuple[str, ...], day: str | None, at: str | None) -> None:
    """Set who gets the weekly digest, and when."""
    with get_db().transaction() as session:
        community = set_digest(
            session,
            by_slug(session, slug),
            recipients=list(recipients) or None,
            weekday=DAYS.index(day) if day else None,
            at=at,
        )
        done = (
            f"Digest for {community.slug}: {', '.join(community.digest_recipients) or 'nobody'}, "
            f"{DAYS[community.digest_weekday].capitalize()}s at {community.digest_time}."
        )
    echo(done)


@community_group.command("quiet-hours", short_help="Set the hours when broadcasts wait.")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.option("--from", "start", help="When they begin, HH:MM community time (default 21:00).")
@click.option("--to", "end", help="When they end and held messages go, HH:MM (default 08:00).")
@click.option("--off", is_flag=True, help="No quiet hours: broadcasts go at any hour.")
def quiet_hours(slug: str, start: str | None, end: str | None, off: bool) -> None:
    """Set the hours when messages we start to many (ballots, reminders, results, updates,
    news) wait in the outbox; they go when the hours end. Answers to residents never wait."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        if off:
            start = end = "00:00"
        set_quiet_hours(community, start, end)
        done = f"Quiet hours for {community.slug}: {describe(community)} ({community.timezone})."
    echo(done)


@community_group.command("languages", short_help="Set the languages residents may choose.")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.argument("languages", nargs=-1, required=True)
def languages_(slug: str, languages: tuple[str, ...]) -> None:
    """Set the languages residents may choose, the default first: `en cy pl`.

    Residents who chose a language no longer offered read the new default."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        set_languages(community, list(languages))
        done = (
            f"{community.slug} offers {', '.join(community.languages)}; new residents read "
            f"{community.languages[0]} unless they choose another."
        )
    echo(done)


@community_group.command("require-2fa", short_help="Require organisers to sign in with a code.")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.option("--off", is_flag=True, help="No longer require it (those who have it keep it).")
def require_two_factor(slug: str, off: bool) -> None:
    """Require every organiser of the community to sign in with a second factor (a code from
    an authenticator app). One who has not set it up is sent to do so after their password,
    and can open no other page until they have."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        set_required(community, not off)
        done = (
            f"{community.slug} {'no longer requires' if off else 'requires'} two-factor sign-in "
            f"of its organisers."
        )
    echo(done)


@community_group.command("privacy", short_help="Set who the privacy notice names, and its contact.")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.option("--controller", help="Who is responsible for residents' data (the data controller).")
@click.option("--contact", help="The email residents write to about their data.")
def privacy(slug: str, controller: str | None, contact: str | None) -> None:
    """Set the privacy notice's data controller and contact email (/c/<slug>/privacy); MY DATA
    tells residents to email the contact for a full copy. "" clears one."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        set_privacy(community, controller, contact)
        done = (
            f"Privacy notice for {community.slug}: controller {community.controller or '(not set)'}, "
            f"contact {community.privacy_contact or '(not set)'}."
        )
    echo(done)


@community_group.command("grant-data", short_help="Publish grants as 360Giving open data.")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.option("--prefix", help="The community's registered 360Giving prefix, e.g. 360G-riverside.")
@click.option("--funder-id", help="The funder's org-id, e.g. GB-CHC-1164883 (see org-id.guide).")
@click.option("--funder-name", help="The funder's name (default: the community's).")
@click.option("--licence", help="CC-BY (the default) or OGL.")
@click.option("--off", is_flag=True, help="Publish no grant data.")
def grant_data_settings(
    slug: str,
    prefix: str | None,
    funder_id: str | None,
    funder_name: str | None,
    licence: str | None,
    off: bool,
) -> None:
    """Publish the community's grants (its allocations to funded projects) as 360Giving open
    data, at /c/SLUG/360giving.json and .csv; with no option, show what is set."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        if off:
            grant_data.stop_publishing(community)
        grant_data.set_grant_data(
            community, prefix=prefix, funder_id=funder_id, funder_name=funder_name, licence=licence
        )
        done = grant_data.describe(community) + "."
    echo(done)
