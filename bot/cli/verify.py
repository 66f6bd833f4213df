"""`commonpurse verify FILE.pb`: count a published ballot file again, from the file alone.

No database, no account and no configuration: a resident, a councillor or a local paper downloads
the file from a round's public page and runs this (or pabutools directly, as the README shows)."""

import hashlib
import sys

import click

from bot.cli.commands import summary
from bot.cli.output import echo
from bot.cli.rounds import _read
from bot.domain.pabulib import recount_pb
from bot.text.money import format_pence


@click.command("verify", short_help=summary("verify"))
@click.argument("path", type=click.Path(dir_okay=False))
def verify(path: str) -> None:
    """Recount a round's published ballots (.pb) and compare with the result the file publishes:
    exit code 0 if the winners are the same, 1 if not, 2 if the file cannot be counted."""
    text = _read(path)
    recount = recount_pb(text)
    echo(f"File: {path} (SHA-256 {hashlib.sha256(text.encode('utf-8')).hexdigest()})")
    if recount.description:
        echo(f"Round: {recount.description}")
    echo(
        f"Counted {recount.ballots} ballot{'' if recount.ballots == 1 else 's'} by {recount.rule}, "
        f"budget {format_pence(recount.budget_pence)}"
    )
    echo(f"Winners recounted: {_numbers(recount.winners)}")
    echo(f"Winners published: {_numbers(recount.published)}")
    if recount.same:
        echo("MATCH: the recount gives the published winners.")
        return
    echo("DIFFERS: the recount does not give the published winners.", err=True)
    sys.exit(1)


def _numbers(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers) or "none"
