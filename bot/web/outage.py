"""Pages and API calls while the database is away: a 503 with Retry-After and one log line,
rather than a 500 with a traceback for every request of the outage. (Webhooks never get here:
they spool what they are sent and answer 200.)"""

import logging

from flask import Flask, Response, jsonify, render_template_string, request
from sqlalchemy.exc import DBAPIError

from bot.messaging.spool import is_outage

logger = logging.getLogger(__name__)
RETRY_AFTER = 30  # seconds: a restart or a failover takes about this long
_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Back soon</title>
<h1>Back soon</h1><p>This page cannot be shown just now. Please try again in a minute.</p></html>"""


def init_app(app: Flask) -> None:
    app.register_error_handler(DBAPIError, unavailable)


def unavailable(exc: DBAPIError) -> tuple[Response | str, int, dict[str, str]]:
    """503 for an outage; any other database error goes on to be a 500, traceback and all."""
    if not is_outage(exc):
        raise exc
    logger.warning(
        "database unavailable: %s %s answered 503 (%s)", request.method, request.path, type(exc.orig).__name__
    )
    headers = {"Retry-After": str(RETRY_AFTER)}
    if request.path.startswith("/api/"):
        message = f"the database is unavailable; try again in {RETRY_AFTER} seconds"
        return jsonify(error={"code": "unavailable", "message": message}), 503, headers
    return render_template_string(_PAGE), 503, headers
