"""The budget ledger: show, allocate, spend, correct (void, close), post (and broadcast) updates."""

from datetime import date

from flask import g, jsonify
from sqlalchemy.orm import Session

from bot.context import now
from bot.domain import ledger
from bot.domain.segments import Segment, condition, segment
from bot.domain.serialise import budget_json
from bot.errors import InvalidInput
from bot.web.api import blueprint, community_route, field, number
from bot.web.api.openapi import ID, NUMBER, PATHS, REASON, SLUG, UNSAID, _obj, _op, nullable
from models import Community, Organiser

bp = blueprint("api_money", __name__)


@community_route(bp, "/budget")
def show_budget(session, community, body):
    return jsonify(budget_json(session, community))


@community_route(bp, "/budget/allocations", methods=("POST",))
def allocate(session, community, body):
    allocation = ledger.allocate(
        session,
        community,
        title=field(body, "title", str, required=True),
        amount_pence=field(body, "amount_pence", int, required=True),
        idea_number=number(body, "idea"),
        now=now(),
    )
    return jsonify(id=allocation.id, number=allocation.number, budget=budget_json(session, community)), 201


@community_route(bp, "/budget/spending", methods=("POST",))
def spend(session, community, body):
    spent_on = field(body, "spent_on", str)
    try:
        day = date.fromisoformat(spent_on) if spent_on else now().date()
    except ValueError:
        raise InvalidInput("spent_on must be a date like 2026-11-20") from None
    try:
        entry = ledger.spend(
            session,
            community,
            description=field(body, "description", str, required=True),
            amount_pence=field(body, "amount_pence", int, required=True),
            allocation_number=number(body, "allocation"),
            allocation_id=number(body, "allocation_id"),
            over_allocation=field(body, "over_allocation", bool, default=False),
            spent_on=day,
            now=now(),
        )
    except ledger.Overspend as exc:
        raise InvalidInput(f"{exc}; send over_allocation: true to record it anyway") from None
    return jsonify(
        id=entry.id,
        number=entry.number,
        over_allocation=entry.over_allocation,
        budget=budget_json(session, community),
    ), 201


@community_route(bp, "/budget/spending/<int:number>/void", methods=("POST",))
def void_spending(session, community, body, number):
    correction = ledger.void_spending(
        session,
        community,
        number,
        now=now(),
        reason=field(body, "reason", str, required=True),
        organiser=_organiser_email(session),
    )
    return jsonify(correction=correction.number, budget=budget_json(session, community)), 201


@community_route(bp, "/budget/allocations/<int:number>/void", methods=("POST",))
def void_allocation(session, community, body, number):
    correction = ledger.void_allocation(
        session,
        community,
        number,
        now=now(),
        reason=field(body, "reason", str, required=True),
        organiser=_organiser_email(session),
    )
    return jsonify(correction=correction.number, budget=budget_json(session, community)), 201


@community_route(bp, "/budget/allocations/<int:number>/close", methods=("POST",))
def close_allocation(session, community, body, number):
    correction = ledger.close_allocation(
        session,
        community,
        number,
        now=now(),
        reason=field(body, "reason", str),
        organiser=_organiser_email(session),
    )
    return jsonify(correction=correction.number, budget=budget_json(session, community)), 201


@community_route(bp, "/budget/updates", methods=("POST",))
def post_update(session, community, body):
    """Post an update; with broadcast, send it to every member, once. As `budget update
    --broadcast` asks first, a broadcast that costs more than two SMS segments each, or whose
    text would reach residents shortened, is refused unless the body says yes: true."""
    text = field(body, "text", str, required=True)
    broadcast = field(body, "broadcast", bool, default=False)
    yes = field(body, "yes", bool, default=False)  # checked even when there is nothing to ask
    to = audience_of(session, community, body.get("to"))
    if to is not None and not broadcast:
        raise InvalidInput("to (who gets it) needs broadcast: true", field="to")
    cost = None
    if broadcast:
        cost = ledger.broadcast_cost(session, community, text, now(), to)
        if cost.worth_asking and not yes:
            why = "the text does not fit whole" if cost.shortened else f"{cost.segments} segments each"
            raise InvalidInput(
                f"not sent: {why} (up to {cost.total} SMS segments); each member "
                f"would get: {cost.message!r}; send yes: true to send it anyway"
            )
    update = ledger.post_update(session, community, text, now())
    sent = ledger.broadcast_update(session, community, update, now(), to) if broadcast else 0
    each = (
        None
        if cost is None
        else {
            "message": cost.message,
            "encoding": cost.encoding,
            "segments": cost.segments,
            "shortened": cost.shortened,
            # members reached on WhatsApp instead of by SMS: not counted in segments
            "whatsapp": {"messages": cost.whatsapp, "templates": cost.whatsapp_templates},
        }
    )
    return jsonify(id=update.id, sent=sent, each=each), 201


_LISTS, _ROUNDS = ("areas", "languages", "channels"), ("voted_in", "not_voted_in", "authors_in")


def audience_of(session: Session, community: Community, given: object) -> Segment | None:
    """The `to` of a budget update or an announcement: criteria for part of the community
    (bot.domain.segments)."""
    if given is None:
        return None
    if not isinstance(given, dict):
        raise InvalidInput('to must be an object, e.g. {"not_voted_in": 2, "areas": ["RM9"]}', field="to")
    unknown = sorted(set(given) - {*_LISTS, *_ROUNDS})
    if unknown:
        raise InvalidInput(f"to has no field {unknown[0]!r}", field="to")
    lists: dict[str, list[str]] = {}
    for name in _LISTS:
        value = given.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInput(f"to.{name} must be a list of strings", field="to")
        lists[name] = value
    rounds: dict[str, int | None] = {}
    for name in _ROUNDS:
        number = given.get(name)
        if number is not None and (isinstance(number, bool) or not isinstance(number, int) or number < 1):
            raise InvalidInput(f"to.{name} must be a round's number", field="to")
        rounds[name] = number
    to = segment(
        community,
        areas=lists["areas"],
        languages=lists["languages"],
        channels=lists["channels"],
        voted_in=rounds["voted_in"],
        not_voted_in=rounds["not_voted_in"],
        authors_in=rounds["authors_in"],
    )
    condition(session, community, to)  # an unknown round: 404 now, not mid-send
    return to


def _organiser_email(session) -> str:
    """Corrections made through the API are signed by the token's organiser."""
    return session.get(Organiser, g.organiser_id).email


# The correcting routes and the new spending fields, in the OpenAPI document beside the rest.
_SPENDING = PATHS["/communities/{slug}/budget/spending"]["post"]["requestBody"]["content"]
_SPENDING["application/json"]["schema"]["properties"].update(
    allocation=nullable({**ID, "description": "the allocation's number in this community"}),
    over_allocation=nullable({"type": "boolean", "description": "record it beyond what is left"}),
)
PATHS["/communities/{slug}/budget/spending/{number}/void"] = {
    "post": _op(
        "Void a spending (a correcting entry; the original stays on record)",
        [SLUG, NUMBER],
        _obj(["reason"], reason=REASON),
        ok="201",
    )
}
PATHS["/communities/{slug}/budget/allocations/{number}/void"] = {
    "post": _op(
        "Void an allocation with nothing spent against it",
        [SLUG, NUMBER],
        _obj(["reason"], reason=REASON),
        ok="201",
    )
}
PATHS["/communities/{slug}/budget/allocations/{number}/close"] = {
    "post": _op(
        "Close an allocation: it keeps what was spent, the rest goes back to decide",
        [SLUG, NUMBER],
        _obj([], reason=UNSAID),
        ok="201",
    )
}
