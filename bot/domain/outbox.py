"""Writing to the outbox: the only way a message leaves Common Purse."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Result, Select, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.domain.whatsapp import number_for
from channels.messages import Address, Choice, choices_from_json, choices_to_json
from channels.registry import default_channel, spec
from channels.segments import count_segments
from models import Community, OutboxMessage
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
    content_sid: str | None = None,
    content_variables: dict[str, str] | None = None,
    not_before: datetime | None = None,
    held: bool = False,
) -> OutboxMessage:
    """Queue a message in the caller's transaction; the dispatcher sends it after commit, or
    from `not_before` (the end of quiet hours) if later. `held`: news we start, which never
    goes inside quiet hours (and answers go before it)."""
    row = OutboxMessage(
        community_id=community_id,
        resident_id=resident_id,
        channel=address.channel,
        address=address.user_id,
        sender=sender,
        body=text,
        choices=choices_to_json(choices),
        content_sid=content_sid,
        content_variables=content_variables,
        segments=count_segments(text).segments,
        idempotency_key=idempotency_key,
        erase_after_send=erase_after_send,
        status=OutboxStatus.QUEUED,
        attempts=0,
        held=held,
        next_attempt_at=max(now, not_before or now),
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


def resend_outside_window(session: Session, row: OutboxMessage, now: datetime) -> OutboxMessage | None:
    """A message its channel refused as outside its window (WhatsApp's 63016) goes again, once,
    by the identity's default channel (SMS for a phone); None if it cannot (no fallback, or
    its text was erased once sent)."""
    fallback = default_channel(spec(row.channel).identity_kind)
    if fallback == row.channel or row.address is None or row.body is None:
        return None
    community = session.get(Community, row.community_id) if row.community_id is not None else None
    # from the community's SMS number, whatever WhatsApp's own sender is
    sender = number_for(community, fallback) if community is not None else row.sender
    key = f"window:{row.id}"
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)) is not None:
        return None  # a repeated report
    copy = enqueue(
        session,
        address=Address(fallback, row.address),
        text=row.body,
        now=now,
        community_id=row.community_id,
        resident_id=row.resident_id,
        choices=choices_from_json(row.choices),
        sender=sender if spec(fallback).sends_from_number else None,
        idempotency_key=key,
        erase_after_send=row.erase_after_send,
        held=row.held,
    )
    # The same message, started when the original was: a STOP since then withdraws it, as it
    # would have withdrawn the original (the dispatcher compares created_at with the STOP).
    copy.created_at = row.created_at
    return copy
