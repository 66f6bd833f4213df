"""The audit trail: what organisers (and the scheduler) changed, who, and when."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class AuditEntry(Base):
    """One change to money, ideas or rounds. Never a resident's identity: residents' own
    actions (an idea given, a vote) are not audited here, and no entry names a resident."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_community_at", "community_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    # An organiser's email (CLI --as or COMMONPURSE_ORGANISER, or an API token's owner),
    # "cli" when a command was run without saying who, or "scheduler".
    actor: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(60))  # "idea 3", "round 2", "allocation 1"
    action: Mapped[str] = mapped_column(Text)  # "status: submitted -> shortlisted"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
