"""Announcements: news from organisers that is not about the money ("the partnership meets
Tuesday 7pm at the library"), sent to every member or to part of the community.

Kept apart from budget updates, so BUDGET, the public page and the council's money page go on
showing the latest budget news only."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Announcement(Base):
    __tablename__ = "announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    # Who it went to, as criteria ("all members", "not voted in round 2, area RM9"), never who.
    audience: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
