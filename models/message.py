"""Messages in and out: the inbound log and the transactional outbox."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.states import OutboxStatus, one_of

OUTBOX_STATUSES = tuple(s.value for s in OutboxStatus)
# Partial indexes' conditions, on both databases (a query's `sent_at >= ...` or `provider_id =
# ...` implies them, on SQLite as on PostgreSQL).
SENT_ONLY: dict[str, Any] = {f"{db}_where": text("sent_at IS NOT NULL") for db in ("postgresql", "sqlite")}
PROVIDED_ONLY: dict[str, Any] = {
    f"{db}_where": text("provider_id IS NOT NULL") for db in ("postgresql", "sqlite")
}
# A message is stored without its resident (the worker, or the turn, learns who wrote it), and
# erasure looks rows up by a resident: the index holds attributed rows only, and a webhook's
# INSERT writes no entry to it.
ATTRIBUTED_ONLY: dict[str, Any] = {
    f"{db}_where": text("resident_id IS NOT NULL") for db in ("postgresql", "sqlite")
}


class InboundLog(Base):
    """Every message we received, stored before we acknowledge it."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        UniqueConstraint("channel", "provider_message_id"),
        # how many messages a sender sent lately (the flood limit)
        Index("ix_inbound_sender_recent", "channel", "sender", "received_at"),
        # the digest's weekly counts, read off the index alone
        Index("ix_inbound_community_received", "community_id", "received_at", "channel", "resident_id"),
        Index("ix_inbound_message_resident_id", "resident_id", **ATTRIBUTED_ONLY),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str] = mapped_column(String(100))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id", ondelete="SET NULL"))
    # sender, body and raw are erased on request or after retention; the row stays for counts.
    sender: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(String(200))
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingAnswer(Base):
    """A stored inbound message whose answer a worker has still to work out (when webhooks
    store and acknowledge only: INBOUND_ANSWER=worker). Deleted in the transaction that answers
    it, so a crash leaves it here to be answered again; it holds the message as the channel
    gave it, sender and text included, only until then.

    Its id is the stored message's, and it has one index besides: every webhook writes a row
    here, and on SQLite each b-tree it touches is a page written while the others wait for the
    write lock (migration 0035). The table holds only what waits, so a lookup by community (a
    community deleted) reads it whole and cheaply."""

    __tablename__ = "pending_answer"
    # A sender's messages are answered in order: one is taken only when none of theirs is older.
    __table_args__ = (Index("ix_pending_answer_sender", "channel", "sender", "id"),)

    id: Mapped[int] = mapped_column(
        ForeignKey("inbound_message.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    channel: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(64))
    message: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A message we will send: written with the change that caused it, sent by the dispatcher."""

    __tablename__ = "outbox_message"
    # The dispatcher claims by (next_attempt_at, id) among due rows of a channel, answers before
    # held news; the digest counts what was sent in a week off the index alone. That index, and
    # delivery reports' by provider id, hold sent rows only: a row queued (a million in a
    # broadcast) or claimed writes no entry to them (a broadcast's INSERT 16 % faster).
    __table_args__ = (
        Index("ix_outbox_due", "status", "channel", "held", "next_attempt_at", "id"),
        Index(
            "ix_outbox_community_sent",
            "community_id",
            "sent_at",
            "channel",
            "segments",
            "content_sid",
            **SENT_ONLY,
        ),
        Index("ix_outbox_message_provider_id", "provider_id", **PROVIDED_ONLY),
        one_of("status", OutboxStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(64))
    sender: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str | None] = mapped_column(Text)
    choices: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # Sent as this WhatsApp template (outside the 24-hour window) with these variables; the
    # body stays for the SMS copy should WhatsApp refuse it anyway.
    content_sid: Mapped[str | None] = mapped_column(String(34))
    content_variables: Mapped[dict[str, str] | None] = mapped_column(JSON)
    segments: Mapped[int] = mapped_column(default=1)
    # Broadcasts set broadcast-id:resident-id so running one twice sends nothing twice.
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    erase_after_send: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    # News we start (not an answer to the resident's own message): it waits out the community's
    # quiet hours whenever it would go in them (held back, retried or paced into them), and
    # answers due at the same time go before it.
    held: Mapped[bool] = mapped_column(default=False, server_default=false())
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    provider_id: Mapped[str | None] = mapped_column(String(100))
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]  # when a dispatcher took it (to find sends cut short)
    sent_at: Mapped[datetime | None]
