"""Writing to the outbox: the only way a message leaves Common Purse."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Result, Select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from channels.messages import Address, Choice, choices_to_json
from channels.segments import count_segments
from models import OutboxMessage
from models.states import OutboxStatus


def enqueue(
    session: Session,
    *,
    address: Address,
    text: str,
    now: datetime,
    community_id: int | None = None,
    resident_id: int | None = None,
    choices: Sequence[Choice] = (),
    sender: str | None = None,
    idempotency_key: str | None = None,
    erase_after_send: bool = False,
) -> OutboxMessage:
    """Queue a message in the caller's transaction; the dispatcher sends it after commit."""
    row = OutboxMessage(
        community_id=community_id,
        resident_id=resident_id,
        channel=address.channel,
        address=address.user_id,
        sender=sender,
        body=text,
        choices=choices_to_json(choices),
        segments=count_segments(text).segments,
        idempotency_key=idempotency_key,
        erase_after_send=erase_after_send,
        status=OutboxStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


def insert_skipping_existing(session: Session, rows: Select[*tuple[Any, ...]]) -> int:
    """INSERT the outbox rows `rows` selects (its columns named as the outbox's), leaving out
    any whose idempotency key is already queued; returns how many were inserted."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[session.get_bind().dialect.name]
    table = OutboxMessage.__table__
    statement = (
        dialect.insert(table)
        .from_select([c.name for c in rows.selected_columns], rows)
        .on_conflict_do_nothing(index_elements=[table.c.idempotency_key])
    )
    return _rowcount(session.execute(statement.execution_options(preserve_rowcount=True)))


def cancel_queued(session: Session, resident_id: int, now: datetime, reason: str) -> int:
    """Withdraw what is still waiting to go to a resident (they stopped, or asked to be
    forgotten); returns how many. Rows already being sent are checked again by the dispatcher."""
    return _rowcount(
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.resident_id == resident_id, OutboxMessage.status == OutboxStatus.QUEUED)
            .values(status=OutboxStatus.CANCELLED, error_code=reason, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    )


def _rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """Rows an INSERT or UPDATE touched: Session.execute types every result as a Result, and a
    DML statement's is a CursorResult."""
    assert isinstance(result, CursorResult)
    return result.rowcount
