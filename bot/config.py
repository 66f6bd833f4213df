"""Configuration: defaults, then COMMONPURSE_* environment variables, then explicit overrides."""
import os

from flask import Flask

DEFAULTS = {
    # SQLAlchemy URL; unset means a SQLite file in the instance folder.
    "DATABASE_URL": None,
    # Seconds between dispatcher polls of the outbox.
    "DISPATCH_INTERVAL": 1.0,
    # Attempts at a transient failure before an outbox row is marked failed.
    "OUTBOX_MAX_ATTEMPTS": 6,
    "LOG_LEVEL": "INFO",
}


def load_config(app: Flask, overrides: dict | None = None) -> None:
    """Fill app.config; COMMONPURSE_DATABASE_URL sets DATABASE_URL and so on."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("COMMONPURSE")
    if overrides:
        app.config.update(overrides)
    if not app.config["DATABASE_URL"]:
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "commonpurse.db")
        app.config["DATABASE_URL"] = f"sqlite:///{path}"
