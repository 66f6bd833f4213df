"""Rounds: create, list, show, open, close, cancel, remind, recount, export.

`{number}` in a path is the round's number in its community (1, 2, 3...), as the CLI takes it.
"""
from flask import Response, jsonify, request

from bot.context import now
from bot.domain import rounds
from bot.domain.pabulib import export_pb
from bot.domain.serialise import round_json
from bot.errors import InvalidInput
from bot.text.times import parse_local
from bot.web.api import MAX_INT, ApiError, community_route, field

MAX_COUNT = 2**31 - 1  # max_choices is a 32-bit integer column


@community_route("/rounds")
def list_rounds(session, community, body):
    return jsonify(rounds=[round_json(session, r, community) for r in rounds.rounds_of(session, community)])


@community_route("/rounds", methods=("POST",))
def create_round(session, community, body):
    ideas = field(body, "ideas", list, required=True)
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 < n <= MAX_INT for n in ideas):
        raise InvalidInput("ideas must be a list of idea numbers")
    tz = community.timezone
    remind = field(body, "remind_at", str)
    round_ = rounds.create_round(
        session, community, title=field(body, "title", str, required=True),
        method=field(body, "method", str, required=True), rule=field(body, "rule", str, default="greedy"),
        idea_numbers=ideas, opens_at=parse_local(field(body, "opens_at", str, required=True), tz),
        closes_at=parse_local(field(body, "closes_at", str, required=True), tz),
        remind_at=parse_local(remind, tz) if remind else None,
        budget_pence=field(body, "budget_pence", int), max_choices=_max_choices(body), now=now())
    return jsonify(round_json(session, round_, community)), 201


def _max_choices(body: dict) -> int | None:
    value = field(body, "max_choices", int)
    if value is not None and not 1 <= value <= MAX_COUNT:
        raise InvalidInput(f"max_choices must be from 1 to {MAX_COUNT}")
    return value


@community_route("/rounds/<int:number>")
def show_round(session, community, body, number):
    return jsonify(round_json(session, rounds.get_round(session, community, number), community))


def _action(name: str, action):
    @community_route(f"/rounds/<int:number>/{name}", methods=("POST",), endpoint=f"{name}_round")
    def view(session, community, body, number):
        round_ = rounds.get_round(session, community, number)
        # False: it was already open or closed; None: its reminders were already sent.
        result = action(session, round_, now())
        return jsonify(changed=result is not False and result is not None,
                       round=round_json(session, round_, community))
    return view


_action("open", rounds.open_round)
_action("close", rounds.close_round)
_action("cancel", rounds.cancel_round)
_action("remind", rounds.remind)


@community_route("/rounds/<int:number>/recount")
def recount_round(session, community, body, number):
    same, again = rounds.recount(session, rounds.get_round(session, community, number))
    return jsonify(matches_published=same, recount=again)


@community_route("/rounds/<int:number>/export")
def export_round(session, community, body, number):
    round_ = rounds.get_round(session, community, number)
    fmt = request.args.get("format", "json")
    if fmt == "pb":
        return Response(export_pb(session, round_, community), mimetype="text/plain",
                        headers={"Content-Disposition": f'attachment; filename="round-{number}.pb"'})
    if fmt != "json":
        raise ApiError(400, "bad_request", "format must be json or pb")
    return jsonify(round_json(session, round_, community))
