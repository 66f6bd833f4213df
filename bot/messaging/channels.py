"""Which channel adapters this deployment sends through, from its configuration."""
from flask import Flask

from bot.messaging.dispatcher import Channel
from channels.telegram import TelegramClient, TelegramSettings
from channels.twilio_sms import TwilioSettings, TwilioSMSChannel


def configured_channels(app: Flask) -> dict[str, Channel]:
    """Adapters for every channel configured in `app.config`.

    The console channel is never here: `commonpurse chat` prints its own replies.
    """
    config = app.config
    channels: dict[str, Channel] = {}
    if config["TWILIO_ACCOUNT_SID"] and config["TWILIO_AUTH_TOKEN"]:
        channels["sms"] = TwilioSMSChannel(TwilioSettings(
            account_sid=config["TWILIO_ACCOUNT_SID"], auth_token=config["TWILIO_AUTH_TOKEN"],
            messaging_service_sid=config["TWILIO_MESSAGING_SERVICE_SID"],
            api_url=config["TWILIO_API_URL"], public_url=config["PUBLIC_URL"],
            segments_per_second=float(config["SMS_SEGMENTS_PER_SECOND"])))
    if config["TELEGRAM_BOT_TOKEN"]:
        channels["telegram"] = TelegramClient(telegram_settings(app))
    return channels


def telegram_settings(app: Flask) -> TelegramSettings:
    config = app.config
    return TelegramSettings(
        token=config["TELEGRAM_BOT_TOKEN"], api_url=config["TELEGRAM_API_URL"],
        messages_per_second=float(config["TELEGRAM_MESSAGES_PER_SECOND"]),
        chat_messages_per_second=float(config["TELEGRAM_CHAT_MESSAGES_PER_SECOND"]))
