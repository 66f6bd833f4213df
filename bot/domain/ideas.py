"""Ideas: residents give them, organisers moderate them."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.communities import MAX_NUMBER, lock_community
from bot.errors import InvalidInput, NotFound
from models import IDEA_STATUSES, Community, Idea, Resident
from models.states import IdeaStatus

MAX_IDEA_LENGTH = 500


def submit_idea(
    session: Session,
    community: Community,
    author: Resident,
    text: str,
    now: datetime,
    cost_pence: int | None = None,
) -> Idea:
    """Record a new idea with the community's next reference number."""
    text = " ".join(text.split())
    if not text:
        raise InvalidInput("an idea needs some text")
    if len(text) > MAX_IDEA_LENGTH:
        raise InvalidInput(f"an idea is at most {MAX_IDEA_LENGTH} characters")
    lock_community(session, community)  # residents giving ideas at once get distinct numbers
    number = (session.scalar(select(func.max(Idea.number)).where(Idea.community_id == community.id)) or 0) + 1
    idea = Idea(
        community_id=community.id,
        number=number,
        author_id=author.id,
        text=text,
        cost_pence=cost_pence,
        status=IdeaStatus.SUBMITTED,
        created_at=now,
    )
    session.add(idea)
    session.flush()
    return idea


def ideas_of(session: Session, community: Community, status: str | None = None) -> list[Idea]:
    """The community's ideas, newest first, optionally of one status."""
    if status is not None and status not in IDEA_STATUSES:
        raise InvalidInput(f"unknown status {status!r}; use one of {', '.join(IDEA_STATUSES)}")
    query = select(Idea).where(Idea.community_id == community.id)
    if status:
        query = query.where(Idea.status == status)
    return list(session.scalars(query.order_by(Idea.number.desc())))


def ideas_by(session: Session, author: Resident, limit: int = 5, offset: int = 0) -> list[Idea]:
    """A resident's own ideas, newest first (`limit` of them, after the `offset` newest)."""
    query = select(Idea).where(Idea.author_id == author.id).order_by(Idea.number.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def count_ideas_by(session: Session, author: Resident) -> int:
    return session.execute(
        select(func.count()).select_from(Idea).where(Idea.author_id == author.id)
    ).scalar_one()


def idea_by_number(session: Session, community: Community, number: int) -> Idea:
    """The community's idea #number; NotFound if it has none."""
    idea = None
    if number <= MAX_NUMBER:  # beyond it no row can match, and PostgreSQL refuses to look
        idea = session.scalar(select(Idea).where(Idea.community_id == community.id, Idea.number == number))
    if idea is None:
        raise NotFound(f"no idea #{number} in {community.slug}")
    return idea


def estimate_cost(idea: Idea, pence: int) -> None:
    """The author's rough cost (organisers agree a cost when they shortlist)."""
    idea.cost_pence = pence
