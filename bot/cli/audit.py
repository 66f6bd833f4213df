"""`commonpurse audit`: who changed what in a community's money, ideas and rounds."""

import click
from flask.cli import with_appcontext

from bot.cli.commands import summary
from bot.cli.output import emit
from bot.context import get_db
from bot.domain import chain
from bot.domain.audit import entries
from bot.domain.communities import by_slug

COLUMNS = [("WHEN (UTC)", "at"), ("WHO", "actor"), ("WHAT", "subject"), ("CHANGE", "action")]


@click.group("audit", invoke_without_command=True, short_help=summary("audit"))
@click.option("--community", "slug", help="Community slug.")
@click.option("--limit", type=click.IntRange(1, 100_000), help="Only the newest entries.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@with_appcontext
def audit(ctx: click.Context, slug: str | None, limit: int | None, as_json: bool) -> None:
    """List organisers' changes to money, ideas and rounds, oldest first (`audit --community X`);
    `audit verify --community X` checks that nothing in the record was changed since."""
    if ctx.invoked_subcommand is not None:
        return
    if slug is None:
        raise click.UsageError("Missing option '--community'.")
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


@audit.command("verify", short_help="Check the record: exit 1 naming what was changed.")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.option(
    "--seal", help="A seal published earlier (public page, digest): check it is part of the record."
)
@with_appcontext
def verify_record(slug: str, seal: str | None) -> None:
    """Walk the community's tamper-evident record (every audit and ledger entry, hash-chained)
    and name the first entry changed, removed or put in outside it: exit code 1 if there is one,
    or if a seal given with --seal is not one of the record's."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        checked = chain.verify(session, community)
        found = chain.sealed_at(session, community, seal.strip().lower()) if seal else None
    if checked.problem is not None:
        click.echo(f"The record is NOT intact: {checked.problem}.", err=True)
        click.echo(f"The first {checked.entries} entries are intact, up to seal {checked.head}.", err=True)
        raise SystemExit(1)
    entries = f"{checked.entries} {'entry' if checked.entries == 1 else 'entries'}"
    click.echo(f"The record is intact: {entries}, the latest seal {checked.head}.")
    if seal:
        if found is None or found > checked.entries:
            click.echo(f"The seal {seal} is NOT part of this record: the past was rewritten since.", err=True)
            raise SystemExit(1)
        click.echo(f"The seal {seal} is entry {found} of the record: nothing before it has changed.")
