"""Which channel adapters this deployment sends through, from its configuration."""
from flask import Flask

from bot.dispatcher import Channel


def configured_channels(app: Flask) -> dict[str, Channel]:
    """Adapters for every channel configured in `app.config`.

    The console channel is never here: `commonpurse chat` sends its own replies.
    SMS (Twilio) and Telegram adapters are added here when they are configured.
    """
    return {}
