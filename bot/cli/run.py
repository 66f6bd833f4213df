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


AUTOGROUP = "/proc/self/autogroup"


def stand_back(niceness: int) -> None:
    """Lower this process's CPU priority by `niceness`, below the web processes beside it.

    On Linux with autogroup scheduling (the default on most distributions), niceness counts only
    among the processes of one session: a worker that leads a session of its own (as a process
    manager, `setsid` or a new terminal starts it) gets as much CPU as the web processes' whole
    session, whatever its niceness. Such a worker lowers its session's priority too (it is alone
    in it). Under systemd, whose services are control groups, give the unit `CPUWeight=` as well
    (README, Running in production)."""
    os.nice(niceness)
    if not niceness or os.getsid(0) != os.getpid():
        return
    try:
        with open(AUTOGROUP, "w") as handle:
            handle.write(str(niceness))
    except OSError:  # not Linux, or autogroup scheduling is off
        pass


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
    stand_back(current_app.config["WORKER_NICE"])  # the web processes on this machine come first
    stop = threading.Event()
    stop_on_sigterm()
    try:
        dispatcher_for(current_app).run_forever(
            stop, current_app.config["DISPATCH_INTERVAL"], before_pass=inbound_work(current_app)
        )
    except KeyboardInterrupt:
        stop.set()
