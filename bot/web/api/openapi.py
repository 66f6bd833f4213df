"""The API's OpenAPI 3.1 description, served at /api/v1/openapi.json (a test keeps it complete)."""

from typing import Any

from flask import jsonify

from bot.web.api import blueprint

bp = blueprint("api", __name__)  # its one route is api.openapi

ERROR = {"$ref": "#/components/responses/Error"}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
NUMBER = {
    "name": "number",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
    "description": "The idea's or round's number in its community (1, 2, 3...)",
}


def _op(
    summary: str, params=(), body: dict | None = None, ok: str = "200", schema: str = "Object", query=()
) -> dict:
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": [*params, *query],
        "responses": {
            ok: {
                "description": "OK",
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
            },
            "401": ERROR,
            "404": ERROR,
            "422": ERROR,
        },
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        op["responses"]["400"] = ERROR
        op["responses"]["413"] = ERROR  # a body over MAX_CONTENT_LENGTH
    return op


def _obj(required: list[str], **props) -> dict:
    return {"type": "object", "required": required, "properties": props}


INT, STR, BOOL = {"type": "integer"}, {"type": "string"}, {"type": "boolean"}
TIME = {"type": "string", "description": "ISO 8601; without an offset, in the community's timezone"}
C = "/communities/{slug}"
R = C + "/rounds/{number}"

PATHS = {
    "/communities": {"get": _op("Communities you run")},
    C: {"get": _op("A community", [SLUG], schema="Community")},
    C + "/ideas": {
        "get": _op(
            "Ideas, newest first, each with its likely duplicates",
            [SLUG],
            query=[{"name": "status", "in": "query", "schema": STR}],
        )
    },
    C + "/ideas/{number}/shortlist": {
        "post": _op(
            "Shortlist an idea (its author is told)", [SLUG, NUMBER], _obj([], cost_pence=INT), schema="Idea"
        )
    },
    C + "/ideas/{number}/reject": {
        "post": _op(
            "Reject an idea with a reason", [SLUG, NUMBER], _obj(["reason"], reason=STR), schema="Idea"
        )
    },
    C + "/ideas/{number}/merge": {
        "post": _op(
            "Merge a duplicate into another idea", [SLUG, NUMBER], _obj(["into"], into=INT), schema="Idea"
        )
    },
    C + "/rounds": {
        "get": _op("Rounds, newest first", [SLUG]),
        "post": _op(
            "Schedule a round of shortlisted ideas",
            [SLUG],
            _obj(
                ["title", "method", "ideas", "opens_at", "closes_at"],
                title=STR,
                method={"enum": ["choose-one", "approval", "budget"]},
                rule={"enum": ["greedy", "equal-shares"]},
                ideas={"type": "array", "items": INT},
                opens_at=TIME,
                closes_at=TIME,
                remind_at=TIME,
                budget_pence=INT,
                max_choices=INT,
                order={"enum": ["shuffled", "numbered"]},
            ),
            ok="201",
            schema="Round",
        ),
    },
    R: {"get": _op("A round with live turnout or its outcome", [SLUG, NUMBER], schema="Round")},
    **{
        R + f"/{action}": {"post": _op(summary, [SLUG, NUMBER])}
        for action, summary in [
            ("open", "Open voting now and send the ballot (once)"),
            ("close", "Close, count, fund winners, send results (once)"),
            ("cancel", "Cancel a round"),
            ("remind", "Remind members who have not voted (once)"),
        ]
    },
    R + "/recount": {
        "get": _op(
            "Recount from the stored ballots (and how many came on paper); writes nothing", [SLUG, NUMBER]
        ),
        "post": _op("Recount, and keep the reasons with an outcome published without them", [SLUG, NUMBER]),
    },
    R + "/ballots": {
        "get": _op("Ballots by message and on paper; the paper ballots", [SLUG, NUMBER]),
        "post": _op(
            "Add a paper ballot to an open round",
            [SLUG, NUMBER],
            _obj(
                ["paper_id", "choices"],
                paper_id={**STR, "description": "As written on the paper"},
                choices={"oneOf": [{"type": "array", "items": INT}, {**STR, "description": "1,3"}]},
            ),
            ok="201",
        ),
    },
    R + "/ballots/import": {
        "post": _op(
            "Add paper ballots from a CSV (paper_id,choices): all, or none and every bad row in "
            "error.problems",
            [SLUG, NUMBER],
            _obj(["csv"], csv=STR, dry_run=BOOL),
            ok="201",
        )
    },
    R + "/export": {
        "get": _op(
            "The round as JSON, or pabulib .pb text",
            [SLUG, NUMBER],
            query=[{"name": "format", "in": "query", "schema": {"enum": ["json", "pb"]}}],
        )
    },
    C + "/budget": {
        "get": _op("Total, committed, spent, remaining; allocations and spending", [SLUG], schema="Budget")
    },
    C + "/budget/allocations": {
        "post": _op(
            "Commit money to a project",
            [SLUG],
            _obj(["title", "amount_pence"], title=STR, amount_pence=INT, idea=INT),
            ok="201",
        )
    },
    C + "/budget/spending": {
        "post": _op(
            "Record money paid out",
            [SLUG],
            _obj(
                ["description", "amount_pence"],
                description=STR,
                amount_pence=INT,
                allocation_id=INT,
                spent_on={"type": "string", "format": "date"},
            ),
            ok="201",
        )
    },
    C + "/budget/updates": {
        "post": _op(
            "Post a budget update, optionally sent to every member, or to those matching `to` "
            "(refused, 422, if that costs over two SMS segments each or would shorten the text, "
            "unless yes is true)",
            [SLUG],
            _obj(
                ["text"],
                text=STR,
                broadcast=BOOL,
                yes=BOOL,
                to=_obj(
                    [],
                    areas={"type": "array", "items": STR},
                    languages={"type": "array", "items": STR},
                    channels={"type": "array", "items": STR},
                    voted_in=INT,
                    not_voted_in=INT,
                    authors_in=INT,
                ),
            ),
            ok="201",
        )
    },
}

PATHS[C + "/residents/export"] = {
    "post": _op(
        "A resident's whole record, for a subject access request (audited); found by phone "
        "number or Telegram chat id, exactly one of them",
        [SLUG],
        {
            **_obj(
                [],
                phone={**STR, "minLength": 1, "maxLength": 40, "description": "Any format: +447700900123"},
                telegram={"type": ["string", "integer"], "description": "A Telegram chat id"},
            ),
            "oneOf": [{"required": ["phone"]}, {"required": ["telegram"]}],
        },
        schema="ResidentRecord",
    )
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Common Purse organiser API",
        "version": "1",
        "description": "Every request needs `Authorization: Bearer <token>` "
        "(`commonpurse token create`). Money is in integer pence.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "responses": {
            "Error": {
                "description": "Refused",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        },
        "schemas": {
            "Object": {"type": "object"},
            "Error": _obj(["error"], error=_obj(["code", "message"], code=STR, message=STR)),
            "Community": _obj(["slug", "name"], slug=STR, name=STR, budget_total_pence=INT),
            "Idea": _obj(
                ["number", "text", "status"],
                number=INT,
                text=STR,
                status=STR,
                cost_pence={"type": ["integer", "null"]},
                duplicates={
                    "type": "array",
                    "description": "likely duplicates, best first (in the ideas list)",
                    "items": _obj(
                        ["number", "score"], number=INT, score={**INT, "description": "similarity 0-100"}
                    ),
                },
            ),
            "Round": _obj(
                ["id", "number", "status", "options"],
                title=STR,
                status=STR,
                method=STR,
                id={**INT, "description": "Global id, kept for compatibility"},
                number={**INT, "description": "The round's number in its community: the one paths take"},
                imported=BOOL,
                rule=STR,
                ballots=INT,
                members=INT,
                options={"type": "array"},
                outcome={"type": ["object", "null"]},
            ),
            "ResidentRecord": _obj(
                ["community", "resident", "identities", "consent", "ideas", "ballots"],
                community=_obj(["slug", "name"], slug=STR, name=STR),
                exported_at=STR,
                retention_days={**INT, "description": "Message texts older than this are erased"},
                resident={"type": "object"},
                identities={"type": "array", "items": {"type": "object"}},
                consent={
                    "type": "array",
                    "items": _obj(
                        ["change", "channel", "at"],
                        change={"enum": ["consented", "stopped", "started", "carrier_stopped"]},
                        channel=STR,
                        wording={"type": ["string", "null"], "description": "key/language/sha256 prefix"},
                        at=STR,
                    ),
                },
                ideas={"type": "array", "items": {"type": "object"}},
                ballots={"type": "array", "items": {"type": "object"}},
                messages_in={"type": "array", "items": {"type": "object"}},
                messages_out={"type": "array", "items": {"type": "object"}},
                inbox={"type": "array", "items": {"type": "object"}},
            ),
            "Budget": _obj(
                ["total_pence", "committed_pence", "spent_pence", "remaining_pence"],
                total_pence=INT,
                committed_pence=INT,
                spent_pence=INT,
                remaining_pence=INT,
            ),
        },
    },
}


@bp.get("/openapi.json")
def openapi():
    return jsonify(DOCUMENT)
