"""The Flask application factory."""
import logging

from flask import Flask

from bot import db, health
from bot.config import load_config


def create_app(config: dict | None = None) -> Flask:
    """Build the web app. It never starts a scheduler or a dispatcher itself."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    configure_logging(app.config["LOG_LEVEL"])
    db.init_app(app)
    app.register_blueprint(health.bp)
    return app


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs request URLs at INFO, and Telegram URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
