"""The budget ledger: show, allocate, spend, post (and broadcast) updates."""
from datetime import date

from flask import jsonify

from bot.context import now
from bot.domain import ledger
from bot.domain.serialise import budget_json
from bot.errors import InvalidInput
from bot.web.api import community_route, field


@community_route("/budget")
def show_budget(session, community, body):
    return jsonify(budget_json(session, community))


@community_route("/budget/allocations", methods=("POST",))
def allocate(session, community, body):
    allocation = ledger.allocate(session, community, title=field(body, "title", str, required=True),
                                 amount_pence=field(body, "amount_pence", int, required=True),
                                 idea_number=field(body, "idea", int), now=now())
    return jsonify(id=allocation.id, budget=budget_json(session, community)), 201


@community_route("/budget/spending", methods=("POST",))
def spend(session, community, body):
    spent_on = field(body, "spent_on", str)
    try:
        day = date.fromisoformat(spent_on) if spent_on else now().date()
    except ValueError:
        raise InvalidInput("spent_on must be a date like 2026-11-20") from None
    entry = ledger.spend(session, community, description=field(body, "description", str, required=True),
                         amount_pence=field(body, "amount_pence", int, required=True),
                         allocation_id=field(body, "allocation_id", int), spent_on=day, now=now())
    return jsonify(id=entry.id, budget=budget_json(session, community)), 201


@community_route("/budget/updates", methods=("POST",))
def post_update(session, community, body):
    update = ledger.post_update(session, community, field(body, "text", str, required=True), now())
    sent = ledger.broadcast_update(session, community, update, now()) \
        if field(body, "broadcast", bool, default=False) else 0
    return jsonify(id=update.id, sent=sent), 201
