"""Part of the community: who a budget update goes to when not everyone should get it.

A segment is criteria, never a list of people: postcode areas, languages, channels, having
voted or not in a round, having given an idea that went into a round. Every criterion given
must hold (areas, languages and channels each match any of theirs). The audit trail and the
digest keep its description ("not voted in round 2, area RM9"), never who matched."""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from bot.domain.communities import by_number
from bot.domain.notify import reader_language, used_channel
from bot.domain.postcode import normalise_area
from bot.errors import InvalidInput
from channels.registry import CHANNELS
from models import Ballot, Community, Idea, Resident, Round, RoundOption


@dataclass(frozen=True)
class Segment:
    areas: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    voted_in: int | None = None  # a round's number
    not_voted_in: int | None = None
    authors_in: int | None = None

    @property
    def everyone(self) -> bool:
        return not (
            self.areas
            or self.languages
            or self.channels
            or self.voted_in is not None
            or self.not_voted_in is not None
            or self.authors_in is not None
        )

    def describe(self) -> str:
        """ "not voted in round 2, area RM9": what the audit trail and the digest keep."""
        parts = []
        if self.voted_in is not None:
            parts.append(f"voted in round {self.voted_in}")
        if self.not_voted_in is not None:
            parts.append(f"not voted in round {self.not_voted_in}")
        if self.authors_in is not None:
            parts.append(f"authors of ideas in round {self.authors_in}")
        for name, values in (("area", self.areas), ("language", self.languages), ("channel", self.channels)):
            if values:
                parts.append(f"{name}{'s' if len(values) > 1 else ''} {', '.join(values)}")
        return ", ".join(parts) or "all members"


def segment(
    community: Community,
    *,
    areas: list[str] | tuple[str, ...] = (),
    languages: list[str] | tuple[str, ...] = (),
    channels: list[str] | tuple[str, ...] = (),
    voted_in: int | None = None,
    not_voted_in: int | None = None,
    authors_in: int | None = None,
) -> Segment:
    """Check an organiser's criteria (one line naming the bad one) and make the segment."""
    normal = []
    for area in areas:
        found = normalise_area(area)
        if found is None:
            raise InvalidInput(f"postcode area {area!r} is not like RM9 or RM9 6", field="areas")
        normal.append(found)
    codes = [code.strip().lower() for code in languages]
    unknown = [code for code in codes if code not in community.languages]
    if unknown:
        raise InvalidInput(
            f"{', '.join(unknown)} is not offered here: choose from {', '.join(community.languages)}",
            field="languages",
        )
    names = [name.strip().lower() for name in channels]
    texting = [name for name, s in CHANNELS.items() if s.sends_text]
    odd = [name for name in names if name not in texting]
    if odd:
        raise InvalidInput(f"no channel {', '.join(odd)}: choose from {', '.join(texting)}", field="channels")
    if voted_in is not None and voted_in == not_voted_in:
        raise InvalidInput("a member cannot have both voted and not voted in one round", field="voted")
    return Segment(
        tuple(dict.fromkeys(normal)),
        tuple(dict.fromkeys(codes)),
        tuple(dict.fromkeys(names)),
        voted_in,
        not_voted_in,
        authors_in,
    )


def condition(session: Session, community: Community, chosen: Segment) -> ColumnElement[bool] | None:
    """The segment as a condition on Resident (with the identity a broadcast reaches joined or
    not: channels are looked up on their own); None for everyone. NotFound for an unknown round."""
    if chosen.everyone:
        return None
    conditions: list[ColumnElement[bool]] = []
    if chosen.areas:
        district = Resident.postcode_district
        conditions.append(or_(*(or_(district == a, district.startswith(a + " ")) for a in chosen.areas)))
    if chosen.languages:
        conditions.append(reader_language(community).in_(chosen.languages))
    if chosen.channels:
        conditions.append(used_channel().in_(chosen.channels))
    if chosen.voted_in is not None:
        conditions.append(_voted(session, community, chosen.voted_in))
    if chosen.not_voted_in is not None:
        conditions.append(~_voted(session, community, chosen.not_voted_in))
    if chosen.authors_in is not None:
        round_ = by_number(session, Round, community, chosen.authors_in, "round")
        conditions.append(
            exists().where(
                Idea.author_id == Resident.id,
                Idea.id.in_(select(RoundOption.idea_id).where(RoundOption.round_id == round_.id))
                | Idea.merged_into_id.in_(
                    select(RoundOption.idea_id).where(
                        RoundOption.round_id == round_.id, RoundOption.idea_id.is_not(None)
                    )
                ),
            )
        )
    return and_(*conditions)


def _voted(session: Session, community: Community, number: int) -> ColumnElement[bool]:
    round_ = by_number(session, Round, community, number, "round")
    return exists().where(Ballot.round_id == round_.id, Ballot.resident_id == Resident.id)
