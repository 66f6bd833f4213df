"""`commonpurse audit`: who changed what in a community's money, ideas and rounds."""

import click
from flask.cli import with_appcontext

from bot.cli.output import emit
from bot.context import get_db
from bot.domain import chain
from bot.domain.audit import entries
from bot.domain.communities import by_slug

COLUMNS = [("WHEN (UTC)", "at"), ("WHO", "actor"), ("WHAT", "subject"), ("CHANGE", "action")]


@click.group("audit", invoke_without_command=True, short_help="Organisers' changes, and checking the record.")
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
@with_appcontext
def verify_record(slug: str) -> None:
    """Walk the community's tamper-evident record (every audit and ledger entry, hash-chained)
    and name the first entry changed, removed or put in outside it: exit code 1 if there is one."""
    with get_db().transaction() as session:
        checked = chain.verify(session, by_slug(session, slug))
    if checked.problem is not None:
        click.echo(f"The record is NOT intact: {checked.problem}.", err=True)
        click.echo(f"The first {checked.entries} entries are intact, up to {checked.head}.", err=True)
        raise SystemExit(1)
    click.echo(f"The record is intact: {checked.entries} entries, the last link {checked.head}.")


def register(cli: click.Group) -> None:
    cli.add_command(audit)
