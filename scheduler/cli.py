"""`commonpurse scheduler` and `commonpurse serve` (web, dispatcher and scheduler in one process).

Registered through the `commonpurse.commands` entry point, so `bot` never imports `scheduler`.
`commonpurse --help` loads this module to list the two commands, so what they run is imported
when they run.
"""

import logging
import signal
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext

logger = logging.getLogger(__name__)


@click.command("scheduler", short_help="Run the scheduler: rounds on time, digests.")
@click.option("--wait", is_flag=True, help="If another scheduler runs, wait to take over from it.")
@with_appcontext
def scheduler_command(wait: bool) -> None:
    """Run the scheduler: rounds open, remind and close on time; digests; retention."""
    from bot.context import get_db, now
    from scheduler import lease
    from scheduler.service import prepare

    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy's, typed as Flask
    db = get_db()
    db.upgrade()
    holder = lease.new_holder()
    before = lease.current(db)
    while lease.acquire(db, holder, now()) is None:
        other = lease.current(db)
        if other is None:
            continue  # the other scheduler stopped meanwhile: take the lease now
        if not wait:
            raise click.ClickException(
                f"another scheduler ({other.holder}) is running against this database, its lease "
                f"good until {other.expires_at:%H:%M:%S} UTC; use --wait to take over when it stops"
            )
        time.sleep(10)
    if before is not None and before.expires_at > now() and lease.gone(before.holder):
        click.echo(f"Took over the lease of a scheduler that is gone ({before.holder}).")
    scheduler = prepare(app, holder, blocking=True)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    click.echo(f"Scheduler running ({holder}). Ctrl-C to stop.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        lease.release(db, holder)


@click.command("serve", short_help="Run web, dispatcher and scheduler in one process.")
@click.option("--demo", is_flag=True, help="Create the demo community if it is not there.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@with_appcontext
def serve(demo: bool, host: str, port: int) -> None:
    """Run the web app, a dispatcher and the scheduler in one process (SQLite-friendly)."""
    from werkzeug.serving import make_server

    from bot.cli.run import stop_on_sigterm
    from bot.context import get_db, now
    from bot.domain.demo import seed_demo
    from bot.messaging.channels import dispatcher_for, inbound_work
    from bot.web.app import add_web
    from scheduler import lease
    from scheduler.service import prepare

    # A command's app has no pages: give it them (the same app, so the same settings).
    app = add_web(current_app._get_current_object())  # type: ignore[attr-defined]  # as in scheduler_command
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
    worker = threading.Thread(
        target=dispatcher_for(app).run_forever,
        args=(stop, app.config["DISPATCH_INTERVAL"], inbound_work(app)),
        daemon=True,
    )
    worker.start()
    holder = lease.new_holder()
    scheduler = None
    if lease.acquire(db, holder, now()) is not None:
        scheduler = prepare(app, holder, blocking=False)
        scheduler.start()
    else:
        logger.warning("another scheduler runs against this database: serving without one")
    click.echo(f"Common Purse on http://{host}:{server.port}  (Ctrl-C to stop)")
    if demo:
        click.echo("Try the demo: commonpurse chat --community demo --as +447700900123")

    stop_on_sigterm()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
            lease.release(db, holder)
        worker.join(timeout=10)
