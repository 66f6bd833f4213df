"""`commonpurse export 360giving`: a community's grants as 360Giving open data."""

from pathlib import Path

import click
from flask.cli import AppGroup

from bot.cli.commands import summary
from bot.cli.output import echo, plural
from bot.context import get_db
from bot.domain import grant_data
from bot.domain.communities import by_slug
from bot.text.json_text import to_json

export_group = AppGroup("export", help=summary("export"))


@export_group.command("360giving", short_help="Write the grants as 360Giving JSON or CSV.")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--to", "--output", "output", type=click.Path(dir_okay=False), help="A file (default: stdout).")
def export_360giving(slug: str, fmt: str, output: str | None) -> None:
    """Write the community's grants (its allocations to funded projects, with the ledger's
    amounts) as a 360Giving data package (JSON) or sheet (CSV): what its public page publishes
    at /c/SLUG/360giving.json. Allocations left out (no recipient recorded yet) go to stderr."""
    with get_db().transaction() as session:
        done = grant_data.published(session, by_slug(session, slug))
    text = to_json(done.package) + "\n" if fmt == "json" else grant_data.as_csv(done.package)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:  # no such folder, no permission, disk full
            raise click.BadParameter(f"cannot write {output!r}: {exc.strerror}", param_hint="--to") from None
        echo(f"Wrote {plural(len(done.package['grants']), 'grant')} to {output}.")
    else:
        echo(text, multiline=True, nl=False)
    for reason in done.left_out:
        echo(f"Left out: {reason}", err=True)
