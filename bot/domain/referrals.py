"""Ideas referred to a council service instead of a vote, and the service's answers.

An organiser refers an idea (its author is told); the service is emailed a signed link
(bot.messaging.referrals) and answers there, as often as it likes: will do by a date,
scheduled for a date, already done, or not ours / won't do with a reason. Each answer is
kept, and the idea's author and the authors of the duplicates merged into it hear it, each in
their own language and channel, as news that waits out quiet hours."""

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.council_services import service_by_name
from bot.domain.ideas import idea_by_number
from bot.domain.moderation import OPEN, VOICE_IDEA_TEXT, authors
from bot.domain.notify import notify
from bot.errors import InvalidInput, NotFound
from bot.text.clean import visible
from bot.text.organiser_text import plain, refuse_controls
from bot.text.times import Moment
from models import Community, CouncilService, Idea, Referral, ReferralReply, Round, RoundOption
from models.states import IdeaStatus, ReferralAnswer, RoundStatus

LINK_LIFE = timedelta(days=60)
MAX_REASON = 500
# What an organiser can refer: an idea not yet decided, one a vote or organisers turned down,
# and one referred already whose service said it is not theirs (to try another).
REFERABLE = (*OPEN, IdeaStatus.NOT_FUNDED, IdeaStatus.REJECTED)
DATED = (ReferralAnswer.WILL_DO, ReferralAnswer.SCHEDULED)
# How organisers and services type an answer, and how a page shows it.
ANSWER_WORDS = {
    ReferralAnswer.WILL_DO: "will do",
    ReferralAnswer.SCHEDULED: "scheduled",
    ReferralAnswer.DONE: "already done",
    ReferralAnswer.DECLINED: "not ours / won't do",
}


@dataclass(frozen=True)
class Support:
    votes: int | None  # in the closed rounds it was an option of; None if it never was
    similar: int  # ideas marked duplicates of it (merged into it)


@dataclass(frozen=True)
class ReferralView:
    referral: Referral
    idea: Idea
    service: CouncilService
    replies: tuple[ReferralReply, ...]  # oldest first

    @property
    def latest(self) -> ReferralReply | None:
        return self.replies[-1] if self.replies else None

    @property
    def title(self) -> str:
        return visible(self.idea.text)


def refer(session: Session, community: Community, number: int, service_name: str, now: datetime) -> Referral:
    """Pass an idea to a council service instead of a vote; its authors are told. The email
    with the service's link goes once this is committed (bot.messaging.referrals)."""
    idea = idea_by_number(session, community, number)
    service = service_by_name(session, community, service_name)
    if idea.recording_sid is not None and idea.text == VOICE_IDEA_TEXT:
        raise InvalidInput(f"idea #{number} is a voice message: type up what the caller said first")
    latest = latest_referral(session, idea)
    declined = latest is not None and latest.status == ReferralAnswer.DECLINED
    if idea.status not in REFERABLE and not (idea.status == IdeaStatus.REFERRED and declined):
        raise InvalidInput(
            f"idea #{number} is {_words(idea.status)}: only submitted, shortlisted, not funded or "
            "rejected ideas (or one a service said is not theirs) can be referred"
        )
    idea.status, idea.reject_reason = IdeaStatus.REFERRED, None
    referral = Referral(
        community_id=community.id,
        idea_id=idea.id,
        service_id=service.id,
        created_at=now,
        link_version=1,
        link_expires_at=now + LINK_LIFE,
    )
    session.add(referral)
    session.flush()
    for author in authors(session, idea):
        notify(
            session,
            community,
            author,
            "referral_sent",
            now,
            number=idea.number,
            service=service.name,
            key=f"referral-sent:{referral.id}:{author.id}",
        )
    return referral


def send_again(session: Session, community: Community, number: int, now: datetime) -> Referral:
    """A new link for the idea's latest referral (the old one stops working), to be emailed."""
    idea = idea_by_number(session, community, number)
    referral = latest_referral(session, idea)
    if referral is None or idea.status != IdeaStatus.REFERRED:
        raise InvalidInput(f"idea #{number} is not referred to a service: refer it first")
    referral.link_version += 1
    referral.link_expires_at = now + LINK_LIFE
    referral.emailed_at, referral.email_error = None, None
    session.flush()
    return referral


def answer(
    session: Session,
    community: Community,
    referral: Referral,
    kind: str,
    now: datetime,
    *,
    on: date | None = None,
    reason: str | None = None,
) -> ReferralReply:
    """Record the service's answer and tell the idea's authors. Will do and scheduled need a
    date (today or later); not ours / won't do needs a reason."""
    try:
        chosen = ReferralAnswer(kind)
    except ValueError:
        raise InvalidInput("choose an answer", field="answer") from None
    today = now.astimezone(ZoneInfo(community.timezone)).date()
    if chosen in DATED:
        if on is None:
            raise InvalidInput("give the date", field="on_date")
        if on < today:
            raise InvalidInput(f"the date must be today ({today.isoformat()}) or later", field="on_date")
        if on.year > 2999:
            raise InvalidInput("the date is too far ahead", field="on_date")
    text = plain(refuse_controls(reason or "", "the reason"))
    if chosen == ReferralAnswer.DECLINED and not text:
        raise InvalidInput("say why: residents are told the reason", field="reason")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"the reason is at most {MAX_REASON} characters", field="reason")
    reply = ReferralReply(
        community_id=community.id,
        referral_id=referral.id,
        answer=chosen,
        on_date=on if chosen in DATED else None,
        reason=text or None if chosen == ReferralAnswer.DECLINED else None,
        created_at=now,
    )
    session.add(reply)
    referral.status = chosen
    if referral.first_answered_at is None:
        referral.first_answered_at = now
    session.flush()
    _tell(session, community, referral, reply, now)
    return reply


def _tell(
    session: Session, community: Community, referral: Referral, reply: ReferralReply, now: datetime
) -> None:
    idea = session.get_one(Idea, referral.idea_id)
    service = session.get_one(CouncilService, referral.service_id)
    values: dict[str, Any] = {"number": idea.number, "service": service.name}
    if reply.on_date is not None:
        noon = datetime.combine(reply.on_date, time(12), ZoneInfo(community.timezone))
        values["date"] = Moment(noon, community.timezone, with_time=False)
    if reply.reason:
        values["reason"] = reply.reason
    for author in authors(session, idea):
        notify(
            session,
            community,
            author,
            f"referral_{reply.answer}",
            now,
            key=f"referral-answer:{reply.id}:{author.id}",
            **values,
        )


def latest_referral(session: Session, idea: Idea) -> Referral | None:
    return session.scalar(
        select(Referral).where(Referral.idea_id == idea.id).order_by(Referral.id.desc()).limit(1)
    )


def view_of(session: Session, referral: Referral) -> ReferralView:
    replies = session.scalars(
        select(ReferralReply).where(ReferralReply.referral_id == referral.id).order_by(ReferralReply.id)
    )
    return ReferralView(
        referral,
        session.get_one(Idea, referral.idea_id),
        session.get_one(CouncilService, referral.service_id),
        tuple(replies),
    )


def referrals_of(session: Session, community: Community) -> list[ReferralView]:
    """Every referral of the community, newest first, each idea's latest only."""
    rows = session.scalars(
        select(Referral).where(Referral.community_id == community.id).order_by(Referral.id.desc())
    )
    seen: set[int] = set()
    views = []
    for referral in rows:
        if referral.idea_id not in seen:
            seen.add(referral.idea_id)
            views.append(view_of(session, referral))
    return views


def referral_of_idea(session: Session, community: Community, number: int) -> ReferralView:
    referral = latest_referral(session, idea_by_number(session, community, number))
    if referral is None:
        raise NotFound(f"idea #{number} was never referred to a service")
    return view_of(session, referral)


def support(session: Session, idea: Idea) -> Support:
    """What the service is told of an idea's backing: votes on ballots, and similar ideas."""
    rounds = session.execute(
        select(Round.outcome, RoundOption.number)
        .join(RoundOption, RoundOption.round_id == Round.id)
        .where(RoundOption.idea_id == idea.id, Round.status == RoundStatus.CLOSED, Round.imported.is_(False))
    ).all()
    votes = sum(int(((outcome or {}).get("tallies") or {}).get(str(n), 0)) for outcome, n in rounds)
    similar = session.execute(
        select(func.count()).select_from(Idea).where(Idea.merged_into_id == idea.id)
    ).scalar_one()
    return Support(votes if rounds else None, similar)


def days_waiting(referral: Referral, now: datetime) -> int:
    """Whole days since it was referred, to its first answer (or to now, unanswered)."""
    end = referral.first_answered_at or now
    return max(0, (end - referral.created_at).days)


def median_days_to_answer(session: Session, community: Community, before: datetime) -> float | None:
    """The median time from referral to the service's first answer (given before `before`), in
    days; None if none yet."""
    spans = session.execute(
        select(Referral.created_at, Referral.first_answered_at).where(
            Referral.community_id == community.id,
            Referral.first_answered_at.is_not(None),
            Referral.first_answered_at < before,
        )
    ).all()
    days = [(answered - made).total_seconds() / 86400 for made, answered in spans if answered is not None]
    return statistics.median(days) if days else None


def digest_json(session: Session, community: Community, at: datetime) -> dict[str, Any]:
    """For the weekly digest, as things stood at `at`: referrals still unanswered, oldest first,
    with their ages in days, and the median days to an answer."""
    waiting = [
        {
            "idea": v.idea.number,
            "title": v.title,
            "service": v.service.name,
            "days": (at - v.referral.created_at).days,
        }
        for v in reversed(referrals_of(session, community))
        if v.referral.created_at < at
        and (v.referral.first_answered_at is None or v.referral.first_answered_at >= at)
    ]
    return {"unanswered": waiting, "median_days_to_answer": median_days_to_answer(session, community, at)}


def status_words(view: ReferralView) -> str:
    """ "waiting for an answer", "scheduled for 2027-01-15", "not ours / won't do: ..."."""
    reply = view.latest
    if reply is None:
        return "waiting for an answer"
    words = ANSWER_WORDS[ReferralAnswer(reply.answer)]
    if reply.on_date is not None:
        words += (" by " if reply.answer == ReferralAnswer.WILL_DO else " for ") + reply.on_date.isoformat()
    return words + (f": {reply.reason}" if reply.reason else "")


def referral_json(view: ReferralView, now: datetime) -> dict[str, Any]:
    """A referral for the CLI's --json and the API (never a resident's details)."""
    r = view.referral
    return {
        "idea": view.idea.number,
        "title": view.title,
        "service": view.service.name,
        "referred_at": r.created_at.isoformat(),
        "status": r.status or "waiting",
        "status_words": status_words(view),
        "days_waiting": days_waiting(r, now),
        "link_expires_at": r.link_expires_at.isoformat(),
        "emailed_at": r.emailed_at.isoformat() if r.emailed_at else None,
        "email_error": r.email_error,
        "answers": [
            {
                "answer": a.answer,
                "date": a.on_date.isoformat() if a.on_date else None,
                "reason": a.reason,
                "at": a.created_at.isoformat(),
            }
            for a in view.replies
        ],
    }


def _words(status: str) -> str:
    return status.replace("_", " ")
