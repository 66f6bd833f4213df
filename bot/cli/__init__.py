"""The `commonpurse` command: Flask's CLI conventions, one-line errors, exit code 2 for bad input."""

import os
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import Any, NoReturn

import click
from flask.cli import FlaskGroup
from sqlalchemy.exc import DataError, DBAPIError, OperationalError, ProgrammingError

from bot.cli.output import inert
from bot.domain import audit as audit_trail
from bot.errors import InvalidInput, NotFound
from bot.web.app import create_app

# Flask's own options: another app (--app), another settings file (--env-file), the debugger
# (--debug). An organiser needs none of them; settings are COMMONPURSE_* variables.
FLASK_OPTIONS = {"app", "env_file", "debug", "version"}
# What a process killed by SIGPIPE exits with (128 + 13), as `cat` and `grep` do under `| head`.
READER_GONE = 141


class CommonPurseGroup(FlaskGroup):
    """Shows a bad argument as one line on stderr and exits 2, never with a traceback.

    Commands from packages above `bot` (the scheduler's `scheduler` and `serve`) come in through
    the `commonpurse.commands` entry point group, so `bot` never imports them.
    """

    def __init__(self, **extra: Any) -> None:
        # No .env files either: an undocumented file in the working folder would quietly
        # switch the database.
        super().__init__(add_default_commands=False, add_version_option=False, load_dotenv=False, **extra)
        self.params = [p for p in self.params if p.name not in FLASK_OPTIONS] + [_version_option()]

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return
        for entry_point in metadata.entry_points(group="commonpurse.commands"):
            self.add_command(entry_point.load(), entry_point.name)
        self._loaded_plugin_commands = True

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader went away (`commonpurse chat | head`): stop quietly, not with
            # click's exit code 1, which `round recount` uses for "differs".
            _drop_what_is_left_for_stdout()
            ctx.exit(READER_GONE)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        for arg in args:  # every argument of every command passes through here first
            _check_argument(arg, ctx)
        _refuse_repeats(self, ctx, args)
        return super().parse_args(ctx, args)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> NoReturn:
        try:
            # What a command changes is recorded in the audit trail as whoever ran it.
            with audit_trail.acting_as(os.environ.get("COMMONPURSE_ORGANISER") or "cli"):
                result = super().main(args, prog_name or "commonpurse", complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            # `commonpurse` alone: the help, whole, not squeezed into one error line.
            click.echo(exc.ctx.get_help())
            sys.exit(0)
        except (click.UsageError, InvalidInput, NotFound) as exc:
            message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
            _fail(message, 2)
        except OverflowError as exc:
            # A number too large for a conversion (a date, a database integer) that no check
            # caught: say so rather than show a traceback.
            _fail(f"a value is out of range: {exc}", 2)
        except (OperationalError, ProgrammingError) as exc:
            if not _no_tables(exc):
                raise
            _fail("the database has no tables yet: run `commonpurse db upgrade` first", 1)
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


def _refuse_repeats(group: click.Group, ctx: click.Context, args: list[str]) -> None:
    """An option that takes one value, given twice: click would keep the last silently
    (`budget void --spend 9 --spend 10` voided 10 alone), so say so instead."""
    command: click.Command | None = group
    words = list(args)
    while isinstance(command, click.Group) and words:  # down to the command the words name
        word = words[0]
        if word.startswith("-"):
            words.pop(0)
            continue
        command = command.commands.get(word) if word in command.commands else None
        words.pop(0)
        if command is None:
            return
    if command is None or isinstance(command, click.Group):
        return
    single = {
        name
        for param in command.params
        if isinstance(param, click.Option) and not param.multiple and not param.count and not param.is_flag
        for name in param.opts + param.secondary_opts
    }
    seen = set()
    for word in words:
        if word == "--":
            break
        name = word.split("=", 1)[0]
        if name in single:
            if name in seen:
                raise click.UsageError(f"{name} was given twice: give it once", ctx)
            seen.add(name)


def _version_option() -> click.Option:
    """`--version`: this program's version, not Python's, Flask's and Werkzeug's."""

    def show(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value and not ctx.resilient_parsing:
            click.echo(f"commonpurse {_version()}")
            ctx.exit()

    return click.Option(
        ["--version"],
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=show,
        help="Show the version and exit.",
    )


def _version() -> str:
    try:
        return metadata.version("commonpurse")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _drop_what_is_left_for_stdout() -> None:
    """Point stdout at /dev/null, so what is still buffered for a reader who left is dropped
    at exit instead of raising again ("Exception ignored ... BrokenPipeError")."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (tests capture output)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _fail(message: str, code: int) -> NoReturn:
    """Print one line, which no text inside it can break up or turn into terminal commands."""
    line = inert(message.replace("\n", " "))
    click.echo(f"commonpurse: error: {line}", err=True)
    sys.exit(code)


def _no_tables(exc: DBAPIError) -> bool:
    """Whether the database was never migrated (SQLite's "no such table", PostgreSQL's 42P01)."""
    return "no such table" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) == "42P01"


def _first_line(exc: BaseException | None) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _build() -> click.Group:
    from bot.cli import (
        audit,
        backup,
        budget,
        chat,
        community,
        database,
        digest,
        export,
        ideas,
        organisers,
        projects,
        rounds,
        run,
        telegram,
        verify,
        whatsapp,
    )

    group = CommonPurseGroup(
        create_app=lambda: create_app(),
        name="commonpurse",
        help="Common Purse: residents decide how the community budget is spent.",
    )
    for module in (
        database,
        backup,
        community,
        organisers,
        ideas,
        rounds,
        budget,
        projects,
        digest,
        export,
        audit,
        chat,
        run,
        telegram,
        whatsapp,
        verify,
    ):
        module.register(group)
    return group


cli = _build()


def main() -> None:
    cli.main()
