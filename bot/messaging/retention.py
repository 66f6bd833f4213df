"""Retention: old message texts and addresses are erased; the rows stay, so counts stay."""

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from models import InboundLog, OutboxMessage, rowcount
from models.states import OutboxStatus


def erase_old_messages(session: Session, now: datetime, days: int) -> dict[str, int]:
    cutoff = now - timedelta(days=days)
    inbound = rowcount(
        session.execute(
            update(InboundLog)
            .where(
                InboundLog.received_at < cutoff,
                (InboundLog.body.is_not(None)) | (InboundLog.sender.is_not(None)),
            )
            .values(body=None, sender=None, raw=None)
            .execution_options(synchronize_session=False)
        )
    )
    outbound = rowcount(
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.created_at < cutoff,
                OutboxMessage.status.not_in((OutboxStatus.QUEUED, OutboxStatus.SENDING)),
                (OutboxMessage.body.is_not(None)) | (OutboxMessage.address.is_not(None)),
            )
            .values(body=None, address=None, choices=None, content_variables=None)
            .execution_options(synchronize_session=False)
        )
    )
    return {"inbound": inbound, "outbound": outbound}
