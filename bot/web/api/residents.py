"""A resident's whole record, for a subject access request: POST, so the phone number travels
in the body and never in a URL (or an access log)."""

from flask import jsonify

from bot.context import now
from bot.domain.subject_access import export_record, find_resident
from bot.web.api import blueprint, community_route, field

bp = blueprint("api_residents", __name__)


@community_route(bp, "/residents/export", methods=("POST",))
def export(session, community, body):
    phone = field(body, "phone", str)
    telegram = field(body, "telegram", (str, int))
    if isinstance(telegram, int) and not isinstance(telegram, bool):
        telegram = str(telegram)
    resident = find_resident(session, community, phone, telegram)
    return jsonify(export_record(session, community, resident, now()))
