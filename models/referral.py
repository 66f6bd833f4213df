"""Ideas referred to a council service (highways, bins...) instead of a vote, and its answers.

A community keeps a list of the council's services, each with an email address. A referral
sends the service a signed link; each answer the service gives there is kept, the latest shown."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.states import ReferralAnswer, one_of


class CouncilService(Base):
    __tablename__ = "council_service"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254))
    # False once removed from the list: kept, as referrals to it still name it.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Referral(Base):
    """An idea passed to a service. Its link is signed with the referral's id, `link_version`
    and its expiry: sending it again makes a new link, and the old one stops working."""

    __tablename__ = "referral"
    __table_args__ = (one_of("status", ReferralAnswer, nullable=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("council_service.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    link_version: Mapped[int] = mapped_column(default=1)
    link_expires_at: Mapped[datetime]
    # Claimed before the email goes (exactly once per link); reset, with why, if it failed.
    emailed_at: Mapped[datetime | None]
    email_error: Mapped[str | None] = mapped_column(Text)
    # The latest answer, and when the first came (the time to an answer counts to it).
    status: Mapped[str | None] = mapped_column(String(20))
    first_answered_at: Mapped[datetime | None]


class ReferralReply(Base):
    """One answer from the service at its link; every one is kept."""

    __tablename__ = "referral_reply"
    __table_args__ = (one_of("answer", ReferralAnswer),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    answer: Mapped[str] = mapped_column(String(20))
    on_date: Mapped[date | None]  # will do by, scheduled for
    reason: Mapped[str | None] = mapped_column(Text)  # not ours / won't do: why
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
