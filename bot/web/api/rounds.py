"""Rounds: create, list, show, open, close, cancel, remind, recount, export; paper ballots.

`{number}` in a path is the round's number in its community (1, 2, 3...), as the CLI takes it.
"""

from flask import Response, jsonify, request

from bot.context import now
from bot.domain import paper_ballots as paper
from bot.domain import rounds
from bot.domain.pabulib import export_pb
from bot.domain.serialise import round_json
from bot.errors import InvalidInput
from bot.text.numbers import out_of_range
from bot.text.times import parse_local
from bot.web.api import MAX_INT, MAX_NUMBER, ApiError, blueprint, community_route, field

MAX_COUNT = 2**31 - 1  # max_choices is a 32-bit integer column

bp = blueprint("api_rounds", __name__)


@community_route(bp, "/rounds")
def list_rounds(session, community, body):
    return jsonify(rounds=[round_json(session, r, community) for r in rounds.rounds_of(session, community)])


@community_route(bp, "/rounds", methods=("POST",))
def create_round(session, community, body):
    ideas = field(body, "ideas", list, required=True)
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 < n <= MAX_NUMBER for n in ideas):
        raise InvalidInput("ideas must be a list of idea numbers")
    tz = community.timezone
    remind = field(body, "remind_at", str)
    round_ = rounds.create_round(
        session,
        community,
        title=field(body, "title", str, required=True),
        method=field(body, "method", str, required=True),
        rule=field(body, "rule", str, default="greedy"),
        idea_numbers=ideas,
        opens_at=parse_local(field(body, "opens_at", str, required=True), tz),
        closes_at=parse_local(field(body, "closes_at", str, required=True), tz),
        remind_at=parse_local(remind, tz) if remind else None,
        budget_pence=field(body, "budget_pence", int),
        max_choices=_max_choices(body),
        order=field(body, "order", str, default="shuffled"),
        now=now(),
    )
    return jsonify(round_json(session, round_, community)), 201


def _max_choices(body: dict) -> int | None:
    value = field(body, "max_choices", int)
    refused = None if value is None else out_of_range(f"max_choices {value}", value, MAX_COUNT)
    if refused:
        raise InvalidInput(refused)
    return value


@community_route(bp, "/rounds/<int:number>")
def show_round(session, community, body, number):
    return jsonify(round_json(session, rounds.get_round(session, community, number), community))


def _action(name: str, action):
    @community_route(bp, f"/rounds/<int:number>/{name}", methods=("POST",), endpoint=f"{name}_round")
    def view(session, community, body, number):
        round_ = rounds.get_round(session, community, number)
        # False: it was already open or closed; None: its reminders were already sent.
        result = action(session, round_, now())
        return jsonify(
            changed=result is not False and result is not None, round=round_json(session, round_, community)
        )

    return view


_action("open", rounds.open_round)
_action("close", rounds.close_round)
_action("cancel", rounds.cancel_round)
_action("remind", rounds.remind)


@community_route(bp, "/rounds/<int:number>/recount", methods=("GET", "POST"))
def recount_round(session, community, body, number):
    """GET only reads; POST, like `round recount` and the dashboard's button, also keeps the
    recount's reasons with an outcome published before reasons were kept."""
    round_ = rounds.get_round(session, community, number)
    same, again = rounds.recount(session, round_, keep_reasons=request.method == "POST")
    by_message, on_paper = paper.ballot_counts(session, round_)
    return jsonify(
        matches_published=same, recount=again, ballots_by_message=by_message, ballots_on_paper=on_paper
    )


@community_route(bp, "/rounds/<int:number>/export")
def export_round(session, community, body, number):
    round_ = rounds.get_round(session, community, number)
    fmt = request.args.get("format", "json")
    if fmt == "pb":
        return Response(
            export_pb(session, round_, community),
            mimetype="text/plain",
            headers={"Content-Disposition": f'attachment; filename="round-{number}.pb"'},
        )
    if fmt != "json":
        raise ApiError(400, "bad_request", "format must be json or pb")
    return jsonify(round_json(session, round_, community))


# Paper and in-person ballots.


@community_route(bp, "/rounds/<int:number>/ballots")
def list_paper_ballots(session, community, body, number):
    round_ = rounds.get_round(session, community, number)
    by_message, on_paper = paper.ballot_counts(session, round_)
    return jsonify(
        ballots_by_message=by_message,
        ballots_on_paper=on_paper,
        paper=[_paper_json(b) for b in paper.paper_ballots(session, round_)],
    )


@community_route(bp, "/rounds/<int:number>/ballots", methods=("POST",))
def add_paper_ballot(session, community, body, number):
    round_ = rounds.get_round(session, community, number)
    choices = field(body, "choices", (list, str), required=True)
    if isinstance(choices, str):
        choices = paper.choices_of(choices)
    elif not all(isinstance(n, int) and not isinstance(n, bool) and 0 < n <= MAX_INT for n in choices):
        raise InvalidInput("choices must be a list of option numbers")
    elif len(set(choices)) != len(choices):
        raise InvalidInput("choices lists an option twice")
    ballot = paper.add_paper_ballot(
        session, round_, field(body, "paper_id", str, required=True), choices, now()
    )
    return jsonify(ballot=_paper_json(ballot), round=round_json(session, round_, community)), 201


@community_route(bp, "/rounds/<int:number>/ballots/import", methods=("POST",))
def import_paper_ballots(session, community, body, number):
    """A CSV (paper_id,choices) in "csv": every ballot added, or none and every bad row (422);
    with "dry_run": true, what would be added and every bad row, and nothing added."""
    round_ = rounds.get_round(session, community, number)
    text = _csv(body)
    dry_run = field(body, "dry_run", bool, default=False)
    checked = paper.check_csv(session, round_, text)
    would = [{"line": b.line, "paper_id": b.paper_id, "choices": b.choices} for b in checked.ballots]
    if checked.problems:  # the usual error, with every bad row in `problems`
        message = f"{len(checked.problems)} bad row(s): nothing {'would be' if dry_run else 'was'} added"
        return jsonify(
            error={"code": "invalid", "message": message, "problems": checked.problems},
            would_add=would if dry_run else [],
        ), 422
    if dry_run:
        return jsonify(dry_run=True, would_add=would, problems=[])
    added = paper.import_csv(session, round_, text, now())
    return jsonify(added=[_paper_json(b) for b in added], round=round_json(session, round_, community)), 201


def _csv(body: dict) -> str:
    """The "csv" field: text, of any length the request allows, that a database can hold."""
    text = body.get("csv")
    if not isinstance(text, str):
        raise InvalidInput("csv is required: the CSV's text, with columns paper_id,choices")
    if "\x00" in text:
        raise InvalidInput("csv must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("csv must be valid Unicode text (it has a lone surrogate)") from None
    return text.removeprefix("\ufeff")  # a byte-order mark, as spreadsheets save, as the CLI reads


def _paper_json(ballot) -> dict:
    return {
        "paper_id": ballot.paper_id,
        "choices": ballot.choices,
        "receipt": ballot.receipt,
        "added_at": ballot.cast_at.isoformat(),
    }
