"""Channel wiring: the senders and webhooks this deployment has, from its configuration."""
from collections.abc import Callable

from flask import Flask, current_app

from bot.context import get_db, now
from bot.messaging import spool
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.inbound import receive
from channels import telegram
from channels.base import OnMessage, OnReport, Sender
from channels.registry import CHANNELS
from models import utcnow


def configured_channels(app: Flask) -> dict[str, Sender]:
    """A sender for every channel configured in `app.config`.

    The console channel is never here: `commonpurse chat` prints its own replies.
    """
    senders = {name: spec.sender(app.config) for name, spec in CHANNELS.items()}
    return {name: sender for name, sender in senders.items() if sender is not None}


def register_webhooks(app: Flask, on_message: OnMessage, on_report: OnReport) -> None:
    """Every channel's inbound blueprint; each reads its settings at request time."""
    for spec in CHANNELS.values():
        if spec.blueprint is not None:
            app.register_blueprint(spec.blueprint(lambda: current_app.config, on_message, on_report))


def dispatcher_for(app: Flask) -> Dispatcher:
    """A dispatcher over every configured channel, with the app's clock and limits."""
    return Dispatcher(get_db(app), configured_channels(app), app.config.get("CLOCK", utcnow),
                      max_attempts=int(app.config["OUTBOX_MAX_ATTEMPTS"]))


def replay_spool(app: Flask) -> Callable[[], int]:
    """What replays this process's inbound spool (for the dispatcher's loop)."""
    folder = spool.folder_of(app)

    def replay() -> int:
        if not spool.waiting(folder):
            return 0
        with app.app_context():
            return spool.replay(folder, lambda message: receive(
                get_db(app), message, now(), per_minute(app), message.received_at))
    return replay


def per_minute(app: Flask) -> int:
    """Answers one sender gets a minute (the flood limit)."""
    return int(app.config.get("INBOUND_PER_MINUTE", 10))


def telegram_settings(app: Flask) -> telegram.TelegramSettings:
    return telegram.settings(app.config)
