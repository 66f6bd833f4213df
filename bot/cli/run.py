"""`commonpurse worker`: a dispatcher alone (`serve` lives with the scheduler, which it also runs)."""
import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.context import clock, get_db
from bot.messaging.channels import configured_channels
from bot.messaging.dispatcher import Dispatcher

logger = logging.getLogger(__name__)


def _dispatcher() -> Dispatcher:
    app = current_app
    return Dispatcher(get_db(), configured_channels(app), clock(),
                      max_attempts=app.config["OUTBOX_MAX_ATTEMPTS"])


def _stop_on_sigterm() -> None:
    def handler(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)


@click.command("worker")
@with_appcontext
def worker() -> None:
    """Run a dispatcher alone; run several for more throughput."""
    db = get_db()
    db.upgrade()
    stop = threading.Event()
    _stop_on_sigterm()
    try:
        _dispatcher().run_forever(stop, current_app.config["DISPATCH_INTERVAL"])
    except KeyboardInterrupt:
        stop.set()


def register(cli: click.Group) -> None:
    cli.add_command(worker)
