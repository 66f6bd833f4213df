"""Residents, the channel identities they write from, and their conversation state."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.states import ResidentStatus, Step, one_of

RESIDENT_STATUSES = tuple(s.value for s in ResidentStatus)


class Resident(Base):
    __tablename__ = "resident"
    # the digest counts who joined, and who opted out, in a week
    __table_args__ = (
        one_of("status", ResidentStatus),
        Index("ix_resident_community_consent", "community_id", "consent_at"),
        Index("ix_resident_community_opted_out", "community_id", "opted_out_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    status: Mapped[str] = mapped_column(String(20), default=ResidentStatus.PENDING)
    opted_out: Mapped[bool] = mapped_column(default=False)
    opted_out_at: Mapped[datetime | None]
    consent_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(10))
    # The channel they chose for what we start (CHANNEL SMS); None: the one they last wrote on.
    channel: Mapped[str | None] = mapped_column(String(20))
    postcode_district: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]

    identities: Mapped[list["Identity"]] = relationship(
        back_populates="resident", cascade="all, delete-orphan"
    )


class Identity(Base):
    """How we reach a resident: a phone number (SMS) or a chat id (Telegram)."""

    __tablename__ = "identity"
    __table_args__ = (UniqueConstraint("community_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    kind: Mapped[str] = mapped_column(String(20))  # "phone" or "telegram"
    value: Mapped[str] = mapped_column(String(64))
    # Set when a provider tells us we can no longer reach it: opted_out, blocked, invalid.
    unreachable: Mapped[str | None] = mapped_column(String(20))
    # The channel the resident last wrote from with this identity ("sms", "console", "telegram"):
    # messages we start (broadcasts, news of their ideas) go out that way.
    last_channel: Mapped[str | None] = mapped_column(String(20))
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    resident: Mapped[Resident] = relationship(back_populates="identities")


class Conversation(Base):
    """Where a resident is in a multi-step flow, so flows survive restarts and workers."""

    __tablename__ = "conversation"
    __table_args__ = (one_of("step", Step, nullable=True),)

    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Whose it is: written after them when both are new in one flush (a worker's group writes
    # its newcomers, with their conversations, together).
    resident: Mapped[Resident] = relationship()
