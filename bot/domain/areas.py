"""Who takes part, and where: members, ideas and ballots per postcode area, against the
community's average, so organisers know where to knock on doors.

An area is the postcode district (or sector) as stored when a resident joined, never anything
finer. An area with fewer than MIN_MEMBERS members is never shown on its own: such areas are
counted together. Residents without an area (no postcode check, or joined before one) are
counted as "no area known"."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from models import Ballot, Community, Idea, Resident, Round
from models.states import ResidentStatus, RoundStatus

MIN_MEMBERS = 5  # k-anonymity: no area is shown with fewer members than this
LOW = 0.5  # an area is flagged under this share of the community's rate
SMALL = f"fewer than {MIN_MEMBERS} members"
UNKNOWN = "no area known"
ALL = "all members"  # the community as a whole: its average
RULE = (
    f"Flagged: an area where ballots per member, or ideas per member, are under half "
    f"the community average. Areas with fewer than {MIN_MEMBERS} members are counted "
    f"together, never shown alone."
)


@dataclass(frozen=True)
class AreaRow:
    area: str  # "E1", "E1 6", SMALL or UNKNOWN
    members: int
    ideas: int  # ideas given by these members, ever
    ballots: int  # their ballots in the round counted
    low_ballots: bool = False
    low_ideas: bool = False

    @property
    def ideas_rate(self) -> float:
        return self.ideas / self.members if self.members else 0.0

    @property
    def ballots_rate(self) -> float:
        return self.ballots / self.members if self.members else 0.0

    @property
    def flags(self) -> list[str]:
        return ["few ballots"] * self.low_ballots + ["few ideas"] * self.low_ideas


@dataclass(frozen=True)
class Turnout:
    rows: list[AreaRow]  # named areas by name, then SMALL, then UNKNOWN
    total: AreaRow  # every member: the community's average
    round_: Round | None  # the round whose ballots are counted: the open one, else the last closed

    @property
    def known(self) -> bool:
        """Whether any member has an area (a community that checks no postcodes has none)."""
        return any(row.area != UNKNOWN for row in self.rows)

    @property
    def flagged(self) -> list[AreaRow]:
        return [row for row in self.rows if row.flags]

    @property
    def rule(self) -> str:
        return RULE


def counted_round(session: Session, community: Community) -> Round | None:
    """The round whose ballots turnout is about: the open one, else the one closed last."""
    return session.scalar(
        select(Round)
        .where(
            Round.community_id == community.id,
            Round.imported.is_(False),
            Round.status.in_((RoundStatus.OPEN, RoundStatus.CLOSED)),
        )
        .order_by((Round.status == RoundStatus.OPEN).desc(), Round.closed_at.desc(), Round.id.desc())
        .limit(1)
    )


def turnout_by_area(session: Session, community: Community) -> Turnout:
    """Members who can hear us, their ideas and their ballots, counted per area in one GROUP BY.
    Paper ballots belong to nobody here, so they are in no area."""
    round_ = counted_round(session, community)
    on_ballot = (Ballot.resident_id == Resident.id) & (
        Ballot.round_id == round_.id if round_ is not None else false()
    )
    counts = session.execute(
        select(
            Resident.postcode_district,
            func.count(func.distinct(Resident.id)),
            func.count(func.distinct(Idea.id)),
            func.count(func.distinct(Ballot.id)),
        )
        .outerjoin(Idea, (Idea.author_id == Resident.id) & (Idea.community_id == community.id))
        .outerjoin(Ballot, on_ballot)
        .where(
            Resident.community_id == community.id,
            Resident.status == ResidentStatus.ACTIVE,
            Resident.opted_out.is_(False),
        )
        .group_by(Resident.postcode_district)
    ).all()
    total = _summed(ALL, [sum(r[1] for r in counts), sum(r[2] for r in counts), sum(r[3] for r in counts)])
    named, small, unknown = [], [0, 0, 0], [0, 0, 0]
    for area, members, ideas, ballots in counts:
        if area is None:
            unknown = [a + b for a, b in zip(unknown, (members, ideas, ballots), strict=True)]
        elif members < MIN_MEMBERS:
            small = [a + b for a, b in zip(small, (members, ideas, ballots), strict=True)]
        else:
            named.append(_flagged(AreaRow(area, members, ideas, ballots), total, round_))
    rows = sorted(named, key=lambda row: row.area)
    rows += [_summed(SMALL, small)] if small[0] else []
    rows += [_summed(UNKNOWN, unknown)] if unknown[0] else []
    return Turnout(rows, total, round_)


def _summed(area: str, figures: list[int]) -> AreaRow:
    members, ideas, ballots = figures
    return AreaRow(area, members, ideas, ballots)


def _flagged(row: AreaRow, total: AreaRow, round_: Round | None) -> AreaRow:
    """The row with its flags: under LOW times the community's rate (only where it has one)."""
    return AreaRow(
        row.area,
        row.members,
        row.ideas,
        row.ballots,
        low_ballots=round_ is not None and total.ballots > 0 and row.ballots_rate < LOW * total.ballots_rate,
        low_ideas=total.ideas > 0 and row.ideas_rate < LOW * total.ideas_rate,
    )


def turnout_json(turnout: Turnout) -> dict[str, Any]:
    """Turnout by area for the digest's stored figures (counts only, never who)."""

    def row(r: AreaRow) -> dict[str, Any]:
        return {
            "area": r.area,
            "members": r.members,
            "ideas": r.ideas,
            "ballots": r.ballots,
            "ideas_per_member": round(r.ideas_rate, 4),
            "ballots_per_member": round(r.ballots_rate, 4),
            "flags": r.flags,
        }

    r = turnout.round_
    return {
        "round": {"title": r.title, "status": r.status} if r is not None else None,
        "known": turnout.known,
        "rule": RULE,
        "rows": [row(x) for x in turnout.rows],
        "all": row(turnout.total),
    }
