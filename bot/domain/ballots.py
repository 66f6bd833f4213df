"""Ballots: reading what residents type, checking it against the round, storing one per person."""

import re
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload

from bot.text.money import Money
from models import Ballot, Community, Resident, Round
from models.states import RoundMethod, RoundStatus

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


def cast(
    session: Session, round_: Round, resident: Resident, choices: list[int], channel: str, now: datetime
) -> None:
    """Record or replace the resident's ballot: one per resident per round, even under races,
    in one INSERT ... ON CONFLICT DO UPDATE (the unique round and resident decide)."""
    session.execute(
        _casting(session.get_bind().dialect.name),
        dict(
            round_id=round_.id,
            resident_id=resident.id,
            choices=choices,
            channel=channel,
            cast_at=now,
            changed_at=now,
        ),
    )


@cache
def _casting(dialect: str) -> postgresql.Insert | sqlite.Insert:
    """cast's statement, built once a dialect (a vote surge casts thousands)."""
    table = Ballot.__table__
    dialects = {"postgresql": postgresql, "sqlite": sqlite}
    insert: postgresql.Insert | sqlite.Insert = dialects[dialect].insert(table)
    return insert.on_conflict_do_update(
        index_elements=[table.c.round_id, table.c.resident_id],
        set_={
            "choices": insert.excluded.choices,
            "channel": insert.excluded.channel,
            "changed_at": insert.excluded.changed_at,
        },
    )


def ballot_of(session: Session, round_: Round, resident: Resident) -> Ballot | None:
    return _ballot(session, round_, resident)


def _ballot(session: Session, round_: Round, resident: Resident) -> Ballot | None:
    query = select(Ballot).where(Ballot.round_id == round_.id, Ballot.resident_id == resident.id)
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
