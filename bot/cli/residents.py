"""`commonpurse residents export`: a resident's whole record as JSON, for a subject access
request."""

import click
from flask.cli import AppGroup

from bot.cli.commands import summary
from bot.context import get_db, now
from bot.domain.communities import by_slug
from bot.domain.subject_access import export_record, find_resident
from bot.text.json_text import to_json

residents_group = AppGroup("residents", help=summary("residents"))


@residents_group.command("export", short_help="A resident's whole record, as JSON (audited).")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.option("--phone", help="Their phone number, e.g. +447700900123 or 07700 900123.")
@click.option("--telegram", help="Their Telegram chat id.")
def export(slug: str, phone: str | None, telegram: str | None) -> None:
    """Print everything held about one resident, found by phone number or Telegram chat id, as
    JSON: identities, language, membership and consent, ideas, ballots and receipts, messages
    both ways (within retention) and inbox threads. The export is written to the audit trail."""
    if (phone is None) == (telegram is None):
        raise click.UsageError("give --phone or --telegram (one of them)")
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        record = export_record(session, community, find_resident(session, community, phone, telegram), now())
    click.echo(to_json(record))  # control and bidi characters escaped, as JSON reads them back
