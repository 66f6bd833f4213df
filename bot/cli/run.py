"""`commonpurse worker`: a dispatcher alone (`serve` lives with the scheduler, which it also runs)."""

import logging
import os
import signal
import threading
from types import FrameType
from typing import NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.cli.commands import summary
from bot.context import get_db
from bot.messaging.channels import dispatcher_for, inbound_work

logger = logging.getLogger(__name__)


def stop_on_sigterm() -> None:
    """SIGTERM (systemd, docker stop) ends the command as Ctrl-C does: cleanly."""

    def handler(signum: int, frame: FrameType | None) -> NoReturn:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


@click.command("worker", short_help=summary("worker"))
@with_appcontext
def worker() -> None:
    """Run a dispatcher alone; run several for more throughput."""
    db = get_db()
    db.upgrade()
    os.nice(current_app.config["WORKER_NICE"])  # the web processes on this machine come first
    stop = threading.Event()
    stop_on_sigterm()
    try:
        dispatcher_for(current_app).run_forever(
            stop, current_app.config["DISPATCH_INTERVAL"], before_pass=inbound_work(current_app)
        )
    except KeyboardInterrupt:
        stop.set()
