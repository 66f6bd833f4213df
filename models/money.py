"""The budget ledger: allocations to projects, money spent, and updates to residents."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Allocation(Base):
    """Money committed to a project (all amounts in integer pence)."""

    __tablename__ = "allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    amount_pence: Mapped[int]
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("idea.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Spending(Base):
    """Money actually paid out, optionally against an allocation."""

    __tablename__ = "spending"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocation.id"))
    amount_pence: Mapped[int]
    description: Mapped[str] = mapped_column(String(200))
    spent_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BudgetUpdate(Base):
    """A short note from organisers on the money, shown by BUDGET."""

    __tablename__ = "budget_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
