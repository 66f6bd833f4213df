"""Retention: old message texts and addresses are erased; the rows stay, so counts stay. That
holds for the inbox too: a thread keeps its messages' times and directions, not their words.
The state of phone calls goes once they are over: it is needed only while the call lasts."""

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from models import Call, InboundLog, InboxMessage, OutboxMessage, rowcount
from models.states import OutboxStatus

CALL_KEPT = timedelta(days=1)
ERASED = ""  # an inbox message's words after the retention period (the column holds text)


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
    inbox = rowcount(
        session.execute(
            update(InboxMessage)
            .where(InboxMessage.at < cutoff, InboxMessage.text != ERASED)
            .values(text=ERASED)
            .execution_options(synchronize_session=False)
        )
    )
    # A call lasts minutes; one not heard from for a day has ended, reported or not.
    calls = rowcount(
        session.execute(
            delete(Call).where(Call.updated_at < now - CALL_KEPT).execution_options(synchronize_session=False)
        )
    )
    return {"inbound": inbound, "outbound": outbound, "inbox": inbox, "calls": calls}
