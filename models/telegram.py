"""Telegram bookkeeping: which community a chat is talking to, and the polling offset."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class TelegramChat(Base):
    """One bot serves every community: this is the community a chat chose with /start CODE."""

    __tablename__ = "telegram_chat"

    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PollingOffset(Base):
    """The next update to ask a provider for when long polling, so none is handled twice."""

    __tablename__ = "polling_offset"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    next_update_id: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
