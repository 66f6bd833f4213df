"""`commonpurse chat`: talk to the bot as a resident, through the real engine, outbox and dispatcher."""

import sys
from typing import TextIO

import click
from flask.cli import with_appcontext

from bot.cli.commands import summary
from bot.cli.output import echo, inert
from bot.context import clock, get_db, now
from bot.domain.communities import by_slug
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.inbound import receive
from channels import console
from channels.messages import Address
from channels.phone import normalise_phone


@click.command("chat", short_help=summary("chat"))
@click.option("--community", "slug", required=True, help="Community slug, e.g. demo.")
@click.option("--as", "phone", required=True, help="The resident's phone number.")
@with_appcontext
def chat(slug: str, phone: str) -> None:
    """Talk to the bot in the terminal, one message per line (piped input works too)."""
    number = normalise_phone(phone)
    if number is None:
        raise click.BadParameter(f"{phone!r} is not a phone number", param_hint="--as")
    db = get_db()
    db.upgrade()
    with db.transaction() as session:
        name = by_slug(session, slug).name
    stream = InertStream(sys.stdout)
    # ConsoleChannel is annotated TextIO but only writes and flushes, which InertStream does.
    channel = console.ConsoleChannel(stream)  # type: ignore[arg-type]
    dispatcher = Dispatcher(db, {console.NAME: channel}, clock())
    address = Address(console.NAME, number)
    interactive = sys.stdin.isatty()
    if interactive:
        echo(f"Texting {name} as {number}. Ctrl-D to leave.\n", multiline=True)
    while True:
        try:
            line = input("you> ") if interactive else sys.stdin.readline()
        except EOFError:
            break
        if not interactive and not line:
            break
        receive(db, console.inbound(number, line.rstrip("\r\n"), slug), now())
        while dispatcher.run_once(address):
            pass
        if stream.reader_gone:
            # Stop before the next line: nobody would read its replies (`chat | head`).
            raise BrokenPipeError
        click.echo("")


class InertStream:
    """A stream for the bot's replies, which quote what residents wrote (idea texts on a
    ballot): control characters are shown, not obeyed.

    A reader that went away (`chat | head`) is noted in `reader_gone`, not raised: the
    dispatcher would log a send error with a traceback and retry the message."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                self.stream.write(inert(text, multiline=True))
            except BrokenPipeError:
                self.reader_gone = True
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self.reader_gone = True
