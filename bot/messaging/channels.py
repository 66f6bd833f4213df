"""Channel wiring: the senders and webhooks this deployment has, from its configuration."""
from flask import Flask, current_app

from channels import telegram
from channels.base import OnMessage, OnReport, Sender
from channels.registry import CHANNELS


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


def telegram_settings(app: Flask) -> telegram.TelegramSettings:
    return telegram.settings(app.config)
