"""Channel wiring: the senders and webhooks this deployment has, from its configuration."""

from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, Flask, current_app

from bot.context import get_db, now
from bot.messaging import pace, spool
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.inbound import Receipt, keep, receive
from bot.messaging.pending import answer_pending
from channels import telegram
from channels.base import OnCall, OnMessage, OnReport, Sender
from channels.messages import InboundMessage
from channels.registry import CHANNELS
from models import utcnow


def configured_channels(app: Flask) -> dict[str, Sender]:
    """A sender for every channel configured in `app.config`, each paced in the database, so
    every worker keeps one cap per sender with the others.

    The console channel is never here: `commonpurse chat` prints its own replies.
    """
    pacing = pace.shared(get_db(app))
    senders = {name: spec.sender(app.config, pacing) for name, spec in CHANNELS.items()}
    return {name: sender for name, sender in senders.items() if sender is not None}


def register_webhooks(
    app: Flask, on_message: OnMessage, on_report: OnReport, on_call: OnCall | None = None
) -> list[Blueprint]:
    """Every channel's inbound blueprint (a phone line's answering calls with `on_call`); each
    reads its settings at request time. Returns them (providers post no CSRF token: they carry
    their own proof)."""
    blueprints = [
        spec.blueprint(lambda: current_app.config, on_message, on_report)
        for spec in CHANNELS.values()
        if spec.blueprint is not None
    ]
    if on_call is not None:
        blueprints += [
            spec.call_blueprint(lambda: current_app.config, on_call)
            for spec in CHANNELS.values()
            if spec.call_blueprint is not None
        ]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return blueprints


def dispatcher_for(app: Flask) -> Dispatcher:
    """A dispatcher over every configured channel, with the app's clock and limits."""
    return Dispatcher(
        get_db(app),
        configured_channels(app),
        app.config.get("CLOCK", utcnow),
        max_attempts=int(app.config["OUTBOX_MAX_ATTEMPTS"]),
    )


def take(app: Flask, message: InboundMessage, received_at: datetime | None = None) -> Receipt:
    """Store `message` and answer it, or leave the answer to a worker (INBOUND_ANSWER)."""
    if app.config["INBOUND_ANSWER"] == "worker":
        return keep(get_db(app), message, received_at or now())
    return receive(get_db(app), message, now(), per_minute(app), received_at)


def inbound_work(app: Flask) -> Callable[[], int]:
    """What a worker does with inbound messages before each dispatcher pass: replay this
    process's spool, then answer messages waiting for a worker. Returns how many it took."""
    folder = spool.folder_of(app)
    clock = app.config.get("CLOCK", utcnow)

    def work() -> int:
        with app.app_context():
            replayed = 0
            if spool.waiting(folder):
                replayed = spool.replay(folder, lambda message: take(app, message, message.received_at))
            try:
                db = get_db(app)
                share = lock_share(app) if db.engine.dialect.name == "sqlite" else 1.0
                return replayed + answer_pending(db, clock, per_minute(app), lock_share=share)
            except Exception as exc:
                if not spool.is_outage(exc):
                    raise
                return replayed  # the database is away: the answers wait for it

    return work


def lock_share(app: Flask) -> float:
    """The most of SQLite's write lock a worker holds while webhooks want it (WORKER_LOCK_SHARE)."""
    return float(app.config["WORKER_LOCK_SHARE"])


def per_minute(app: Flask) -> int:
    """Answers one sender gets a minute (the flood limit)."""
    return int(app.config.get("INBOUND_PER_MINUTE", 10))


def telegram_settings(app: Flask) -> telegram.TelegramSettings:
    return telegram.settings(app.config)
