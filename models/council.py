"""Councils: a local authority that hands budgets to several communities, the communities it
follows, and its officers (organiser accounts that read those communities and change nothing),
with the weekly council digest, once per council and ISO week."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.community import Community

council_community = Table(
    "council_community",
    Base.metadata,
    Column("council_id", ForeignKey("council.id", ondelete="CASCADE"), primary_key=True),
    Column("community_id", ForeignKey("community.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Council(Base):
    __tablename__ = "council"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/London")
    # Who gets the weekly council digest, and when (council time; 0 = Monday).
    digest_recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    digest_weekday: Mapped[int] = mapped_column(default=0)
    digest_time: Mapped[str] = mapped_column(String(5), default="09:00")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    communities: Mapped[list[Community]] = relationship(secondary=council_community, order_by=Community.slug)


class CouncilOfficer(Base):
    """An organiser account that is a council's officer. An officer runs no community (it has
    no organiser_community row), so every organiser page and API route refuses it as it
    refuses a stranger; only the council's read-only pages let it in."""

    __tablename__ = "council_officer"

    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organiser.id", ondelete="CASCADE"), primary_key=True
    )
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    council: Mapped[Council] = relationship()


class CouncilDigest(Base):
    """One council digest per council and ISO week: written once, claimed, sent, recorded."""

    __tablename__ = "council_digest"
    __table_args__ = (UniqueConstraint("council_id", "iso_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id", ondelete="CASCADE"))
    iso_week: Mapped[str] = mapped_column(String(8))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
