"""Residents' messages the bot could not place, one thread per resident across their channels,
and the organisers' replies to them."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.states import Direction, ThreadStatus, one_of


class InboxThread(Base):
    __tablename__ = "inbox_thread"
    __table_args__ = (
        UniqueConstraint("resident_id"),
        Index("ix_inbox_thread_community_last", "community_id", "last_at"),
        one_of("status", ThreadStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default=ThreadStatus.OPEN)
    label: Mapped[str | None] = mapped_column(String(60))
    last_at: Mapped[datetime] = mapped_column(default=utcnow)  # the latest message either way
    last_in_at: Mapped[datetime | None]  # the resident's latest
    answered_at: Mapped[datetime | None]  # an organiser's latest reply
    waiting: Mapped[bool] = mapped_column(default=False)  # the resident wrote last: a reply is due
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxMessage(Base):
    __tablename__ = "inbox_message"
    __table_args__ = (Index("ix_inbox_message_thread_at", "thread_id", "at"), one_of("direction", Direction))

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("inbox_thread.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str | None] = mapped_column(String(20))  # the resident's, either way
    text: Mapped[str] = mapped_column(Text)
    organiser_email: Mapped[str | None] = mapped_column(String(200))  # who replied
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
