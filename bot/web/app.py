"""The Flask application factory."""

import logging

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from bot import context
from bot.config import load_config
from bot.domain import audit  # noqa: F401  (records organisers' changes as they are flushed)
from bot.web import api, dashboard, health, public, webhooks


def create_app(config: dict | None = None) -> Flask:
    """Build the web app. It never starts a scheduler or a dispatcher itself."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    configure_logging(app.config["LOG_LEVEL"])
    context.init_app(app)
    app.register_blueprint(health.bp)
    webhooks.init_app(app)
    api.init_app(app)
    dashboard.init_app(app)
    app.register_blueprint(public.bp)
    _protect_forms(app)
    proxies = int(app.config["PROXY_FIX"])
    if proxies:
        # As Flask's docs wrap it; mypy sees only that wsgi_app is a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies, x_prefix=proxies
        )
    return app


def _protect_forms(app: Flask) -> None:
    """CSRF tokens on every form post; providers' webhooks and the bearer-token API are not
    forms (they carry their own proof), so they are exempt."""
    csrf = CSRFProtect(app)
    for name in ("twilio", "telegram", "api"):
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Telegram API URLs contain the bot token: httpx logs them at INFO, telegram.Bot at DEBUG.
    for name in ("httpx", "httpcore", "telegram"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # One line per job run (the lease renews every 30 s) drowns everything else.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    # The twilio client logs every request, with phone numbers and message text, at INFO.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
