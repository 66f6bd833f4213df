"""Communities and ideas: list (each open idea with its likely duplicates), shortlist, reject,
merge."""

from flask import jsonify, request

from bot.context import now
from bot.domain import duplicates, moderation
from bot.domain.ideas import ideas_of
from bot.domain.serialise import community_json, idea_json
from bot.web.api import MAX_NUMBER, authenticated, blueprint, community_route, field

bp = blueprint("api_ideas", __name__)


@bp.get("/communities")
@authenticated
def communities(session, organiser):
    return jsonify(communities=[community_json(c) for c in organiser.communities])


@community_route(bp, "")
def community(session, community, body):
    return jsonify(community_json(community))


@community_route(bp, "/ideas")
def ideas(session, community, body):
    status = request.args.get("status") or None
    shown = ideas_of(session, community, status)
    found = duplicates.duplicates_among(ideas_of(session, community)) if shown else {}
    return jsonify(ideas=[{**idea_json(i), "duplicates": duplicates.as_json(found, i.number)} for i in shown])


@community_route(bp, "/ideas/<int:number>/shortlist", methods=("POST",))
def shortlist(session, community, body, number):
    cost = field(body, "cost_pence", int)
    return jsonify(idea_json(moderation.shortlist(session, community, number, cost, now())))


@community_route(bp, "/ideas/<int:number>/reject", methods=("POST",))
def reject(session, community, body, number):
    reason = field(body, "reason", str, required=True)
    return jsonify(idea_json(moderation.reject(session, community, number, reason, now())))


@community_route(bp, "/ideas/<int:number>/merge", methods=("POST",))
def merge(session, community, body, number):
    into = field(body, "into", int, required=True, most=MAX_NUMBER)
    return jsonify(idea_json(moderation.merge(session, community, number, into, now())))
