"""Outbox rows queued and read back directly, for tests of the dispatcher."""

from bot.domain.outbox import enqueue
from channels.messages import Address
from models import OutboxMessage


def queue(db, clock, text="hello", channel="console", user="+447700900123", **fields):
    with db.transaction() as session:
        row = enqueue(session, address=Address(channel, user), text=text, now=clock(), **fields)
        session.flush()
        return row.id


def outbox_row(db, row_id):
    with db.transaction() as session:
        return session.get(OutboxMessage, row_id)
