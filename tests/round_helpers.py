"""A scheduled round made straight through the domain services, for tests of what happens to it."""

from datetime import timedelta

from bot.domain import moderation, rounds
from bot.domain.ideas import submit_idea
from bot.domain.residents import resident_for
from channels.messages import Address
from models.states import ResidentStatus


def member_of(session, community, phone, now):
    resident = resident_for(session, community, Address("sms", phone), now)
    resident.status, resident.consent_at = ResidentStatus.ACTIVE, now
    return resident


def make_round(
    db, community, now, opens_in=timedelta(hours=1), lasts=timedelta(days=2), remind_after=None, members=2
):
    """A scheduled round of two shortlisted ideas, with `members` residents who can vote."""
    with db.transaction() as session:
        community = session.merge(community)
        people = [member_of(session, community, f"+4477009002{n:02d}", now) for n in range(members)]
        for text_ in ("benches", "a mural"):
            idea = submit_idea(session, community, people[0], text_, now, cost_pence=100_000)
            moderation.shortlist(session, community, idea.number, None, now)
        opens = now + opens_in
        round_ = rounds.create_round(
            session,
            community,
            title="Park",
            method="approval",
            idea_numbers=[1, 2],
            opens_at=opens,
            closes_at=opens + lasts,
            now=now,
            remind_at=opens + remind_after if remind_after else None,
        )
        return round_.id
