"""Writing to the outbox: the only way a message leaves Common Purse."""
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from channels.messages import Address
from channels.segments import count_segments
from models import OutboxMessage


def enqueue(session: Session, *, address: Address, text: str, now: datetime,
            community_id: int | None = None, resident_id: int | None = None,
            choices=(), sender: str | None = None, idempotency_key: str | None = None,
            erase_after_send: bool = False) -> OutboxMessage:
    """Queue a message in the caller's transaction; the dispatcher sends it after commit."""
    row = OutboxMessage(
        community_id=community_id, resident_id=resident_id, channel=address.channel,
        address=address.user_id, sender=sender, body=text,
        choices=[{"label": c.label, "payload": c.payload, "request_contact": c.request_contact}
                 for c in choices] or None,
        segments=count_segments(text).segments, idempotency_key=idempotency_key,
        erase_after_send=erase_after_send, status="queued", attempts=0,
        next_attempt_at=now, created_at=now,
    )
    session.add(row)
    return row


def requeue_stuck(session: Session, now: datetime, after: timedelta = timedelta(minutes=10)) -> int:
    """Put back rows a dispatcher claimed but never finished (it crashed mid-send).

    Such a message may have reached the provider before the crash: this favours sending
    twice over never sending, and only for the rare send cut short."""
    return session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - after)
        .values(status="queued", next_attempt_at=now)
        .execution_options(synchronize_session=False)).rowcount
