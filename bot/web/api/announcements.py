"""Announcements: news to members that is not about the money, to everyone or to part of the
community (as `commonpurse announce`)."""

from flask import jsonify

from bot.context import now
from bot.domain.announcements import announce, announcement_cost
from bot.errors import InvalidInput
from bot.web.api import MAX_TEXT, blueprint, community_route, field
from bot.web.api.money import audience_of
from bot.web.api.openapi import AUDIENCE, BOOL, PATHS, SLUG, C, _obj, _op, words

bp = blueprint("api_announcements", __name__)


@community_route(bp, "/announcements", methods=("POST",))
def post_announcement(session, community, body):
    """Send an announcement. As `announce` asks first, one that costs more than two SMS
    segments each, or whose text would reach residents shortened, is refused unless yes: true."""
    text = field(body, "text", str, required=True)
    yes = field(body, "yes", bool, default=False)
    to = audience_of(session, community, body.get("to"))
    cost = announcement_cost(session, community, text, now(), to)
    if cost.worth_asking and not yes:
        why = "the text does not fit whole" if cost.shortened else f"{cost.segments} segments each"
        raise InvalidInput(
            f"not sent: {why} (up to {cost.total} SMS segments); each member "
            f"would get: {cost.message!r}; send yes: true to send it anyway"
        )
    announcement, sent = announce(session, community, text, now(), to)
    each = {
        "message": cost.message,
        "encoding": cost.encoding,
        "segments": cost.segments,
        "shortened": cost.shortened,
        # members reached on WhatsApp instead of by SMS: not counted in segments
        "whatsapp": {"messages": cost.whatsapp, "templates": cost.whatsapp_templates},
    }
    return jsonify(id=announcement.id, audience=announcement.audience, sent=sent, each=each), 201


PATHS[C + "/announcements"] = {
    "post": _op(
        "Send news that is not about the money (BUDGET goes on showing the budget news) to every "
        "member, or to those matching `to`; refused, 422, if nobody matches, or if it costs over "
        "two SMS segments each or would shorten the text, unless yes is true",
        [SLUG],
        _obj(
            ["text"],
            text=words(MAX_TEXT),
            yes=BOOL,
            to={**AUDIENCE, "description": "who gets it (everyone, if left out)"},
        ),
        ok="201",
    )
}
