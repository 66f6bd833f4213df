"""Organisers moderate ideas; each idea's author hears what happened to it."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.ideas import MAX_IDEA_LENGTH, idea_by_number
from bot.domain.notify import notify
from bot.errors import InvalidInput
from bot.text.money import MAX_PENCE, Money, format_pence
from bot.text.organiser_text import refuse_controls
from models import Community, Idea, Referral, Resident
from models.states import IdeaStatus, ReferralAnswer

OPEN = (IdeaStatus.SUBMITTED, IdeaStatus.SHORTLISTED)
# Ideas organisers may put forward again: one a vote did not fund, one turned down and since
# reconsidered, one referred to a council service (that said it will not do it).
RECONSIDERED = (IdeaStatus.NOT_FUNDED, IdeaStatus.REJECTED, IdeaStatus.REFERRED)


def _declined(session: Session, idea: Idea) -> bool:
    """Whether the service the idea was last referred to said it is not theirs, or will not do it."""
    status = session.scalar(
        select(Referral.status).where(Referral.idea_id == idea.id).order_by(Referral.id.desc()).limit(1)
    )
    return status == ReferralAnswer.DECLINED


def shortlist(
    session: Session, community: Community, number: int, cost_pence: int | None, now: datetime
) -> Idea:
    """Put an idea forward for a vote, at the cost organisers agreed: a new one, or one that
    was not funded or was rejected (its author hears it is back on the shortlist)."""
    idea = idea_by_number(session, community, number)
    if idea.recording_sid is not None and idea.text == VOICE_IDEA_TEXT:
        # Its words would reach every member's ballot, the public page and the .pb file.
        raise InvalidInput(f"idea #{number} is a voice message: type up what the caller said first")
    if idea.status not in OPEN + RECONSIDERED:
        raise InvalidInput(
            f"idea #{number} is {idea.status}: only submitted, not funded or "
            "rejected ideas can be shortlisted"
        )
    if idea.status == IdeaStatus.REFERRED and not _declined(session, idea):
        # Its service may still answer: a vote on it meanwhile would have residents told both.
        raise InvalidInput(
            f"idea #{number} is with a council service that has not said no: it can be shortlisted "
            "once the service says it is not theirs"
        )
    if cost_pence is not None and not 0 < cost_pence <= MAX_PENCE:
        raise InvalidInput(f"the cost must be more than £0 and at most {format_pence(MAX_PENCE)}")
    cost = cost_pence if cost_pence is not None else idea.cost_pence
    if cost is None or cost <= 0:
        raise InvalidInput(f"idea #{number} has no cost yet: give the cost to shortlist it at")
    was = idea.status
    idea.status, idea.cost_pence, idea.reject_reason = IdeaStatus.SHORTLISTED, cost, None
    if was != IdeaStatus.SHORTLISTED:
        key = "idea_shortlisted_again" if was in RECONSIDERED else "idea_shortlisted"
        for author in authors(session, idea):
            notify(session, community, author, key, now, number=idea.number, cost=Money(cost))
    return idea


def reject(session: Session, community: Community, number: int, reason: str, now: datetime) -> Idea:
    """Decline an idea, with a reason its author is told."""
    reason = " ".join(refuse_controls(reason, "the reason").split())
    if not reason:
        raise InvalidInput("say why the idea is rejected: a reason is required")
    idea = idea_by_number(session, community, number)
    if idea.status not in OPEN:
        raise InvalidInput(f"idea #{number} is {idea.status}: it cannot be rejected now")
    idea.status, idea.reject_reason = IdeaStatus.REJECTED, reason
    for author in authors(session, idea):
        notify(session, community, author, "idea_rejected", now, number=idea.number, reason=reason)
    return idea


def merge(session: Session, community: Community, number: int, into: int, now: datetime) -> Idea:
    """Fold a duplicate into another idea; both authors are credited with the one that stays."""
    if number == into:
        raise InvalidInput("an idea cannot be merged into itself")
    duplicate, target = idea_by_number(session, community, number), idea_by_number(session, community, into)
    for idea in (duplicate, target):
        if idea.status not in OPEN:
            raise InvalidInput(f"idea #{idea.number} is {idea.status}: it cannot be merged now")
    duplicate.status, duplicate.merged_into_id = IdeaStatus.MERGED, target.id
    # Ideas merged into the duplicate before move on with it (credit chains stay one step
    # long), and their authors hear where they ended up: the idea they were told of is gone.
    earlier = list(session.scalars(select(Idea).where(Idea.merged_into_id == duplicate.id)))
    for idea in [duplicate, *earlier]:
        idea.merged_into_id = target.id
        for author in _authors_of([idea], session):
            notify(session, community, author, "idea_merged", now, number=idea.number, into=target.number)
    return target


# The text an idea left as a voice message has until an organiser types what was said.
VOICE_IDEA_TEXT = "Voice message, to be typed up"


def type_up(session: Session, community: Community, number: int, text: str) -> Idea:
    """Give an idea left as a voice message the words an organiser heard in it (its title from
    then on, as if it had been texted); nobody is told, as nothing about it has changed."""
    idea = idea_by_number(session, community, number)
    if idea.recording_sid is None:
        raise InvalidInput(
            f"idea #{number} was written, not spoken: its words are the author's", field="text"
        )
    if idea.status not in OPEN:
        raise InvalidInput(f"idea #{number} is {idea.status}: only open ideas can be typed up", field="text")
    text = " ".join(refuse_controls(text, "text").split())
    if not text:
        raise InvalidInput("type what the caller said", field="text")
    if len(text) > MAX_IDEA_LENGTH:
        raise InvalidInput(f"an idea is at most {MAX_IDEA_LENGTH} characters", field="text")
    idea.text = text
    return idea


def authors(session: Session, idea: Idea) -> list[Resident]:
    """The idea's author and the authors of the duplicates merged into it."""
    merged = list(session.scalars(select(Idea).where(Idea.merged_into_id == idea.id)))
    return _authors_of([idea, *merged], session)


def _authors_of(ideas: list[Idea], session: Session) -> list[Resident]:
    ids = {i.author_id for i in ideas if i.author_id is not None}
    return [session.get_one(Resident, i) for i in sorted(ids)]
