"""The `commonpurse` command: Flask's CLI conventions, one-line errors, exit code 2 for bad input."""
import sys
from importlib import metadata

import click
from flask.cli import FlaskGroup
from sqlalchemy.exc import DataError

from bot.cli.output import inert
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

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        for arg in args:  # every argument of every command passes through here first
            _check_argument(arg, ctx)
        return super().parse_args(ctx, args)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            result = super().main(args, prog_name or "commonpurse", complete_var, False, **extra)
        except (click.UsageError, InvalidInput, NotFound) as exc:
            message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
            _fail(message, 2)
        except OverflowError as exc:
            # A number too large for a conversion (a date, a database integer) that no check
            # caught: say so rather than show a traceback.
            _fail(f"a value is out of range: {exc}", 2)
        except DataError as exc:
            # A value our checks let through but the database cannot hold (so a check is
            # missing): still the organiser's input, so say what the database said.
            _fail(f"the database refused a value: {_first_line(exc.orig)}", 2)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def _check_argument(arg: str, ctx: click.Context) -> None:
    """Refuse what no command can use: NUL (PostgreSQL text cannot hold it), and bytes that
    are not UTF-8 (Python turns them into lone surrogates, which no text column can store)."""
    if "\x00" in arg:
        raise click.UsageError(f"{arg!r}: arguments cannot contain NUL characters", ctx)
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        raise click.UsageError(f"{arg!r} is not UTF-8 text", ctx) from None


def _fail(message: str, code: int):
    """Print one line, which no text inside it can break up or turn into terminal commands."""
    line = inert(message.replace("\n", " "))
    click.echo(f"commonpurse: error: {line}", err=True)
    sys.exit(code)


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


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
