"""A round as JSON for the CLI and the API (field names documented in README)."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.money import format_pence
from bot.notify import members
from bot.times import iso_local
from models import Ballot, Community, Round


def round_json(session: Session, round_: Round, community: Community) -> dict:
    tz = community.timezone
    ballots = session.scalar(select(func.count()).select_from(Ballot)
                             .where(Ballot.round_id == round_.id)) or 0
    tallies = (round_.outcome or {}).get("tallies") or _live_tallies(session, round_)
    return {
        "id": round_.id, "community": community.slug, "title": round_.title,
        "method": round_.method, "rule": round_.rule, "max_choices": round_.max_choices,
        "budget_pence": round_.budget_pence, "budget": format_pence(round_.budget_pence),
        "status": round_.status, "imported": round_.imported,
        "opens_at": iso_local(round_.opens_at, tz), "closes_at": iso_local(round_.closes_at, tz),
        "remind_at": iso_local(round_.remind_at, tz), "opened_at": iso_local(round_.opened_at, tz),
        "closed_at": iso_local(round_.closed_at, tz), "ballots": ballots,
        "members": len(members(session, community)),
        "options": [{"number": o.number, "title": o.title, "cost_pence": o.cost_pence,
                     "cost": format_pence(o.cost_pence), "votes": tallies.get(str(o.number), 0)}
                    for o in round_.options],
        "outcome": round_.outcome,
    }


def _live_tallies(session: Session, round_: Round) -> dict[str, int]:
    counts: dict[str, int] = {}
    for choices in session.scalars(select(Ballot.choices).where(Ballot.round_id == round_.id)):
        for number in choices:
            counts[str(number)] = counts.get(str(number), 0) + 1
    return counts
