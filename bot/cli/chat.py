"""`commonpurse chat`: talk to the bot as a resident, through the real engine, outbox and dispatcher."""
import sys

import click
from flask.cli import with_appcontext

from bot.context import clock, get_db, now
from bot.domain.communities import by_slug
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.inbound import receive
from channels import console
from channels.messages import Address
from channels.phone import normalise_phone


@click.command("chat")
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
    dispatcher = Dispatcher(db, {console.NAME: console.ConsoleChannel(sys.stdout)}, clock())
    address = Address(console.NAME, number)
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo(f"Texting {name} as {number}. Ctrl-D to leave.\n")
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
        click.echo("")


def register(cli: click.Group) -> None:
    cli.add_command(chat)
