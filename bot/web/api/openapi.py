"""The API's OpenAPI 3.1 description, served at /api/v1/openapi.json.

It states every bound the API checks that a schema can state (enums, 1 to 9223372036854775807
for numbers, 1p to £100m, lengths, text without control characters), and every status an
operation answers; tests/test_openapi_conformance.py holds the API to it with schemathesis. What
it cannot state (a round that is not open, a closing time already past, a title that would not
fit the SMS that opens the vote), nor what the state of things refuses (a round that is not
open), is a 422 whose message says what is wrong.
"""

from typing import Any

from flask import jsonify

from bot.domain.paper_ballots import PAPER_ID_MAX
from bot.domain.rounds import BALLOT_ORDERS
from bot.text.money import MAX_PENCE
from bot.text.round_messages import TITLE_MAX
from bot.web.api import MAX_INT, MAX_NUMBER, MAX_TEXT, blueprint
from models.idea import IDEA_STATUSES
from models.round import ROUND_METHODS, ROUND_RULES

bp = blueprint("api", __name__)  # its one route is api.openapi

ERROR = {"$ref": "#/components/responses/Error"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_NUMBER}
PENCE = {"type": "integer", "minimum": 1, "maximum": MAX_PENCE, "description": "in pence"}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
NUMBER = {
    "name": "number",
    "in": "path",
    "required": True,
    "schema": ID,
    "description": "The idea's or round's number in its community (1, 2, 3...)",
}
# What organisers' words may not hold (bot.text.organiser_text.refuse_controls): C0 and C1
# controls but tab and newline, and format characters (Unicode Cf: bidirectional overrides,
# zero-width spaces, soft hyphens) but the joiners. tests/test_api.py checks it against the code.
REFUSED = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b"
    "\u200e-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)


def words(most: int, least: int = 1) -> dict:
    """An organiser's text: not blank, no control or format characters, at most `most` long."""
    return {
        "type": "string",
        "minLength": least,
        "maxLength": most,
        "pattern": f"^[^{REFUSED}]*[^\\s{REFUSED}][^{REFUSED}]*$",
    }


# The same, where blank means none (closing an allocation needs no reason).
UNSAID = {"type": "string", "maxLength": MAX_TEXT, "pattern": f"^[^{REFUSED}]*$"}


def _op(
    summary: str,
    params=(),
    body: dict | None = None,
    ok: str = "200",
    schema: str = "Object",
    query=(),
    also: tuple[str, ...] = (),
) -> dict:
    """An operation: `ok` with `schema`, or an error: 422 also when the request is well formed but
    the state of things refuses it (a round that is not open, an idea already shortlisted)."""
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
            "503": {"$ref": "#/components/responses/Unavailable"},
            **{code: ERROR for code in also},
        },
    }
    if body is not None:
        needed = bool(body["required"] or body.get("anyOf"))  # else no body is an empty object
        op["requestBody"] = {"required": needed, "content": {"application/json": {"schema": body}}}
        op["responses"]["400"] = ERROR  # not a JSON object, or nested too deeply
        op["responses"]["413"] = ERROR  # a body over MAX_CONTENT_LENGTH
    return op


def _obj(required: list[str], **props) -> dict:
    return {
        "type": "object",
        "required": required,
        "properties": {k: v if k in required else nullable(v) for k, v in props.items()},
    }


def nullable(schema: dict) -> dict:
    """A field that may be left out: as the API reads a body, null is the same."""
    return {"anyOf": [schema, {"type": "null"}]}


INT, STR, BOOL = {"type": "integer"}, {"type": "string"}, {"type": "boolean"}
TIME = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601, between 1970 and 2999; without an offset (2026-12-01 18:00), in the "
    "community's timezone",
}
REASON = words(MAX_TEXT)
# Part of the community a message goes to (bot.domain.segments): every criterion given holds.
AUDIENCE = {
    **_obj(
        [],
        areas={"type": "array", "items": STR},
        languages={"type": "array", "items": STR},
        channels={"type": "array", "items": STR},
        voted_in=ID,
        not_voted_in=ID,
        authors_in=ID,
    ),
    "additionalProperties": False,
}
C = "/communities/{slug}"
R = C + "/rounds/{number}"

PAPER_ID = {
    "type": "string",
    "maxLength": PAPER_ID_MAX,
    "pattern": "^[A-Za-z0-9][A-Za-z0-9._/-]*$",
    "description": "As written on the paper (P-0042); stored in upper case",
}
CHOICES = {
    "oneOf": [
        {
            "type": "array",
            "items": {**INT, "minimum": 1, "maximum": MAX_INT},
            "minItems": 1,
            "uniqueItems": True,
        },
        {"type": "string", "pattern": "^\\s*\\d{1,9}(\\s*[,;\\s]\\s*\\d{1,9})*\\s*$", "description": "1,3"},
    ]
}

PATHS = {
    "/communities": {"get": _op("Communities you run")},
    C: {"get": _op("A community", [SLUG], schema="Community")},
    C + "/ideas": {
        "get": _op(
            "Ideas, newest first, each with its likely duplicates",
            [SLUG],
            query=[
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"enum": [*IDEA_STATUSES, ""]},
                    "description": "only ideas of this status; left out or empty, every idea",
                }
            ],
        )
    },
    C + "/ideas/{number}/shortlist": {
        "post": _op(
            "Shortlist an idea (its author is told)",
            [SLUG, NUMBER],
            _obj([], cost_pence={**PENCE, "description": "in pence; left out, the idea's own estimate"}),
            schema="Idea",
        )
    },
    C + "/ideas/{number}/reject": {
        "post": _op(
            "Reject an idea with a reason", [SLUG, NUMBER], _obj(["reason"], reason=REASON), schema="Idea"
        )
    },
    C + "/ideas/{number}/merge": {
        "post": _op(
            "Merge a duplicate into another idea", [SLUG, NUMBER], _obj(["into"], into=ID), schema="Idea"
        )
    },
    C + "/rounds": {
        "get": _op("Rounds, newest first", [SLUG]),
        "post": _op(
            "Schedule a round of shortlisted ideas (a title that would not fit the SMS that opens "
            "the vote, in GSM-7, is refused with 422)",
            [SLUG],
            _obj(
                ["title", "method", "ideas", "opens_at", "closes_at"],
                title=words(TITLE_MAX, least=3),
                method={"enum": list(ROUND_METHODS)},
                rule={"enum": list(ROUND_RULES)},
                ideas={"type": "array", "items": ID, "minItems": 2, "uniqueItems": True},
                opens_at=TIME,
                closes_at=TIME,
                remind_at=TIME,
                budget_pence={**PENCE, "description": "in pence; budget rounds need it"},
                max_choices={**INT, "minimum": 1, "maximum": 2**31 - 1, "description": "approval rounds"},
                order={"enum": list(BALLOT_ORDERS)},
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
            _obj(["paper_id", "choices"], paper_id=PAPER_ID, choices=CHOICES),
            ok="201",
        ),
    },
    R + "/ballots/import": {
        "post": _op(
            "Add paper ballots from a CSV (paper_id,choices): all (201), or none and every bad row "
            "in error.problems (422); with dry_run, what would be added (200)",
            [SLUG, NUMBER],
            _obj(["csv"], csv=STR, dry_run=BOOL),
            ok="201",
            also=("200",),
        )
    },
    R + "/export": {
        "get": _op(
            "The round as JSON, or pabulib .pb text",
            [SLUG, NUMBER],
            query=[{"name": "format", "in": "query", "schema": {"enum": ["json", "pb"]}}],
            also=("400",),
        )
    },
    C + "/budget": {
        "get": _op("Total, committed, spent, remaining; allocations and spending", [SLUG], schema="Budget")
    },
    C + "/budget/allocations": {
        "post": _op(
            "Commit money to a project",
            [SLUG],
            _obj(["title", "amount_pence"], title=words(200), amount_pence=PENCE, idea=ID),
            ok="201",
        )
    },
    C + "/budget/spending": {
        "post": _op(
            "Record money paid out",
            [SLUG],
            _obj(
                ["description", "amount_pence"],
                description=words(200),
                amount_pence=PENCE,
                allocation_id=ID,
                spent_on={
                    "anyOf": [{"type": "string", "format": "date"}, {"const": ""}],
                    "description": "not after today; left out or empty, today",
                },
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
                text=words(MAX_TEXT),
                broadcast=BOOL,
                yes=BOOL,
                to={**AUDIENCE, "description": "who gets it (needs broadcast: true)"},
            ),
            ok="201",
        )
    },
    # The council's services, and ideas referred to them (the email goes once committed).
    C + "/services": {
        "get": _op("The council's services ideas can be referred to", [SLUG]),
        "post": _op(
            "Add a service, or change its email",
            [SLUG],
            _obj(["name", "email"], name=STR, email=STR),
            ok="201",
        ),
    },
    C + "/services/remove": {"post": _op("Take a service off the list", [SLUG], _obj(["name"], name=STR))},
    C + "/referrals": {"get": _op("Referred ideas: service, latest answer, days waiting", [SLUG])},
    C + "/ideas/{number}/refer": {
        "post": _op(
            "Refer an idea to a service: its authors are told, the service emailed a link",
            [SLUG, NUMBER],
            _obj(["service"], service=STR),
            ok="201",
        )
    },
    C + "/ideas/{number}/send-again": {
        "post": _op("Email the service of the idea's referral a new link", [SLUG, NUMBER], _obj([]))
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

# .pb text as well as JSON.
PATHS[R + "/export"]["get"]["responses"]["200"]["content"]["text/plain"] = {"schema": STR}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Common Purse organiser API",
        "version": "1",
        "description": "Every request needs `Authorization: Bearer <token>` "
        "(`commonpurse token create`); it is refused (403 `two_factor_required`) while a community "
        "its organiser runs requires two-factor sign-in they have not set up. Money is in integer pence.",
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
            },
            "Unavailable": {
                "description": "The database is away: try again after Retry-After seconds",
                "headers": {"Retry-After": {"schema": INT}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
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
