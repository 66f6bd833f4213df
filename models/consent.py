"""Consent on record: each time a resident agreed to join, stopped, or started again, on which
channel, and (for consent) which wording they were shown."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.states import ConsentChange, one_of


class ConsentEvent(Base):
    """One change. Deleted with the resident's identities on erasure (only their resident row,
    anonymous, stays), so it never outlives the person it is about."""

    __tablename__ = "consent_event"
    __table_args__ = (
        Index("ix_consent_event_resident_at", "resident_id", "at"),
        one_of("change", ConsentChange),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    change: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))  # sms, whatsapp, telegram, voice, console
    # The version of the text they agreed to (consent only): catalogue key/language/12 hex
    # digits of the SHA-256 of the template they read (bot/domain/consent.py).
    wording: Mapped[str | None] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)
