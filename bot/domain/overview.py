"""A community at a glance, for its organisers: members, ideas waiting, the round, money, what next."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.domain import ledger
from bot.domain.areas import Turnout, turnout_by_area
from bot.domain.digest import digest_due, last_completed
from bot.domain.notify import member_count
from channels.registry import CHANNELS, default_channel
from models import Ballot, Community, Idea, Identity, Resident, Round
from models.states import IdeaStatus, ResidentStatus, RoundStatus


@dataclass(frozen=True)
class Upcoming:
    what: str  # "Green spaces opens", "Weekly digest to the council"
    at: datetime


@dataclass(frozen=True)
class Overview:
    members: int
    members_by_channel: dict[str, int]  # channel title ("SMS") -> members who write on it
    waiting_ideas: int  # submitted, not yet moderated
    live_round: Round | None  # open, or else the next scheduled
    ballots: int  # residents' ballots in the live round (paper ballots are not members')
    money: ledger.BudgetSummary
    upcoming: list[Upcoming]
    areas: Turnout  # who takes part, and where

    @property
    def turnout(self) -> float:
        return self.ballots / self.members if self.members else 0.0

    @property
    def committed_unspent(self) -> int:
        return max(self.money.committed - self.money.spent, 0)

    @property
    def bar(self) -> tuple[float, float]:
        """Percent of the total spent, and committed but not yet spent (for a bar)."""
        total = max(self.money.total, 1)
        spent = min(self.money.spent * 100 / total, 100.0)
        return spent, min(self.committed_unspent * 100 / total, 100.0 - spent)


def overview(session: Session, community: Community, now: datetime) -> Overview:
    """Everything the overview page shows, counted in SQL."""
    live = session.scalar(
        select(Round)
        .where(
            Round.community_id == community.id,
            Round.imported.is_(False),
            Round.status.in_((RoundStatus.OPEN, RoundStatus.SCHEDULED)),
        )
        .order_by((Round.status == RoundStatus.OPEN).desc(), Round.opens_at)
        .limit(1)
    )
    ballots = (
        session.execute(
            select(func.count())
            .select_from(Ballot)
            .where(Ballot.round_id == live.id, Ballot.resident_id.is_not(None))
        ).scalar_one()
        if live is not None
        else 0
    )
    return Overview(
        members=member_count(session, community),
        members_by_channel=_by_channel(session, community),
        waiting_ideas=session.execute(
            select(func.count())
            .select_from(Idea)
            .where(Idea.community_id == community.id, Idea.status == IdeaStatus.SUBMITTED)
        ).scalar_one(),
        live_round=live,
        ballots=ballots,
        money=ledger.summary(session, community),
        upcoming=upcoming(session, community, now),
        areas=turnout_by_area(session, community),
    )


def upcoming(session: Session, community: Community, now: datetime) -> list[Upcoming]:
    """What the scheduler will do next for this community, soonest first."""
    found = []
    for round_ in session.scalars(
        select(Round).where(
            Round.community_id == community.id,
            Round.imported.is_(False),
            Round.status.in_((RoundStatus.OPEN, RoundStatus.SCHEDULED)),
        )
    ):
        if round_.status == RoundStatus.SCHEDULED:
            found.append(Upcoming(f"{round_.title} opens", round_.opens_at))
        if round_.remind_at is not None and round_.reminded_at is None:
            found.append(Upcoming(f"{round_.title}: reminder to those who have not voted", round_.remind_at))
        found.append(Upcoming(f"{round_.title} closes", round_.closes_at))
    if community.digest_recipients:
        week = last_completed(now, community.timezone)
        due = digest_due(week, community.digest_weekday, community.digest_time, community.timezone)
        if due <= now:
            due = digest_due(
                week.next(community.timezone),
                community.digest_weekday,
                community.digest_time,
                community.timezone,
            )
        found.append(Upcoming("Weekly digest to the council", due))
    return sorted((u for u in found if u.at > now), key=lambda u: u.at)


def _by_channel(session: Session, community: Community) -> dict[str, int]:
    """Reachable members by the channel they last wrote on (a phone never written from: SMS),
    for every channel with a title, in the registry's order; a member on two counts twice. A
    channel with no title (the console, a stand-in for a phone) counts as its kind's default."""
    kinds = {spec.identity_kind for spec in CHANNELS.values()}
    last = func.coalesce(
        Identity.last_channel, case({kind: default_channel(kind) for kind in kinds}, value=Identity.kind)
    )
    shown = {s.name: s.name if s.title else default_channel(s.identity_kind) for s in CHANNELS.values()}
    channel = case(shown, value=last, else_=last)
    rows = session.execute(
        select(channel, func.count(func.distinct(Resident.id)))
        .join(Resident, Resident.id == Identity.resident_id)
        .where(
            Resident.community_id == community.id,
            Resident.status == ResidentStatus.ACTIVE,
            Resident.opted_out.is_(False),
            Identity.unreachable.is_(None),
        )
        .group_by(channel)
    )
    counts: dict[str, int] = {name: count for name, count in rows}
    return {spec.title: counts.get(spec.name, 0) for spec in CHANNELS.values() if spec.title}
