"""The provider webhooks, wired to our inbound path and delivery reports."""
from flask import Flask, current_app

from bot.context import get_db, now
from bot.messaging.delivery import record_report
from bot.messaging.inbound import receive
from channels import telegram, twilio_sms
from channels.messages import DeliveryReport, InboundMessage


def _receive(message: InboundMessage):
    return receive(get_db(), message, now())


def _report(report: DeliveryReport) -> None:
    with get_db().transaction() as session:
        record_report(session, report)


def init_app(app: Flask) -> None:
    app.register_blueprint(twilio_sms.webhook_blueprint(
        auth_token=lambda: current_app.config["TWILIO_AUTH_TOKEN"],
        public_url=lambda: current_app.config["PUBLIC_URL"],
        on_message=_receive, on_report=_report))
    app.register_blueprint(telegram.webhook_blueprint(
        secret=lambda: current_app.config["TELEGRAM_WEBHOOK_SECRET"], on_message=_receive))
