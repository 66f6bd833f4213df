"""The tamper-evident record: every audit entry and every ledger entry (allocation, spending,
correction) of a community, in the order they were written, each link holding the SHA-256 of
the entry's content and of the link before it. A row changed, removed or slipped in straight in
the database no longer matches its link, or has none.

The content hashed is the row as the database holds it, every column in name order, written as
canonical JSON; the same function hashes when a link is made and when the chain is checked."""

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    Connection,
    ForeignKey,
    Index,
    String,
    TableClause,
    UniqueConstraint,
    column,
    insert,
    select,
    table,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

GENESIS = "0" * 64  # the "previous hash" of a chain's first link


class ChainLink(Base):
    __tablename__ = "chain_link"
    __table_args__ = (
        UniqueConstraint("community_id", "seq"),
        UniqueConstraint("kind", "row_id"),
        Index("ix_chain_link_community_seq", "community_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    seq: Mapped[int]  # 1, 2, 3 ... per community
    kind: Mapped[str] = mapped_column(String(20))  # the table: audit_entry, allocation, ...
    row_id: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    link_hash: Mapped[str] = mapped_column(String(64))


def _plain(value: object) -> object:
    if isinstance(value, datetime):  # in UTC, whatever the connection's time zone (PostgreSQL's)
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == int(value) else str(value)
    return value


def content_hash(row: dict[str, object]) -> str:
    """SHA-256 of a row's columns as canonical JSON."""
    plain = {name: _plain(value) for name, value in sorted(row.items())}
    return hashlib.sha256(json.dumps(plain, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def link_hash(seq: int, kind: str, row_id: int, content: str, prev: str) -> str:
    return hashlib.sha256(f"{seq}|{kind}|{row_id}|{content}|{prev}".encode()).hexdigest()


# What the record holds, by table, and the columns of each entry that its hash covers: every
# column an entry is written with, named here so a column added later does not break old links.
HASHED: dict[str, tuple[str, ...]] = {
    "audit_entry": ("id", "community_id", "actor", "subject", "action", "created_at"),
    "allocation": ("id", "community_id", "number", "title", "amount_pence", "idea_id", "created_at"),
    "spending": (
        "id",
        "community_id",
        "number",
        "allocation_id",
        "amount_pence",
        "description",
        "spent_on",
        "over_allocation",
        "created_at",
    ),
    "ledger_correction": (
        "id",
        "community_id",
        "number",
        "action",
        "allocation_id",
        "spending_id",
        "reason",
        "organiser_email",
        "created_at",
    ),
}


def _entries(kind: str) -> TableClause:
    return table(kind, *(column(name) for name in HASHED[kind]))


def content_of(connection: Connection, kind: str, row_id: int) -> str | None:
    """The hash of entry `row_id` of `kind` as the database holds it now; None if it is gone."""
    entries = _entries(kind)
    row = connection.execute(select(entries).where(entries.c.id == row_id)).mappings().first()
    return None if row is None else content_hash(dict(row))


def head_of(connection: Connection, community_id: int | None) -> tuple[int, str]:
    """The chain's last sequence number and link hash (0 and GENESIS while it is empty)."""
    links = ChainLink.__table__
    last = connection.execute(
        select(links.c.seq, links.c.link_hash)
        .where(
            links.c.community_id.is_(None) if community_id is None else links.c.community_id == community_id
        )
        .order_by(links.c.seq.desc())
        .limit(1)
    ).first()
    return (last.seq, last.link_hash) if last else (0, GENESIS)


def append(connection: Connection, community_id: int | None, kind: str, row_id: int) -> None:
    """Link one entry, as the database now holds it, to the end of its community's chain."""
    content = content_of(connection, kind, row_id)
    if content is None:
        raise LookupError(f"no {kind} {row_id} to link")
    seq, prev = head_of(connection, community_id)
    connection.execute(
        insert(ChainLink).values(
            community_id=community_id,
            seq=seq + 1,
            kind=kind,
            row_id=row_id,
            content_hash=content,
            prev_hash=prev,
            link_hash=link_hash(seq + 1, kind, row_id, content, prev),
        )
    )


def chain_existing(connection: Connection) -> None:
    """Link every entry already written, oldest first, community by community (run once, by
    the migration that brings the record in)."""
    found = []
    for order, kind in enumerate(HASHED):
        entries = table(kind, column("id"), column("community_id"), column("created_at"))
        found += [
            (community_id is None, community_id or 0, created_at, order, row_id, kind, community_id)
            for row_id, community_id, created_at in connection.execute(select(entries))
        ]
    for *_, row_id, kind, community_id in sorted(found, key=lambda f: f[:5]):
        if community_id is not None:  # in no community's record (see bot.domain.chain)
            append(connection, community_id, kind, row_id)
