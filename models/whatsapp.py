"""WhatsApp templates: the ContentSids organisers registered for the messages we start.

Outside WhatsApp's 24-hour window only a template Meta approved may go. Twilio names each one
by a ContentSid (HX followed by 32 hex digits); a community registers one for each kind of
message (a ballot, a reminder...) in each language it writes in."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class WhatsAppTemplate(Base):
    __tablename__ = "whatsapp_template"
    __table_args__ = (UniqueConstraint("community_id", "kind", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))  # "ballot", "reminder", "result", ...
    language: Mapped[str] = mapped_column(String(10))
    content_sid: Mapped[str] = mapped_column(String(34))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
