"""The `commonpurse` command: Flask's CLI conventions, one-line errors, exit code 2 for bad input."""
import sys
from importlib import metadata

import click
from flask.cli import FlaskGroup

from bot.errors import InvalidInput, NotFound
from bot.web.app import create_app


class CommonPurseGroup(FlaskGroup):
    """Shows a bad argument as one line on stderr and exits 2, never with a traceback.

    Commands from packages above `bot` (the scheduler's `scheduler` and `serve`) come in through
    the `commonpurse.commands` entry point group, so `bot` never imports them.
    """

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return
        for entry_point in metadata.entry_points(group="commonpurse.commands"):
            self.add_command(entry_point.load(), entry_point.name)
        self._loaded_plugin_commands = True

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            result = super().main(args, prog_name or "commonpurse", complete_var, False, **extra)
        except (click.UsageError, InvalidInput, NotFound) as exc:
            message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
            click.echo(f"commonpurse: error: {message}", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            click.echo(f"commonpurse: error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def _build() -> click.Group:
    from bot.cli import (
        budget,
        chat,
        community,
        database,
        digest,
        ideas,
        organisers,
        rounds,
        run,
        telegram,
    )

    group = CommonPurseGroup(create_app=lambda: create_app(), name="commonpurse",
                             add_default_commands=False,
                             help="Common Purse: residents decide how the community budget is spent.")
    for module in (database, community, organisers, ideas, rounds, budget, digest, chat, run,
                   telegram):
        module.register(group)
    return group


cli = _build()


def main() -> None:
    cli.main()
