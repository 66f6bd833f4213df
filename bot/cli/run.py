"""`commonpurse serve` (web + dispatcher in one process) and `commonpurse worker` (dispatcher)."""
import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import make_server

from bot.adapters import configured_channels
from bot.clock import clock, now
from bot.db import get_db
from bot.demo import seed_demo
from bot.dispatcher import Dispatcher

logger = logging.getLogger(__name__)


def _dispatcher() -> Dispatcher:
    app = current_app
    return Dispatcher(get_db(), configured_channels(app), clock(),
                      max_attempts=app.config["OUTBOX_MAX_ATTEMPTS"])


def _stop_on_sigterm() -> None:
    def handler(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)


@click.command("serve")
@click.option("--demo", is_flag=True, help="Create the demo community if it is not there.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@with_appcontext
def serve(demo: bool, host: str, port: int) -> None:
    """Run the web app and the dispatcher in one process (SQLite-friendly)."""
    app = current_app._get_current_object()
    db = get_db()
    db.upgrade()
    if demo:
        with db.transaction() as session:
            seed_demo(session, now())
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    stop = threading.Event()
    worker = threading.Thread(target=_dispatcher().run_forever,
                              args=(stop, app.config["DISPATCH_INTERVAL"]), daemon=True)
    worker.start()
    click.echo(f"Common Purse on http://{host}:{server.port}  (Ctrl-C to stop)")
    if demo:
        click.echo("Try the demo: commonpurse chat --community demo --as +447700900123")
    _stop_on_sigterm()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        worker.join(timeout=10)


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
    cli.add_command(serve)
    cli.add_command(worker)
