"""Telegram: a webhook blueprint for updates, and python-telegram-bot's Bot used as a client.

Translates only: it checks the webhook's secret token, turns updates into InboundMessage
values for the callback it was given, and turns OutboundMessage values into Bot API calls
(choices as inline keyboards), raising typed errors the dispatcher understands.

python-telegram-bot is imported where it is used (parsing an update, the client, its errors),
not here: every `commonpurse` command imports this module through the registry, and the
library costs a third of a second to load.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import re
import threading
from collections.abc import Callable, Coroutine, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Blueprint, abort, jsonify, request

from channels.base import (
    ChannelSpec,
    CommunityBy,
    Config,
    OnMessage,
    OnReport,
    number_setting,
    text_setting,
)
from channels.errors import PermanentSendError, SendError, TransientSendError
from channels.messages import Address, InboundMessage, OutboundMessage, SharedContact
from channels.pacing import Pace, Pacer, Pacing, SendCap, in_memory

if TYPE_CHECKING:
    from flask import Response
    from telegram import Bot, InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, User
    from telegram.error import RetryAfter

T = TypeVar("T")

logger = logging.getLogger(__name__)
# Opt in to python-telegram-bot's coming behaviour (time periods as timedelta); without it,
# every flood-control error raises a deprecation warning inside the library. Set before the
# library is first imported, which is never earlier than this module.
os.environ.setdefault("PTB_TIMEDELTA", "true")

NAME = "telegram"
DEFAULT_API_URL = "https://api.telegram.org/bot"
ALLOWED_UPDATES = ["message", "callback_query"]
MAX_BODY = 64 * 1024  # an update is a few kB
# What a malformed update raises while it is read: a date of 10**20 overflows, a list as a text
# has no .strip, and so on.
_UNREADABLE = (LookupError, AttributeError, TypeError, ValueError, ArithmeticError, RecursionError)
MAX_DEPTH = 64  # an update nests about 10 deep; cleaning and storing it recurse
MAX_BUTTONS = 100  # the Bot API refuses an inline keyboard of more ("reply markup is too long")


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    api_url: str = DEFAULT_API_URL
    messages_per_second: float = 30.0
    chat_messages_per_second: float = 1.0
    timeout: float = 20.0


def parse_update(data: dict[str, Any]) -> tuple[InboundMessage | None, str | None]:
    """An update as (message for the engine, callback query id to answer); None for updates we ignore."""
    from telegram import Update

    update = Update.de_json(data, None)  # it checks no types: a text may be a list
    _whole(update.update_id, "update_id")
    received = datetime.now(UTC)
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat if query.message else None
        _text(query.id, "callback_query.id")
        if chat is None or chat.type != "private" or not query.data:
            return None, query.id
        _whole(chat.id, "chat id")
        _text(query.data, "callback_query.data")
        return InboundMessage(
            Address(NAME, str(chat.id)),
            query.data,
            str(update.update_id),
            received,
            payload=query.data,
            raw=data,
            language=_language(query.from_user),
        ), query.id
    message = update.message
    if message is None or message.chat.type != "private":
        return None, None  # edits, channel posts, groups, membership changes: nothing to answer
    _whole(message.chat.id, "chat id")
    _text(message.text, "message.text")
    _text(message.caption, "message.caption")
    contact = None
    if message.contact is not None:
        own = message.from_user is not None and message.contact.user_id == message.from_user.id
        phone = message.contact.phone_number
        contact = SharedContact(phone if phone.startswith("+") else "+" + phone, own)
    text = message.text or message.caption or ""
    return InboundMessage(
        Address(NAME, str(message.chat.id)),
        text,
        str(update.update_id),
        received,
        raw=data,
        contact=contact,
        language=_language(message.from_user),
    ), None


def read_update(data: dict[str, Any]) -> tuple[InboundMessage | None, str | None] | None:
    """`parse_update`, or None for an update that cannot be read (logged once): it is nobody's
    message, and whoever sent it is acknowledged all the same, so it never comes again."""
    from telegram.error import TelegramError

    try:
        return parse_update(data)
    except (TelegramError, *_UNREADABLE):
        update_id = data.get("update_id")
        logger.warning(
            "Telegram update %s could not be read; ignored", update_id if type(update_id) is int else "?"
        )
        return None


def _deeper_than(value: object, limit: int) -> bool:
    """Whether JSON `value` nests more than `limit` deep (counted without recursion)."""
    level: list[object] = [value]
    for _ in range(limit + 1):
        level = [inner for outer in level for inner in _inside(outer)]
        if not level:
            return False
    return True


def _inside(value: object) -> Iterable[object]:
    if isinstance(value, dict):
        return value.values()
    return value if isinstance(value, list) else ()


def _whole(value: object, what: str) -> None:
    """ValueError unless `value` is an integer as the Bot API sends one (64-bit at most)."""
    if type(value) is not int or not -(2**63) < value < 2**63:
        raise ValueError(f"{what} is not an integer")


def _text(value: object, what: str) -> None:
    """ValueError unless `value` is a string or absent."""
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{what} is not text")


def _language(user: User | None) -> str | None:
    """The language the resident's Telegram app is set to ("cy", "pl"), without the region."""
    code = getattr(user, "language_code", None)
    return code.split("-")[0].lower() if code else None


def webhook_blueprint(
    config: Callable[[], Config], on_message: OnMessage, on_report: OnReport | None = None
) -> Blueprint:
    """POST /webhooks/telegram, checked against the secret token given to setWebhook.

    Telegram sends no delivery reports: `on_report` is never called."""
    bp = Blueprint("telegram", __name__, url_prefix="/webhooks/telegram")

    @bp.post("")
    def webhook() -> Response:
        if (request.content_length or 0) > MAX_BODY:
            abort(413)
        expected = text_setting(config(), "TELEGRAM_WEBHOOK_SECRET")
        # Spaces around a header's value are not part of it (RFC 9110); some servers trim them.
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").strip(" \t")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            logger.warning("Telegram webhook refused: bad or missing secret token")
            abort(403)
        # A malformed update is acknowledged (Telegram retries anything else for ever), logged
        # once and dropped: it is nobody's message.
        try:
            data = request.get_json(silent=True)
        except RecursionError:  # nested thousands deep: json gives up on the stack, not a ValueError
            data = None
        if not isinstance(data, dict) or "update_id" not in data or _deeper_than(data, MAX_DEPTH):
            logger.warning("Telegram webhook body is not an update; ignored")
            return jsonify({})
        read = read_update(data)
        if read is None:
            return jsonify({})
        message, callback_id = read
        if message is not None:
            on_message(message)
        if callback_id:  # answer the button press in the webhook reply: no extra request
            return jsonify(method="answerCallbackQuery", callback_query_id=callback_id)
        return jsonify({})

    return bp


class TelegramClient:
    """A Bot on its own event loop thread, so synchronous code can call it safely.

    A Bot belongs to the loop it first ran on; this one never changes loop.
    """

    name = NAME

    def __init__(
        self,
        settings: TelegramSettings,
        pacer: Pace | None = None,
        chat_pacer: Pace | None = None,
        pacing: Pacing = in_memory,
    ):
        self.settings = settings
        # The bot's cap is kept as far as `pacing` shares it (across workers, in the worker);
        # the softer one per chat in this process only (a row per chat would grow with the
        # members, and Telegram's retry_after covers a chat two workers reach at once).
        self.pacer = pacer or pacing(NAME, settings.messages_per_second)
        self.chat_pacer = chat_pacer or Pacer(settings.chat_messages_per_second)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="telegram", daemon=True)
        self._thread.start()
        self._bot: Bot | None = None
        self._lock = threading.Lock()

    def _run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(
            timeout or self.settings.timeout * 3
        )

    def _ready_bot(self) -> Bot:
        with self._lock:
            if self._bot is None:
                from telegram import Bot

                async def start() -> Bot:
                    bot = Bot(self.settings.token, base_url=self.settings.api_url)
                    await bot.initialize()
                    return bot

                self._bot = self._run(start())
            return self._bot

    def call(self, method: str, **kwargs: Any) -> Any:
        """Call a Bot method by name, mapping failures to our typed errors. What it returns
        depends on the method named: Any is the honest type."""
        with _typed_errors():
            bot = self._ready_bot()
            return self._run(getattr(bot, method)(**kwargs))

    def send(self, message: OutboundMessage) -> str:
        chat_id = message.address.user_id
        with _typed_errors():
            self._ready_bot()  # getMe first, so pacing times the sends themselves
        self.chat_pacer.wait(chat_id)
        self.pacer.wait("all")
        sent: Message = self.call(
            "send_message", chat_id=int(chat_id), text=message.text, reply_markup=_keyboard(message)
        )
        return str(sent.message_id)

    def answer_callback(self, callback_id: str) -> None:
        self.call("answer_callback_query", callback_query_id=callback_id)

    def close(self) -> None:
        if self._bot is not None:
            try:
                self._run(self._bot.shutdown())
            except Exception:  # closing is best effort
                logger.debug("telegram bot shutdown failed", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


@contextmanager
def _typed_errors() -> Iterator[None]:
    """Turn python-telegram-bot's errors into ours, so the dispatcher knows what next."""
    from telegram.error import (
        BadRequest,
        Forbidden,
        InvalidToken,
        NetworkError,
        RetryAfter,
        TelegramError,
    )

    try:
        yield
    except RetryAfter as exc:
        raise TransientSendError("429", "flood control", _seconds(exc)) from None
    except Forbidden as exc:
        raise PermanentSendError("403", exc.message, "blocked") from None
    except BadRequest as exc:
        unreachable = "invalid" if "chat not found" in exc.message.lower() else None
        raise PermanentSendError("400", exc.message, unreachable) from None
    except InvalidToken:
        # Its message repeats the token: never let that reach a log.
        raise SendError("invalid_token", "the Telegram bot token was rejected") from None
    except (NetworkError, TimeoutError, OSError) as exc:
        raise TransientSendError("network", type(exc).__name__) from None
    except TelegramError as exc:
        raise SendError("telegram", exc.message) from None


def _keyboard(message: OutboundMessage) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    if not message.choices:
        return None
    if len(message.choices) > MAX_BUTTONS:  # the text stands alone: better it than nothing
        logger.warning(
            "telegram message sent without its %s buttons (over %s)", len(message.choices), MAX_BUTTONS
        )
        return None
    from telegram import (
        InlineKeyboardButton,
        InlineKeyboardMarkup,
        KeyboardButton,
        ReplyKeyboardMarkup,
    )

    if any(c.request_contact for c in message.choices):
        return ReplyKeyboardMarkup(
            [[KeyboardButton(c.label, request_contact=True)] for c in message.choices if c.request_contact],
            one_time_keyboard=True,
            resize_keyboard=True,
        )
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=c.payload)] for c in message.choices]
    )


def _seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def settings(config: Config) -> TelegramSettings:
    """The bot's settings from configuration (the token must be set)."""
    token = text_setting(config, "TELEGRAM_BOT_TOKEN")
    if not token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    return TelegramSettings(
        token=token,
        api_url=text_setting(config, "TELEGRAM_API_URL") or DEFAULT_API_URL,
        messages_per_second=number_setting(config, "TELEGRAM_MESSAGES_PER_SECOND", 30.0),
        chat_messages_per_second=number_setting(config, "TELEGRAM_CHAT_MESSAGES_PER_SECOND", 1.0),
    )


def sender(config: Config, pacing: Pacing = in_memory) -> TelegramClient | None:
    """The Telegram client, when a bot token is configured."""
    return TelegramClient(settings(config), pacing=pacing) if config.get("TELEGRAM_BOT_TOKEN") else None


def cap(config: Config) -> SendCap:
    """Messages a second from the one bot (every chat together)."""
    return SendCap(number_setting(config, "TELEGRAM_MESSAGES_PER_SECOND", 30.0), 1, "Telegram message", "bot")


def normalise_chat_id(user_id: str) -> str | None:
    """A private chat's id is an integer; anything else is not a Telegram address."""
    return user_id if re.fullmatch(r"-?\d{1,20}", user_id) else None


CHANNEL = ChannelSpec(
    name=NAME,
    identity_kind="telegram",
    community_by=CommunityBy.CHAT,
    normalise=normalise_chat_id,
    unreachable={"403": "blocked"},
    buttons=True,
    sender=sender,
    cap=cap,
    blueprint=webhook_blueprint,
    label="Telegram messages",
    title="Telegram",
)
