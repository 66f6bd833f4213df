"""`commonpurse telegram set-webhook|delete-webhook|poll`."""

import logging
import secrets
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from bot.cli.commands import summary
from bot.context import Database, get_db, now
from bot.messaging.channels import telegram_settings
from bot.messaging.inbound import receive
from channels.errors import SendError
from channels.telegram import ALLOWED_UPDATES, TelegramClient, read_update
from models import PollingOffset

logger = logging.getLogger(__name__)
telegram_group = AppGroup("telegram", help=summary("telegram"))


def _client() -> TelegramClient:
    if not current_app.config["TELEGRAM_BOT_TOKEN"]:
        raise click.UsageError("set COMMONPURSE_TELEGRAM_BOT_TOKEN first")
    return TelegramClient(telegram_settings(current_app))


@telegram_group.command("set-webhook", short_help="Tell Telegram where to post updates.")
def set_webhook() -> None:
    """Tell Telegram to post updates to COMMONPURSE_PUBLIC_URL/webhooks/telegram."""
    config = current_app.config
    if not config["PUBLIC_URL"] or not config["PUBLIC_URL"].startswith("https://"):
        raise click.UsageError("set COMMONPURSE_PUBLIC_URL to the https:// address Telegram can reach")
    if not config["TELEGRAM_WEBHOOK_SECRET"]:
        raise click.UsageError(
            f"set COMMONPURSE_TELEGRAM_WEBHOOK_SECRET, e.g. to {secrets.token_urlsafe(32)}"
        )
    url = config["PUBLIC_URL"].rstrip("/") + "/webhooks/telegram"
    client = _client()
    try:
        client.call(
            "set_webhook",
            url=url,
            secret_token=config["TELEGRAM_WEBHOOK_SECRET"],
            allowed_updates=ALLOWED_UPDATES,
        )
    except SendError as exc:
        raise click.ClickException(f"Telegram refused the webhook: {exc.message}") from None
    finally:
        client.close()
    click.echo(f"Telegram will post updates to {url}.")


@telegram_group.command("delete-webhook", short_help="Stop Telegram posting updates to us.")
def delete_webhook() -> None:
    """Stop Telegram posting updates (needed before `telegram poll`)."""
    client = _client()
    try:
        client.call("delete_webhook")
    except SendError as exc:
        raise click.ClickException(f"Telegram refused: {exc.message}") from None
    finally:
        client.close()
    click.echo("Telegram webhook deleted.")


@telegram_group.command("poll", short_help="Fetch updates by long polling (no public URL).")
@click.option("--once", is_flag=True, help="Handle one batch of updates, then stop.")
@click.option(
    "--timeout",
    default=25,
    show_default=True,
    type=click.IntRange(0, 50),
    help="Seconds each long poll waits for updates.",
)
def poll(once: bool, timeout: int) -> None:
    """Fetch updates by long polling, for running without a public URL."""
    db = get_db()
    db.upgrade()
    client = _client()
    try:
        while True:
            with db.transaction() as session:
                offset = _offset(session)
            try:
                updates = client.call(
                    "get_updates", offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES
                )
            except SendError as exc:
                if once:
                    raise click.ClickException(f"getUpdates failed: {exc.message}") from None
                logger.warning("getUpdates failed: %s", exc.code)
                continue
            for update in updates:
                _handle(db, client, update.to_dict())
            if once:
                click.echo(f"Handled {len(updates)} update(s).")
                return
    except KeyboardInterrupt:
        pass
    finally:
        client.close()


def _handle(db: Database, client: TelegramClient, data: dict[str, Any]) -> None:
    message, callback_id = read_update(data) or (None, None)  # an unreadable one is skipped, logged
    if message is not None:
        receive(db, message, now())  # a repeat (after a crash before the offset was saved) is ignored
    if callback_id:
        try:
            client.answer_callback(callback_id)
        except SendError as exc:
            logger.info("answerCallbackQuery failed: %s", exc.code)
    with db.transaction() as session:
        _save_offset(session, data["update_id"] + 1)


def _offset(session: Session) -> int | None:
    row = session.get(PollingOffset, "telegram")
    return row.next_update_id if row else None


def _save_offset(session: Session, next_update_id: int) -> None:
    row = session.get(PollingOffset, "telegram")
    if row is None:
        session.add(PollingOffset(channel="telegram", next_update_id=next_update_id, updated_at=now()))
    elif next_update_id > row.next_update_id:
        row.next_update_id, row.updated_at = next_update_id, now()
