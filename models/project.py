"""Funded ideas followed to the end: a project's status and the dated updates organisers write."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.states import ProjectStatus, one_of


class Project(Base):
    """A funded idea's progress. The row is made when organisers first write about it; until
    then a funded idea is a project in status funded."""

    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("community_id", "number"), one_of("status", ProjectStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id"), unique=True)
    # The idea's number, which residents and organisers use for the project ("PROJECT 4").
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=ProjectStatus.FUNDED)
    # Who delivers it, as 360Giving names the recipient: an org-id ("GB-CHC-1164883"), or None
    # for a group with no registered number (its id is then made from the community's prefix).
    recipient_org_id: Mapped[str | None] = mapped_column(String(100))
    recipient_org_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProjectUpdate(Base):
    """A dated note on a project from organisers, and the status it set, if it set one."""

    __tablename__ = "project_update"
    __table_args__ = (one_of("status", ProjectStatus, nullable=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    text: Mapped[str | None] = mapped_column(Text)  # None: a change of status alone
    status: Mapped[str | None] = mapped_column(String(20))  # None: a note alone
    # Who wrote it (the organiser acting, as the audit trail has it); None if unknown.
    organiser_email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
