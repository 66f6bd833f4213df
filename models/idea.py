"""Ideas residents give, with a rough cost and a moderation status."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.money import PENCE
from models.states import IdeaStatus, one_of

IDEA_STATUSES = tuple(s.value for s in IdeaStatus)


class Idea(Base):
    __tablename__ = "idea"
    __table_args__ = (UniqueConstraint("community_id", "number"), one_of("status", IdeaStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    # The reference residents see ("idea 12"), counted per community.
    number: Mapped[int]
    # NULL once the author erased their data: the idea stays, anonymous.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    cost_pence: Mapped[int | None] = mapped_column(PENCE)
    status: Mapped[str] = mapped_column(String(20), default=IdeaStatus.SUBMITTED)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("idea.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An idea left as a voice message on the phone line: the provider's id for the recording
    # (fetched with the account's credentials to be heard) and its length. Its text is what an
    # organiser typed after listening, until then a placeholder.
    recording_sid: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    recording_seconds: Mapped[int | None]
