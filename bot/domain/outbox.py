"""Writing to the outbox: the only way a message leaves Common Purse."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Exists, Result, Select, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
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
        **outbox_row(
            address=address,
            text=text,
            now=now,
            community_id=community_id,
            resident_id=resident_id,
            choices=choices,
            sender=sender,
            idempotency_key=idempotency_key,
            erase_after_send=erase_after_send,
            content_sid=content_sid,
            content_variables=content_variables,
            not_before=not_before,
            held=held,
        )
    )
    session.add(row)
    return row


def outbox_row(
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
) -> dict[str, Any]:
    """The columns of a queued message (enqueue's), for a caller that inserts many at once."""
    return dict(
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


def insert_skipping_existing(session: Session, rows: Select[*tuple[Any, ...]], first: bool = False) -> int:
    """INSERT the outbox rows `rows` selects (its columns named as the outbox's), leaving out
    any whose idempotency key is already queued; returns how many were inserted. `first`: none
    of the keys `rows` gives was queued when the caller looked (queued_from()), so it is a plain
    INSERT, as checking each row for a conflict costs a broadcast a third of its time. On
    PostgreSQL a key queued since by a transaction beside this one is caught, and the INSERT
    done again the careful way; SQLite has one writer at a time, so what the caller saw holds."""
    table = OutboxMessage.__table__
    columns = [c.name for c in rows.selected_columns]
    plain = insert(OutboxMessage).from_select(columns, rows).execution_options(preserve_rowcount=True)
    postgres = session.get_bind().dialect.name == "postgresql"
    if first and not postgres:
        return _rowcount(session.execute(plain))
    if first:
        try:
            with session.begin_nested():
                return _rowcount(session.execute(plain))
        except IntegrityError:
            pass
    dialect = postgresql if postgres else sqlite
    statement = (
        dialect.insert(table)
        .from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=[table.c.idempotency_key])
    )
    return _rowcount(session.execute(statement.execution_options(preserve_rowcount=True)))


def queued_from(prefix: str) -> Exists:
    """That an idempotency key starting with `prefix` is queued: a range on the key's index.
    Where the database's collation orders keys otherwise, a key it misses is still never
    queued twice (insert_skipping_existing() catches it)."""
    key = OutboxMessage.idempotency_key
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return exists().where(key >= prefix, key < after)


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
