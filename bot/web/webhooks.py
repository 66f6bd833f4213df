"""The provider webhooks, wired to our inbound path and delivery reports."""
from flask import Flask

from bot.context import get_db, now
from bot.messaging.channels import register_webhooks
from bot.messaging.delivery import record_report
from bot.messaging.inbound import receive
from channels.messages import DeliveryReport, InboundMessage


def _receive(message: InboundMessage):
    return receive(get_db(), message, now())


def _report(report: DeliveryReport) -> None:
    with get_db().transaction() as session:
        record_report(session, report)


def init_app(app: Flask) -> None:
    register_webhooks(app, _receive, _report)
