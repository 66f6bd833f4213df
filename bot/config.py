"""Configuration: defaults, then COMMONPURSE_* environment variables, then explicit overrides."""

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta

from flask import Flask

DEFAULTS = {
    # SQLAlchemy URL; unset means a SQLite file in the instance folder.
    "DATABASE_URL": None,
    # Seconds between dispatcher polls of the outbox.
    "DISPATCH_INTERVAL": 1.0,
    # Attempts at a transient failure before an outbox row is marked failed.
    "OUTBOX_MAX_ATTEMPTS": 6,
    "LOG_LEVEL": "INFO",
    # The URL providers reach us at (https://purse.example.org); used to check Twilio
    # signatures behind a proxy and to build status callback URLs.
    "PUBLIC_URL": None,
    # How many proxies in front of us set X-Forwarded-* headers we may trust (0: none).
    "PROXY_FIX": 0,
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "TWILIO_MESSAGING_SERVICE_SID": None,
    # The numbers in the Messaging Service's sender pool (used only with a service): Twilio
    # spreads sends over them, so the service's cap is this many times one number's.
    "TWILIO_POOL_SIZE": 1,
    "TWILIO_API_URL": "https://api.twilio.com",
    # SMS segments a second per sending number (Twilio's default outside the US and Canada;
    # 1 for a US long code).
    "SMS_SEGMENTS_PER_SECOND": 10.0,
    # WhatsApp messages a second per sending number (WhatsApp goes through the same Twilio account).
    "WHATSAPP_MESSAGES_PER_SECOND": 20.0,
    # From @BotFather. Telegram is on when this is set.
    "TELEGRAM_BOT_TOKEN": None,
    # The secret Telegram sends back in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z a-z 0-9 _ -).
    "TELEGRAM_WEBHOOK_SECRET": None,
    "TELEGRAM_API_URL": "https://api.telegram.org/bot",
    # The bot's @username, for t.me start links on the public page.
    "TELEGRAM_BOT_USERNAME": None,
    "TELEGRAM_MESSAGES_PER_SECOND": 30.0,
    "TELEGRAM_CHAT_MESSAGES_PER_SECOND": 1.0,
    # Email for the weekly digest.
    "SMTP_HOST": None,
    "SMTP_PORT": 587,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_SECURITY": "starttls",
    "MAIL_FROM": "Common Purse <digest@localhost>",
    # Message texts and addresses older than this many days are erased (counts stay).
    "RETENTION_DAYS": 365,
    # Bytes a request body may have; Flask answers 413 beyond it.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Where verified inbound messages wait while the database is down; unset: instance/spool.
    "SPOOL_DIR": None,
    # "inline": a webhook answers a message before it acknowledges it. "worker": it stores the
    # message, acknowledges it, and a worker (`commonpurse worker`, or `serve`'s) answers it:
    # a surge of votes is taken as fast as it can be stored.
    "INBOUND_ANSWER": "inline",
    # How far `commonpurse worker` stands back from the web processes on its machine for the
    # CPU (its niceness, 0-19; 0: level with them). Under a surge webhooks are acknowledged
    # first, within providers' time limits; answers follow as the CPU frees up.
    "WORKER_NICE": 10,
    # On SQLite, the most of the database's one write lock a worker holds while messages keep
    # coming (above 0, at most 1): after each group of answers it stands aside for webhooks.
    "WORKER_LOCK_SHARE": 0.25,
    # Answers one sender gets a minute; beyond it messages are stored, not answered.
    "INBOUND_PER_MINUTE": 10,
    # Signs the dashboard's session cookies; unset: a random key kept in instance/secret_key.
    "SECRET_KEY": None,
    # How long a dashboard sign-in lasts, in seconds (8 hours).
    "SESSION_HOURS": 8,
    # Seconds added to each sign-in try per recent failure (at most four times), against guessing.
    "SIGN_IN_SLOWDOWN": 0.25,
}
ANSWER_MODES = ("inline", "worker")
# Secrets and ids that must stay text even if they look like JSON numbers.
TEXT_KEYS = (
    "DATABASE_URL",
    "PUBLIC_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_API_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_API_URL",
    "SMTP_HOST",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_SECURITY",
    "MAIL_FROM",
    "SPOOL_DIR",
    "SECRET_KEY",
    "TELEGRAM_BOT_USERNAME",
    "INBOUND_ANSWER",
)


def load_config(app: Flask, overrides: Mapping[str, object] | None = None) -> None:
    """Fill app.config; COMMONPURSE_DATABASE_URL sets DATABASE_URL and so on."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("COMMONPURSE")
    for key in TEXT_KEYS:
        if os.environ.get(f"COMMONPURSE_{key}") is not None:
            app.config[key] = os.environ[f"COMMONPURSE_{key}"]
    if overrides:
        app.config.update(overrides)
    if not app.config["DATABASE_URL"]:
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "commonpurse.db")
        app.config["DATABASE_URL"] = f"sqlite:///{path}"
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _kept_secret(app.instance_path)
    if app.config["INBOUND_ANSWER"] not in ANSWER_MODES:
        raise ValueError(
            f"COMMONPURSE_INBOUND_ANSWER must be one of {', '.join(ANSWER_MODES)}, "
            f"not {app.config['INBOUND_ANSWER']!r}"
        )
    nice = app.config["WORKER_NICE"]
    if isinstance(nice, bool) or not isinstance(nice, int) or not 0 <= nice <= 19:
        raise ValueError(f"COMMONPURSE_WORKER_NICE must be a whole number from 0 to 19, not {nice!r}")
    share = app.config["WORKER_LOCK_SHARE"]
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise ValueError(
            f"COMMONPURSE_WORKER_LOCK_SHARE must be a number above 0 and at most 1, not {share!r}"
        )
    _session_cookie(app)


def _kept_secret(folder: str) -> str:
    """A random key made once and kept in the instance folder, readable only by us, so
    sign-ins survive a restart and every process of one deployment shares it."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "secret_key")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path) as handle:
            return handle.read().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    with open(path) as handle:
        return handle.read().strip()


def _session_cookie(app: Flask) -> None:
    """The dashboard's cookie: not readable by scripts, not sent cross-site, HTTPS-only when
    the public address is HTTPS, and short-lived."""
    public = app.config.get("PUBLIC_URL") or ""
    app.config.update(
        SESSION_COOKIE_NAME="commonpurse_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=public.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=float(app.config["SESSION_HOURS"])),
    )
