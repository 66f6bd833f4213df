"""Poll rounds: options residents vote on, their ballots, and the outcome."""

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Connection,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.money import PENCE
from models.states import RoundStatus, one_of

ROUND_METHODS = ("choose-one", "approval", "budget")
ROUND_RULES = ("greedy", "equal-shares")
ROUND_STATUSES = tuple(s.value for s in RoundStatus)


class _InsertContext(Protocol):
    """What a column default gets from SQLAlchemy (its DefaultExecutionContext), as far as we use it."""

    connection: Connection

    def get_current_parameters(self) -> dict[str, Any]: ...


def _next_number(context: _InsertContext) -> int:
    """The next number in the new round's community, counted when the row is inserted, so
    every way of making a round (scheduling one, importing one) numbers it the same way."""
    community_id = context.get_current_parameters()["community_id"]
    return context.connection.execute(
        select(func.coalesce(func.max(Round.number), 0) + 1).where(Round.community_id == community_id)
    ).scalar_one()


class Round(Base):
    __tablename__ = "round"
    # A unique index rather than a table constraint: SQLite cannot add a constraint to a table
    # without rebuilding it, and rebuilding `round` would cascade deletes (migration 0009).
    __table_args__ = (
        one_of("status", RoundStatus),
        Index("uq_round_community_id_number", "community_id", "number", unique=True),
    )

    # The global id stays inside (scheduler jobs, idempotency keys); people use `number`.
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    # The reference organisers use ("round 2"), counted per community like ideas.
    number: Mapped[int] = mapped_column(default=_next_number)
    title: Mapped[str] = mapped_column(String(120))
    method: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(20), default="greedy")
    max_choices: Mapped[int | None]  # approval rounds: at most k options; None = no limit
    budget_pence: Mapped[int] = mapped_column(PENCE)  # the money this round allocates
    status: Mapped[str] = mapped_column(String(20), default=RoundStatus.SCHEDULED)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    remind_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # {"rule", "tie_breaking", "winners": [numbers], "tallies": {number: votes},
    #  "allocated_pence", "ballots", "computed_at"}
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # True for a round read from a pabulib file: counted and shown, but never sent or funded.
    imported: Mapped[bool] = mapped_column(default=False)
    # The anonymous ballots as published when the round closed (a pabulib .pb whose voter ids
    # are the receipts), kept byte for byte so its SHA-256 stays what residents were told.
    # Deferred: every other read of a round does without it.
    ballot_file: Mapped[str | None] = mapped_column(Text, deferred=True)
    ballot_file_sha256: Mapped[str | None] = mapped_column(String(64))
    # The secret from which each resident's order of the options is drawn (a random order,
    # rotated per resident): None lists options in number order (rounds made before, or made so).
    ballot_order_seed: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    options: Mapped[list["RoundOption"]] = relationship(
        back_populates="round", order_by="RoundOption.number", cascade="all, delete-orphan"
    )


class RoundOption(Base):
    """An idea on the ballot, numbered 1..n, at its agreed cost."""

    __tablename__ = "round_option"
    __table_args__ = (UniqueConstraint("round_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    number: Mapped[int]
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("idea.id"))
    title: Mapped[str] = mapped_column(Text)
    cost_pence: Mapped[int] = mapped_column(PENCE)

    round: Mapped[Round] = relationship(back_populates="options")


PAPER = "paper"  # the channel of a ballot cast on paper or at a stall


class Ballot(Base):
    """One resident's current choices in one round (changed in place until the round closes),
    or one paper ballot an organiser entered, known by the number written on it."""

    __tablename__ = "ballot"
    # NULL resident ids never clash, so paper ballots keep "one ballot per resident" intact.
    # The paper index is partial so message ballots (no paper id) are not counted in it.
    __table_args__ = (
        UniqueConstraint("round_id", "resident_id"),
        Index(
            "uq_ballot_round_id_paper_id",
            "round_id",
            "paper_id",
            unique=True,
            sqlite_where=text("paper_id IS NOT NULL"),
            postgresql_where=text("paper_id IS NOT NULL"),
        ),
        CheckConstraint("paper_id IS NULL OR resident_id IS NULL", name="paper_has_no_resident"),
        Index("uq_ballot_round_id_receipt", "round_id", "receipt", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    # NULL on imported and paper ballots, which have no resident here.
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"))
    choices: Mapped[list[int]] = mapped_column(JSON)
    channel: Mapped[str] = mapped_column(String(20))  # sms, telegram, ... or PAPER
    paper_id: Mapped[str | None] = mapped_column(String(40))  # as written on the paper, e.g. P-0042
    # The code the voter was given for this ballot (K7QM-2XPD): random, never derived from the
    # resident, and kept nowhere else. Every ballot has one (NULL only where SQLite could not
    # add the column NOT NULL without rebuilding the table).
    receipt: Mapped[str | None] = mapped_column(String(9))
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReplacedReceipt(Base):
    """The receipt of a ballot its voter has since changed: a lookup says "replaced" rather than
    "unknown". Tied to the ballot, never to the resident."""

    __tablename__ = "replaced_receipt"
    __table_args__ = (UniqueConstraint("round_id", "receipt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id", ondelete="CASCADE"), index=True)
    receipt: Mapped[str] = mapped_column(String(9))
