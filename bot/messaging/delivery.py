"""Delivery reports from providers: they update the outbox row they are about."""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.outbox import resend_outside_window
from bot.domain.residents import mark_unreachable
from channels.messages import Address, DeliveryReport
from channels.registry import spec
from models import OutboxMessage
from models.states import OutboxStatus

logger = logging.getLogger(__name__)

# A report never moves a row backwards (a late "sent" after "delivered").
RANK: dict[str, int] = {  # keyed by OutboxStatus members, read with the text rows and reports hold
    OutboxStatus.QUEUED: 0,
    OutboxStatus.SENDING: 1,
    OutboxStatus.SENT: 2,
    OutboxStatus.DELIVERED: 3,
    OutboxStatus.UNDELIVERED: 3,
    OutboxStatus.FAILED: 3,
    OutboxStatus.CANCELLED: 3,
}
# What a report may say; the provider's text is looked up as is (a StrEnum member equals its text).
KNOWN = {OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.UNDELIVERED, OutboxStatus.FAILED}


def record_report(session: Session, report: DeliveryReport, now: datetime) -> bool:
    """Apply a delivery report; False when no row of ours has that provider id."""
    row = session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.channel == report.channel, OutboxMessage.provider_id == report.provider_id
        )
    )
    if row is None:
        logger.info("delivery report for unknown %s message %s", report.channel, report.provider_id)
        return False
    if report.status not in KNOWN or RANK[report.status] < RANK.get(row.status, 0):
        return True
    row.status = OutboxStatus(report.status)
    if report.error_code:
        row.error_code = report.error_code
    # What a provider's error code means is its adapter's business.
    channel = spec(report.channel)
    reason = channel.unreachable.get(report.error_code or "")
    if reason and row.address and row.community_id:
        mark_unreachable(session, row.community_id, Address(row.channel, row.address), reason, now)
    if report.error_code in channel.outside_window:
        # Refused after it was accepted (WhatsApp says 63016 in the report): not a dead address.
        resend_outside_window(session, row, now)
    return True
