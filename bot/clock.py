"""The time, from one place, so tests can fix it (app.config["CLOCK"])."""
from datetime import datetime

from flask import current_app

from models import utcnow


def now() -> datetime:
    return current_app.config.get("CLOCK", utcnow)()


def clock():
    """The app's clock function, for code that runs outside a request or command."""
    return current_app.config.get("CLOCK", utcnow)
