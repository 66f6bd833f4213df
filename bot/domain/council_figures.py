"""A council's communities, one line each: counts and money only, never who."""

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain import ledger
from bot.domain.notify import member_count
from models import Ballot, Community, Council, Idea, Referral, Round


@dataclass(frozen=True)
class CommunityLine:
    slug: str
    name: str
    members: int  # members who can hear us now (active, not opted out)
    ideas: int  # every idea residents have given
    latest_round: str | None  # the title of the round that opened last
    ballots: int  # residents' ballots in it
    turnout: float  # those ballots over today's members (0 without a round)
    total_pence: int
    committed_pence: int
    spent_pence: int
    referrals_waiting: int  # ideas referred to a council service that has not answered yet
    oldest_referral_days: int | None  # how long the longest-waiting of them has waited

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def community_line(session: Session, community: Community, now: datetime) -> CommunityLine:
    members = member_count(session, community)
    latest = session.scalar(
        select(Round)
        .where(Round.community_id == community.id, Round.imported.is_(False), Round.opened_at.is_not(None))
        .order_by(Round.opened_at.desc(), Round.id.desc())
        .limit(1)
    )
    ballots = 0
    if latest is not None:
        ballots = session.execute(
            select(func.count())
            .select_from(Ballot)
            .where(Ballot.round_id == latest.id, Ballot.resident_id.is_not(None))
        ).scalar_one()
    money = ledger.summary(session, community)
    waiting, oldest = session.execute(
        select(func.count(), func.min(Referral.created_at)).where(
            Referral.community_id == community.id, Referral.first_answered_at.is_(None)
        )
    ).one()
    return CommunityLine(
        slug=community.slug,
        name=community.name,
        members=members,
        ideas=session.execute(
            select(func.count()).select_from(Idea).where(Idea.community_id == community.id)
        ).scalar_one(),
        latest_round=latest.title if latest is not None else None,
        ballots=ballots,
        turnout=min(ballots / members, 1.0) if members else 0.0,
        total_pence=money.total,
        committed_pence=money.committed,
        spent_pence=money.spent,
        referrals_waiting=waiting,
        oldest_referral_days=(now - oldest).days if oldest is not None else None,
    )


def council_lines(session: Session, council: Council, now: datetime) -> list[CommunityLine]:
    """Every community the council follows, by name."""
    lines = (community_line(session, c, now) for c in council.communities)
    return sorted(lines, key=lambda line: line.name)
