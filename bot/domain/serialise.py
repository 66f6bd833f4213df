"""Stable JSON shapes for the CLI's --json and the API (field names documented in README)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import ledger
from bot.domain.explain import Reason, Weighing, reason
from bot.domain.notify import member_count
from bot.domain.paper_ballots import ballot_counts
from bot.text.money import format_pence
from bot.text.times import iso_local
from models import Ballot, Community, Idea, Round
from models.states import AllocationStatus


def community_json(community: Community) -> dict[str, Any]:
    return {
        "slug": community.slug,
        "name": community.name,
        "join_code": community.join_code,
        "sms_number": community.sms_number,
        "timezone": community.timezone,
        "languages": community.languages,
        "currency": community.currency,
        "budget_total_pence": community.budget_total_pence,
        "budget": format_pence(community.budget_total_pence),
        "verification": community.verification,
        "postcode_areas": community.postcode_areas,
        "quiet_hours": (
            None
            if community.quiet_start == community.quiet_end
            else {"start": community.quiet_start, "end": community.quiet_end}
        ),
        "created_at": community.created_at.isoformat(),
    }


def idea_json(idea: Idea) -> dict[str, Any]:
    """No author details, ever."""
    return {
        "number": idea.number,
        "text": idea.text,
        "cost_pence": idea.cost_pence,
        "cost": format_pence(idea.cost_pence) if idea.cost_pence is not None else None,
        "status": idea.status,
        "reject_reason": idea.reject_reason,
        "anonymous": idea.author_id is None,
        "created_at": idea.created_at.isoformat(),
    }


def budget_json(session: Session, community: Community) -> dict[str, Any]:
    """Totals over the entries that count; every entry, voided ones with the correction's number."""
    money = ledger.summary(session, community)
    latest = money.latest_update
    states = ledger.allocation_states(session, community)
    numbers: dict[int | None, int] = {state.allocation.id: state.allocation.number for state in states}
    corrections = ledger.corrections(session, community)
    by_spending = {c.spending_id: c.number for c in corrections if c.spending_id}
    spendings = ledger.spendings(session, community)
    spending_numbers: dict[int | None, int] = {s.id: s.number for s in spendings}
    return {
        "community": community.slug,
        "currency": community.currency,
        "total_pence": money.total,
        "committed_pence": money.committed,
        "spent_pence": money.spent,
        "remaining_pence": money.remaining,
        "latest_update": {"text": latest.text, "created_at": latest.created_at.isoformat()}
        if latest
        else None,
        "allocations": [
            {
                "id": a.id,
                "number": a.number,
                "title": a.title,
                "amount_pence": a.amount_pence,
                "spent_pence": state.spent,
                "committed_pence": state.committed,
                "status": state.status,
                "voided_by": _corrected_by(state, AllocationStatus.VOID),
                "closed_by": _corrected_by(state, AllocationStatus.CLOSED),
                "created_at": a.created_at.isoformat(),
            }
            for state in states
            for a in [state.allocation]
        ],
        "spending": [
            {
                "id": s.id,
                "number": s.number,
                "description": s.description,
                "amount_pence": s.amount_pence,
                "allocation_id": s.allocation_id,
                "allocation": numbers.get(s.allocation_id),
                "spent_on": s.spent_on.isoformat(),
                "over_allocation": s.over_allocation,
                "voided_by": by_spending.get(s.id),
            }
            for s in spendings
        ],
        "corrections": [
            {
                "number": c.number,
                "action": c.action,
                "allocation": numbers.get(c.allocation_id),
                "spending": spending_numbers.get(c.spending_id),
                "reason": c.reason,
                "organiser": c.organiser_email,
                "created_at": c.created_at.isoformat(),
            }
            for c in corrections
        ],
    }


def round_json(session: Session, round_: Round, community: Community) -> dict[str, Any]:
    tz = community.timezone
    by_message, on_paper = ballot_counts(session, round_)
    tallies = (round_.outcome or {}).get("tallies") or _live_tallies(session, round_)
    return {
        # `number` is the round's number in its community, the one commands take; `id` is
        # the global id, kept for compatibility.
        "id": round_.id,
        "number": round_.number,
        "community": community.slug,
        "title": round_.title,
        "method": round_.method,
        "rule": round_.rule,
        "max_choices": round_.max_choices,
        "order": "shuffled" if round_.ballot_order_seed else "numbered",
        "budget_pence": round_.budget_pence,
        "budget": format_pence(round_.budget_pence),
        "status": round_.status,
        "imported": round_.imported,
        "opens_at": iso_local(round_.opens_at, tz),
        "closes_at": iso_local(round_.closes_at, tz),
        "remind_at": iso_local(round_.remind_at, tz),
        "opened_at": iso_local(round_.opened_at, tz),
        "closed_at": iso_local(round_.closed_at, tz),
        "ballots": by_message + on_paper,
        # Turnout is residents' ballots against members; paper ballots come on top.
        "ballots_by_message": by_message,
        "ballots_on_paper": on_paper,
        "members": member_count(session, community),
        "options": [
            {
                "number": o.number,
                "title": o.title,
                "cost_pence": o.cost_pence,
                "cost": format_pence(o.cost_pence),
                "votes": tallies.get(str(o.number), 0),
                "explanation": explanation_json(reason(round_.outcome, o.number)),
            }
            for o in round_.options
        ],
        "outcome": round_.outcome,
    }


def _corrected_by(state: ledger.AllocationState, status: AllocationStatus) -> int | None:
    """The number of the correction that left the allocation `status`, if one did."""
    return state.correction.number if state.correction is not None and state.status == status else None


def explanation_json(why: Reason | None) -> dict[str, Any] | None:
    """Why an option was or was not funded: None for a round not counted, or counted before
    reasons were kept. `by` says whose money `left` was: the round's ("greedy") or its
    supporters' between them ("shares"); under equal shares, `round_left` is the round's own
    money then (None for a round counted before it was kept), and `round_was_short` says
    whether that, not the supporters' money, fell short of the cost."""
    if why is None:
        return None
    found = {
        "funded": why.funded,
        "votes": why.votes,
        "by": why.by,
        "left_pence": why.left_pence,
        "left": format_pence(why.left_pence),
        "cost_pence": why.cost_pence,
        "cost": format_pence(why.cost_pence),
    }
    if why.by == Weighing.SHARES:
        found.update(
            round_left_pence=why.round_left_pence,
            round_was_short=why.round_was_short,
            round_left=None if why.round_left_pence is None else format_pence(why.round_left_pence),
        )
    return found


def _live_tallies(session: Session, round_: Round) -> dict[str, int]:
    counts: dict[str, int] = {}
    for choices in session.scalars(select(Ballot.choices).where(Ballot.round_id == round_.id)):
        for number in choices:
            counts[str(number)] = counts.get(str(number), 0) + 1
    return counts
