"""Ballots: reading what residents type, checking it against the round, storing one per person."""

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.dml import ReturningInsert

from bot.domain.receipts import new_receipt
from bot.text.money import Money
from models import Ballot, Community, OutboxMessage, ReplacedReceipt, Resident, Round, table_of
from models.states import OutboxStatus, RoundMethod, RoundStatus

_VOTE = re.compile(
    r"^(?:vote\b\s*[:\-]?\s*)?(\d{1,3}(?:\s*(?:,|;|&|\band\b|\s)\s*\d{1,3})*)\s*[.!]*$", re.IGNORECASE
)


def parse_choices(text: str) -> list[int] | None:
    """The option numbers in "1 3", "1,3", "VOTE 1 3", "3" (in order, once each); else None."""
    match = _VOTE.match(text.strip())
    if not match:
        return None
    numbers = [int(n) for n in re.findall(r"\d+", match[1])]
    return list(dict.fromkeys(numbers))


_ROUND_TAG = re.compile(r"\s*@(\d{1,10})\s*$")


def round_tag(rest: str) -> tuple[str, int | None]:
    """A button's words and the round it was made for: "3 @12" -> ("3", 12). Typed votes have
    no tag (None): they are for the round open now."""
    found = _ROUND_TAG.search(rest)
    return (rest[: found.start()], int(found[1])) if found else (rest, None)


def takes_as_vote(session: Session, community: Community, text: str) -> Round | None:
    """The open round if `text` is numbers alone ("2", "1 3") that make a valid vote in it:
    what a step waiting for something else (an idea, its cost, a DELETE confirmation) lets
    through as a vote, since the ballot may have come in between."""
    choices = parse_choices(text)
    if choices is None:
        return None
    round_ = current_round(session, community)
    return round_ if round_ is not None and problem(round_, choices) is None else None


def problem(round_: Round, choices: list[int]) -> tuple[str, dict[str, Any]] | None:
    """What is wrong with `choices` in this round, as a catalogue key and its values; None if fine."""
    numbers = {option.number: option for option in round_.options}
    for number in choices:
        if number not in numbers:
            return "vote_unknown_option", {"number": number, "count": len(numbers)}
    if round_.method == RoundMethod.CHOOSE_ONE and len(choices) != 1:
        return "vote_choose_one", {}
    if round_.method == RoundMethod.APPROVAL and round_.max_choices and len(choices) > round_.max_choices:
        return "vote_too_many", {"k": round_.max_choices}
    if round_.method == RoundMethod.BUDGET:
        total = sum(numbers[n].cost_pence for n in choices)
        if total > round_.budget_pence:
            return "vote_over_budget", {"total": Money(total), "budget": Money(round_.budget_pence)}
    return None


@dataclass(frozen=True)
class Seen:
    """A resident's ballot in a round as read a moment ago (`ballot_id` None: they had none),
    so that casting can go straight to the statement that will do, checking it still holds."""

    ballot_id: int | None
    receipt: str | None = None


def cast(
    session: Session,
    round_: Round,
    resident: Resident,
    choices: list[int],
    channel: str,
    now: datetime,
    seen: Seen | None = None,
) -> str:
    """Record or replace the resident's ballot (one per resident per round, even under races)
    under a new receipt, keeping the old ballot's receipt as replaced. Returns the receipt."""
    for _ in range(_TRIES):
        receipt = new_receipt()
        if seen is not None and seen.ballot_id is not None:
            if _change_seen(session, round_, seen, choices, channel, now, receipt):
                if _may_have_reminded(round_):
                    _take_back_reminder(session, round_, resident, now)
                return receipt
            seen = None  # changed since it was read, or the receipt is taken: the careful way
        if _store(session, round_, resident, choices, channel, now, receipt):
            if _may_have_reminded(round_):
                _take_back_reminder(session, round_, resident, now)
            return receipt
        # The code is already in this round: one chance in 2**40 for each ballot there.
    raise IntegrityError("INSERT INTO ballot", None, Exception(f"{_TRIES} receipts taken in a row"))


_TRIES = 3


def _may_have_reminded(round_: Round) -> bool:
    """Whether a reminder may be waiting: one was sent, or one is scheduled (a worker's group
    reads the round once, so a reminder queued since may not show in its `reminded_at`)."""
    return round_.reminded_at is not None or round_.remind_at is not None


def _take_back_reminder(session: Session, round_: Round, resident: Resident, now: datetime) -> None:
    """A reminder still waiting for this resident (quiet hours held it) is moot once they vote."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.idempotency_key == f"round-remind:{round_.id}:{resident.id}",
            OutboxMessage.status == OutboxStatus.QUEUED,
        )
        .values(status=OutboxStatus.CANCELLED, error_code="voted", next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )


def _store(
    session: Session,
    round_: Round,
    resident: Resident,
    choices: list[int],
    channel: str,
    now: datetime,
    receipt: str,
) -> bool:
    """Insert the ballot, or, when the resident already has one in the round, change it in
    place under a row lock, its old receipt kept as replaced: so no receipt ever sent is lost,
    even when two messages of one resident race. False if `receipt` is taken in the round
    (then nothing changed). A first vote, the usual case, takes one statement and no
    savepoint: ON CONFLICT DO NOTHING skips the row on either unique key (one ballot a
    resident, one receipt a round)."""
    values = dict(choices=choices, channel=channel, changed_at=now, receipt=receipt)
    dialect = session.get_bind().dialect.name
    # On the session's connection, each statement built once: a Core statement through the
    # session would flush the turn's pending changes first (the ballot needs none of them).
    connection = session.connection()
    keys = {"b_round": round_.id, "b_resident": resident.id}
    while True:
        inserted = connection.execute(
            _inserting(dialect), dict(values, round_id=round_.id, resident_id=resident.id, cast_at=now)
        ).first()
        if inserted is not None:
            return True
        old = connection.execute(_locking(dialect), keys).first()
        if old is not None:
            changed = connection.execute(
                _CHANGING, {"b_ballot": old.id, **keys, **{f"b_{k}": v for k, v in values.items()}}
            )
            if not changed.rowcount:
                return False  # the receipt is another ballot's
            if old.receipt:
                connection.execute(
                    _REPLACED, {"round_id": round_.id, "ballot_id": old.id, "receipt": old.receipt}
                )
            return True
        if connection.scalar(_RECEIPT_TAKEN, {"round_id": round_.id, "receipt": receipt}):
            return False
        # Erased between the two statements (DELETE): insert it afresh.


def _change_seen(
    session: Session,
    round_: Round,
    seen: Seen,
    choices: list[int],
    channel: str,
    now: datetime,
    receipt: str,
) -> bool:
    """Change the ballot `seen` in place, in one statement that holds only if it is still as it
    was read (its receipt unchanged: no other message of theirs changed it since, and it was not
    erased) and `receipt` is no other ballot's; then keep its old receipt as replaced. False if
    not: nothing changed."""
    connection = session.connection()
    changed = connection.execute(
        _CHANGING_SEEN,
        {
            "b_ballot": seen.ballot_id,
            "b_round": round_.id,
            "b_old": seen.receipt,
            "b_choices": choices,
            "b_channel": channel,
            "b_changed_at": now,
            "b_receipt": receipt,
        },
    )
    if not changed.rowcount:
        return False
    if seen.receipt:
        connection.execute(
            _REPLACED, {"round_id": round_.id, "ballot_id": seen.ballot_id, "receipt": seen.receipt}
        )
    return True


_OTHER = table_of(Ballot).alias("other")
_CHANGING = (
    update(table_of(Ballot))
    .where(
        table_of(Ballot).c.id == bindparam("b_ballot"),
        ~exists().where(
            _OTHER.c.round_id == bindparam("b_round"), _OTHER.c.receipt == bindparam("b_receipt")
        ),
    )
    .values(
        choices=bindparam("b_choices"),
        channel=bindparam("b_channel"),
        changed_at=bindparam("b_changed_at"),
        receipt=bindparam("b_receipt"),
    )
)  # the ballot changed in place, unless its new receipt is another ballot's
_CHANGING_SEEN = _CHANGING.where(
    table_of(Ballot).c.round_id == bindparam("b_round"),
    table_of(Ballot).c.receipt.is_not_distinct_from(bindparam("b_old")),
)  # ... and only if it is still in the round under the receipt it was read with
_RECEIPT_TAKEN = select(
    exists().where(Ballot.round_id == bindparam("round_id"), Ballot.receipt == bindparam("receipt"))
)


@cache
def _locking(dialect: str) -> Select[int, str | None]:
    """The resident's ballot in the round, locked on PostgreSQL (SQLite has one writer)."""
    table = table_of(Ballot)
    query = select(table.c.id, table.c.receipt).where(
        table.c.round_id == bindparam("b_round"), table.c.resident_id == bindparam("b_resident")
    )
    return query.with_for_update() if dialect == "postgresql" else query


_REPLACED = insert(table_of(ReplacedReceipt))


@cache
def _inserting(dialect: str) -> ReturningInsert[Any]:
    """The insert of a first ballot, built once a dialect (a vote surge casts thousands)."""
    table = Ballot.__table__
    dialects = {"postgresql": postgresql, "sqlite": sqlite}
    statement: postgresql.Insert | sqlite.Insert = dialects[dialect].insert(table)
    return statement.on_conflict_do_nothing().returning(table.c.id)


def ballot_of(session: Session, round_: Round, resident: Resident) -> Ballot | None:
    return _ballot(session, round_, resident)


def _ballot(session: Session, round_: Round, resident: Resident) -> Ballot | None:
    # Read afresh: a ballot this session loaded may have been changed since by a Core UPDATE
    # (cast()'s fast path), which the identity map does not see.
    query = (
        select(Ballot)
        .where(Ballot.round_id == round_.id, Ballot.resident_id == resident.id)
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def current_round(session: Session, community: Community) -> Round | None:
    """The open round, with its options (read in the same query: a vote needs them)."""
    return session.scalars(_OPEN_ROUND, {"community_id": community.id}).unique().first()


_OPEN_ROUND = (
    select(Round)
    .options(joinedload(Round.options))
    .where(Round.community_id == bindparam("community_id"), Round.status == RoundStatus.OPEN)
    .limit(1)
)


def latest_closed(session: Session, community: Community) -> Round | None:
    return session.scalar(
        select(Round)
        .where(
            Round.community_id == community.id, Round.status == RoundStatus.CLOSED, Round.imported.is_(False)
        )
        .order_by(Round.closed_at.desc(), Round.id.desc())
        .limit(1)
    )
