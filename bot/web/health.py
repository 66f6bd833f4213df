"""Liveness for operators and load balancers, and a front page."""

import logging

from flask import Blueprint, current_app, jsonify, send_from_directory
from sqlalchemy import text

from bot.context import get_db

logger = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the service and its database answer, 503 otherwise."""
    try:
        with get_db().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any database failure means "not healthy"
        logger.error("health check: database unavailable: %s", type(exc).__name__)
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/")
def index():
    return (
        "<!doctype html><title>Common Purse</title>"
        "<h1>Common Purse is running</h1>"
        "<p>Residents take part by SMS and Telegram. To try the bot in a terminal: "
        "<code>commonpurse chat --community demo --as +447700900123</code></p>"
        '<p><a href="/healthz">Health</a></p>'
    )


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask every site for this: the icon, not a 404 in every page's log."""
    return send_from_directory(
        current_app.root_path + "/static", "favicon.svg", mimetype="image/svg+xml", max_age=86400
    )
