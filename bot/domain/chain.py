"""Keeping and checking the tamper-evident record (models/chain.py): each audit entry and ledger
entry is linked into its community's chain in the transaction that writes it, and `verify` walks
the chain and names the first entry that was changed, removed, or put in outside it.

Links are made as the transaction that inserted the entries commits, from the rows as the database
then holds them, under the chain's own lock (an advisory lock on PostgreSQL; SQLite lets one
writer in at a time), so two writers never extend one chain at once, and one that holds the
community for long holds up no other writer until its commit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, column, event, func, select, table
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from models import Allocation, AuditEntry, ChainLink, Community, Spending
from models.chain import GENESIS, HASHED, append, content_of, head_of, link_hash
from models.money import Correction

CHAINED = (AuditEntry, Allocation, Spending, Correction)
# How people name an entry of each kind ("spending 3"; audit entries by their id).
NAMES = {
    "audit_entry": "audit entry",
    "allocation": "allocation",
    "spending": "spending",
    "ledger_correction": "correction",
}


# A key of PostgreSQL's advisory locks (two int4s: this, and the community's id) for a
# community's chain: the lock is the chain's own, so a transaction that holds the community's
# row (closing a round, the ledger's checks) holds up no other writer of the record until it
# reaches its own commit.
CHAIN_LOCK = 0x636E  # "cn"
_PENDING = "commonpurse.chain.pending"


@event.listens_for(Session, "after_flush")
def _note_new_entries(session: Session, _context: UOWTransaction) -> None:
    # Entries of no community (a change to no community in particular) are in no community's
    # record: `verify --community` could not find them, and no lock would order them.
    new = sorted(
        (obj.community_id, obj.id, obj.__tablename__)
        for obj in session.new
        if isinstance(obj, CHAINED) and obj.community_id is not None
    )
    if new:
        session.info.setdefault(_PENDING, []).extend(new)


@event.listens_for(Session, "before_commit")
def _link_at_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: the transaction goes on
        return
    session.flush()  # what is still unflushed is in the record too
    link_pending(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # rolled back or closed: its entries are gone with it
        session.info.pop(_PENDING, None)


def link_pending(session: Session) -> None:
    """Link the entries this transaction wrote into their communities' chains, in the order
    written, under each chain's lock, which is then held until the transaction ends. Done at
    commit, so a long transaction (a round's close and its results to every member) holds a
    chain only for its last moments, and a STOP's consent entry meanwhile does not wait for it."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    pending = list(dict.fromkeys(pending))  # an id SQLite gave again after a savepoint rolled back
    for community_id in sorted({entry[0] for entry in pending}):  # one order: no deadlock
        if postgres:
            connection.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK, community_id)))
        for row_id, kind in [(row_id, kind) for c, row_id, kind in pending if c == community_id]:
            if _written(connection, kind, row_id, community_id):
                append(connection, community_id, kind, row_id)


def _written(connection: Connection, kind: str, row_id: int, community_id: int) -> bool:
    """Whether the entry noted is still there, and still this community's: one written in a
    savepoint that was rolled back never was, and on SQLite its id may since have gone to
    another community's entry (linked into that community's chain, under its own note)."""
    entries = table(kind, column("id"), column("community_id"))
    found = connection.execute(select(entries.c.community_id).where(entries.c.id == row_id)).first()
    return found is not None and found.community_id == community_id


def head(session: Session, community: Community) -> tuple[int, str]:
    """How many entries the community's record holds, and the hash of its last link: published
    (public page, weekly digest), so a copy anyone kept shows a rewrite of the past. The entries
    this transaction wrote are linked first, and the record then held until it ends: a
    transaction that also takes the community's row (lock_community) takes it before this."""
    session.flush()
    link_pending(session)
    return head_of(session.connection(), community.id)


def sealed_at(session: Session, community: Community, seal: str) -> int | None:
    """Which entry of the community's record a seal published earlier is; None if none is."""
    return session.scalar(
        select(ChainLink.seq).where(ChainLink.community_id == community.id, ChainLink.link_hash == seal)
    )


@dataclass(frozen=True)
class Checked:
    entries: int  # links checked and found good
    head: str  # the last good link's hash
    problem: str | None  # the first thing wrong, in words; None if the record is intact


def verify(session: Session, community: Community) -> Checked:
    """Walk the community's chain from its start: each link must follow the one before, and each
    entry must hold what it held when it was linked; then every entry of the community must be
    in the chain."""
    connection = session.connection()
    prev, linked = GENESIS, set()
    links = connection.execute(
        select(ChainLink).where(ChainLink.community_id == community.id).order_by(ChainLink.seq)
    ).all()
    for seq, link in enumerate(links, start=1):
        name = f"{NAMES[link.kind]} {_number(connection, link.kind, link.row_id)}"
        if link.seq != seq or link.prev_hash != prev:
            return Checked(seq - 1, prev, f"the record was cut or reordered at entry {seq} ({name})")
        if link.link_hash != link_hash(link.seq, link.kind, link.row_id, link.content_hash, link.prev_hash):
            return Checked(seq - 1, prev, f"entry {seq}'s link was altered ({name})")
        content = content_of(connection, link.kind, link.row_id)
        if content is None:
            return Checked(seq - 1, prev, f"entry {seq} ({name}) was removed")
        if content != link.content_hash:
            return Checked(seq - 1, prev, f"entry {seq} ({name}) was changed after it was recorded")
        linked.add((link.kind, link.row_id))
        prev = link.link_hash
    for kind in HASHED:
        number = "number" if "number" in HASHED[kind] else "id"
        entries = table(kind, column("id"), column("community_id"), column(number))
        for row_id, shown in connection.execute(
            select(entries.c.id, entries.c[number])
            .where(entries.c.community_id == community.id)
            .order_by(entries.c.id)
        ):
            if (kind, row_id) not in linked:
                return Checked(
                    len(links), prev, f"{NAMES[kind]} {shown} is not in the record: it was put in outside it"
                )
    return Checked(len(links), prev, None)


def _number(connection: Connection, kind: str, row_id: int) -> int:
    if "number" not in HASHED[kind]:
        return row_id
    entries = table(kind, column("id"), column("number"))
    found = connection.execute(select(entries.c.number).where(entries.c.id == row_id)).scalar()
    return row_id if found is None else int(found)
