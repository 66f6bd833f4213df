"""The budget ledger: allocations to projects, money spent, corrections, and updates to residents.

Entries are never edited or deleted: a mistake is put right by a later correction."""

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow

CORRECTION_ACTIONS = ("void", "close")
# Every amount of money, in integer pence. PostgreSQL's integer stops at £21,474,836.47, so
# BIGINT there; SQLite's INTEGER is 64-bit already (and rebuilding its tables to rename the
# type would cascade through their foreign keys).
PENCE = BigInteger().with_variant(Integer(), "sqlite")


class Allocation(Base):
    """Money committed to a project (all amounts in integer pence)."""

    __tablename__ = "allocation"
    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    # The reference organisers use ("allocation 3"), counted per community.
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    amount_pence: Mapped[int] = mapped_column(PENCE)
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("idea.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Spending(Base):
    """Money actually paid out, optionally against an allocation."""

    __tablename__ = "spending"
    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    number: Mapped[int]  # "spending 7", counted per community
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocation.id"))
    amount_pence: Mapped[int] = mapped_column(PENCE)
    description: Mapped[str] = mapped_column(String(200))
    spent_on: Mapped[date]
    # The organiser said to record it although it went beyond what was left (of its allocation
    # or of the budget).
    over_allocation: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Correction(Base):
    """A later entry that voids a spending or an allocation, or closes an allocation with what
    was spent against it; the entry it corrects stays as it was. One correction per entry."""

    __tablename__ = "ledger_correction"
    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    number: Mapped[int]  # "correction 2", counted per community
    action: Mapped[str] = mapped_column(String(10))  # one of CORRECTION_ACTIONS
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocation.id"), unique=True)
    spending_id: Mapped[int | None] = mapped_column(ForeignKey("spending.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    # Who made it, as the organiser gave it (CLI --as, or the API token's organiser); None if unknown.
    organiser_email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BudgetUpdate(Base):
    """A short note from organisers on the money, shown by BUDGET."""

    __tablename__ = "budget_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    # Sent to part of the community: its criteria ("not voted in round 2, area RM9"), never who.
    audience: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
