"""`commonpurse whatsapp templates set|list|remove` and `whatsapp sender`: what WhatsApp needs
beyond the SMS number.

Outside WhatsApp's 24-hour window only a template Meta approved may go: organisers register
each template's ContentSid here, per community, kind of message and language. A kind with none
in a resident's language goes to them by SMS."""

import click
from flask.cli import AppGroup

from bot.cli.commands import summary
from bot.cli.output import echo, emit
from bot.context import get_db, now
from bot.domain.communities import by_slug
from bot.domain.whatsapp import KINDS, remove_template, set_sender, set_template, suggested_body, templates_of
from bot.text.languages import own_name

whatsapp_group = AppGroup("whatsapp", help=summary("whatsapp"))
templates_group = AppGroup(
    "templates",
    help="Templates (ContentSids) for messages outside the 24-hour window.",
    short_help="Templates for messages outside the 24-hour window.",
)
whatsapp_group.add_command(templates_group)
community_option = click.option("--community", "slug", required=True, help="Community slug.")
kind_option = click.option(
    "--kind", required=True, metavar="KIND", help=f"The kind of message: {', '.join(KINDS)}."
)
language_option = click.option(
    "--language", required=True, metavar="CODE", help="The template's language: en, cy or pl."
)
COLUMNS = [
    ("KIND", "kind"),
    ("LANGUAGE", "language"),
    ("CONTENT SID", "content_sid"),
    ("VARIABLES", "variables"),
]


@templates_group.command("set", short_help="Register or replace a template.")
@community_option
@kind_option
@language_option
@click.option("--sid", "sid", required=True, metavar="HX...", help="The ContentSid from Twilio's console.")
def set_(slug: str, kind: str, language: str, sid: str) -> None:
    """Register (or replace) the template for a kind of message in a language."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        row = set_template(session, community, kind, language, sid, now())
        done = (
            f"{KINDS[row.kind].title} in {own_name(row.language)} for {community.slug} goes as "
            f"{row.content_sid} outside WhatsApp's 24-hour window."
        )
    echo(done)


@templates_group.command("remove", short_help="Forget a template (SMS goes instead).")
@community_option
@kind_option
@language_option
def remove(slug: str, kind: str, language: str) -> None:
    """Forget a template: that kind of message goes by SMS outside the window again."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        remove_template(session, community, kind, language)
    echo(f"Removed: {kind} in {language} for {slug} goes by SMS outside WhatsApp's window.")


@templates_group.command("list", short_help="Every template, and those still missing.")
@community_option
@click.option("--bodies", is_flag=True, help="Show the body to register for each, with its {{1}}, {{2}}...")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
def list_(slug: str, bodies: bool, as_json: bool) -> None:
    """Every kind of message in every language the community writes in, with its ContentSid
    (none: it goes by SMS outside the window) and what its variables hold."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        registered = {(t.kind, t.language): t.content_sid for t in templates_of(session, community)}
        languages = list(community.languages or ["en"])
        rows = [
            {
                "kind": kind.name,
                "language": language,
                "content_sid": registered.get((kind.name, language)),
                "variables": [f"{{{{{n}}}}} {meaning}" for n, meaning in enumerate(kind.meaning, start=1)],
                **({"body": suggested_body(kind.name, language)} if bodies or as_json else {}),
            }
            for kind in KINDS.values()
            for language in languages
        ]
    if bodies and not as_json:
        for row in rows:
            echo(f"{row['kind']} ({row['language']}): {row['content_sid'] or 'none: by SMS'}")
            echo(f"  {row['body']}")
        return
    emit(rows, COLUMNS, as_json)


@whatsapp_group.command("sender", short_help="Give the community its own WhatsApp sender.")
@community_option
@click.option("--number", help="The WhatsApp sender's number, e.g. +441632960002.")
@click.option("--sms-number", "same", is_flag=True, help="Send WhatsApp from the SMS number again.")
def sender(slug: str, number: str | None, same: bool) -> None:
    """Give the community a WhatsApp sender of its own (by default it is the SMS number)."""
    if (number is None) == (not same):
        raise click.UsageError("give either --number NUMBER or --sms-number")
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        set_sender(session, community, None if same else number)
        done = (
            f"WhatsApp for {community.slug} goes from, and is written to at, "
            f"{community.whatsapp_number or community.sms_number or 'no number yet'}"
            f"{'' if community.whatsapp_number else ' (its SMS number)'}."
        )
    echo(done)
