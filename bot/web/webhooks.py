"""The provider webhooks, wired to our inbound path and delivery reports.

While the database cannot be reached, a verified message is spooled to local disk and the
provider gets its 200; the spool is replayed, in order, before the next message is handled."""

import logging

from flask import Blueprint, Flask, current_app

from bot.context import get_db, now
from bot.messaging import spool
from bot.messaging.calls import answer_call
from bot.messaging.channels import register_webhooks, take
from bot.messaging.delivery import record_report
from channels.calls import CallEvent, CallPage
from channels.messages import DeliveryReport, InboundMessage
from channels.phone import mask

logger = logging.getLogger(__name__)


# Spooled messages one webhook replays before its own, so no answer waits long; a worker on
# the same machine replays the rest.
REPLAY_PER_REQUEST = 20


def _store(message: InboundMessage):
    return take(current_app, message)


def _store_spooled(message: InboundMessage):
    return take(current_app, message, message.received_at)


def _receive(message: InboundMessage):
    folder = spool.folder_of(current_app)
    try:
        if spool.waiting(folder):  # older messages first, so conversations keep their order
            spool.replay(folder, _store_spooled, limit=REPLAY_PER_REQUEST)
            if spool.waiting(folder):
                return _spool(folder, message)
        return _store(message)
    except Exception as exc:
        if not spool.is_outage(exc):
            raise
        return _spool(folder, message)


def _spool(folder: str, message: InboundMessage) -> None:
    path = spool.write(folder, message)
    logger.warning(
        "database unavailable: %s message %s from %s spooled as %s",
        message.address.channel,
        message.provider_message_id,
        mask(message.address.user_id),
        path.name,
    )


def _report(report: DeliveryReport) -> None:
    try:
        with get_db().transaction() as session:
            record_report(session, report, now())
    except Exception as exc:
        if not spool.is_outage(exc):
            raise
        # A lost report only leaves its row at "sent": not worth a 5xx to the provider.
        logger.warning(
            "database unavailable: %s delivery report %s dropped", report.channel, report.provider_id
        )


def _call(event: CallEvent) -> CallPage | None:
    """A phone call's request, answered at once with its next page (a call cannot wait for a
    spool: while the database is away the caller hears nothing and the call ends)."""
    return answer_call(get_db(), event, now())


def init_app(app: Flask) -> list[Blueprint]:
    """Register every channel's webhook; returns their blueprints."""
    return register_webhooks(app, _receive, _report, _call)
