"""What SMS and WhatsApp through Twilio share: the signed webhook, the REST client, its errors.

Each Twilio channel (channels/twilio_sms.py, channels/twilio_whatsapp.py) is this with its
own name, its own webhook paths and its own way of writing an address for Twilio (a bare
E.164 number for SMS, `whatsapp:+44...` for WhatsApp).

The twilio library (and requests under it) is imported where it is used (the signature
check, the reply, the sender), not here: every `commonpurse` command imports this module
through the registry.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from flask import Blueprint, Response, abort, request

from channels.base import Config, OnMessage, OnReport, number_setting, text_setting
from channels.errors import PermanentSendError, SendError, TransientSendError
from channels.messages import Address, DeliveryReport, InboundMessage, OutboundMessage
from channels.pacing import Pace, Pacing, SendCap, in_memory

if TYPE_CHECKING:
    from twilio.base.exceptions import TwilioRestException
    from twilio.http.http_client import TwilioHttpClient

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.twilio.com"
PREFIX = "/webhooks/twilio"
TRANSIENT_CODES = {"20429", "20500", "20503"}
MAX_BODY = 64 * 1024  # a form post from Twilio is a few kB; anything larger is not Twilio
# Twilio writes a WhatsApp address `whatsapp:+44...`. A Messaging Service has one incoming
# webhook for all its senders, so a WhatsApp message may reach the SMS webhook: the address,
# not the URL, says which channel it came on.
SCHEMES = {"whatsapp:": "whatsapp"}


def channel_of(address: str, default: str) -> str:
    """The channel a Twilio address (`From`) belongs to: by its scheme, else `default`."""
    return next((name for scheme, name in SCHEMES.items() if address.lower().startswith(scheme)), default)


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    messaging_service_sid: str | None = None
    api_url: str = DEFAULT_API_URL
    public_url: str | None = None  # what Twilio calls us at, e.g. https://purse.example.org
    units_per_second: float = 10.0  # SMS segments, or WhatsApp messages, from each number
    timeout: float = 10.0
    # The numbers in the Messaging Service's sender pool: Twilio spreads its sends over them,
    # so the service may send this many times one number's rate. Without a service, 1.
    pool_size: int = 1

    @property
    def senders(self) -> int:
        """The numbers one send may go from: the service's pool, or the one number."""
        return self.pool_size if self.messaging_service_sid else 1


@dataclass(frozen=True)
class TwilioRoute:
    """One Twilio channel's webhook: its blueprint's name and paths under /webhooks/twilio."""

    channel: str
    blueprint: str
    inbound: str  # "/sms"
    status: str  # "/status"

    def status_url(self, public_url: str) -> str:
        return public_url.rstrip("/") + PREFIX + self.status


def settings(config: Config, rate_key: str, default_rate: float) -> TwilioSettings | None:
    """The Twilio settings, when an Account SID and Auth Token are configured."""
    account_sid, auth_token = (
        text_setting(config, "TWILIO_ACCOUNT_SID"),
        text_setting(config, "TWILIO_AUTH_TOKEN"),
    )
    if not (account_sid and auth_token):
        return None
    return TwilioSettings(
        account_sid=account_sid,
        auth_token=auth_token,
        messaging_service_sid=text_setting(config, "TWILIO_MESSAGING_SERVICE_SID"),
        api_url=text_setting(config, "TWILIO_API_URL") or DEFAULT_API_URL,
        public_url=text_setting(config, "PUBLIC_URL"),
        units_per_second=number_setting(config, rate_key, default_rate),
        pool_size=pool_size(config),
    )


def pool_size(config: Config) -> int:
    """TWILIO_POOL_SIZE: the numbers in the Messaging Service's pool (1 unless set)."""
    size = number_setting(config, "TWILIO_POOL_SIZE", 1)
    if size < 1 or size != int(size):
        raise ValueError(f"TWILIO_POOL_SIZE must be a whole number of at least 1, not {size:g}")
    return int(size)


def cap(config: Config, rate_key: str, default_rate: float, unit: str, per_segment: bool = False) -> SendCap:
    """How fast this account may send: `rate_key` units a second from each number, over the
    Messaging Service's pool when one is configured (credentials or not: it is what an
    organiser is told a broadcast will take)."""
    service = text_setting(config, "TWILIO_MESSAGING_SERVICE_SID")
    senders = pool_size(config) if service else 1
    return SendCap(number_setting(config, rate_key, default_rate), senders, unit, "number", per_segment)


def webhook_blueprint(
    route: TwilioRoute, config: Callable[[], Config], on_message: OnMessage, on_report: OnReport
) -> Blueprint:
    """POST `route.inbound` and `route.status` under /webhooks/twilio, both signature-checked."""
    bp = Blueprint(route.blueprint, __name__, url_prefix=PREFIX)

    @bp.before_request
    def check_signature() -> None:
        if (request.content_length or 0) > MAX_BODY:
            abort(413)
        verify(text_setting(config(), "TWILIO_AUTH_TOKEN"), text_setting(config(), "PUBLIC_URL"))

    @bp.post(route.inbound)
    def inbound() -> Response:
        form = request.form
        if not form.get("MessageSid") or not form.get("From") or not form.get("To"):
            abort(400)
        on_message(
            InboundMessage(
                address=Address(channel_of(form["From"], route.channel), form["From"]),
                text=form.get("Body", ""),
                provider_message_id=form["MessageSid"],
                received_at=datetime.now(UTC),
                recipient=form["To"],
                # a WhatsApp quick reply's payload; SMS never has one
                payload=form.get("ButtonPayload") or None,
                raw=form.to_dict(),
            )
        )
        return Response(_empty_twiml(), mimetype="text/xml")

    @bp.post(route.status)
    def status() -> Response:
        form = request.form
        if not form.get("MessageSid") or not form.get("MessageStatus"):
            abort(400)
        on_report(
            DeliveryReport(
                route.channel, form["MessageSid"], form["MessageStatus"], form.get("ErrorCode") or None
            )
        )
        return Response(status=204)

    return bp


@cache
def _empty_twiml() -> str:
    """TwiML that sends nothing (replies go through the outbox), as the twilio library writes it."""
    from twilio.twiml.messaging_response import MessagingResponse

    return str(MessagingResponse())


def verify(auth_token: str | None, public_url: str | None) -> None:
    """Abort with 403 unless the request carries Twilio's signature over the URL it called."""
    from twilio.request_validator import RequestValidator, get_signature_algorithm

    if not auth_token:
        logger.error("Twilio webhook refused: no Twilio auth token is configured")
        abort(403)
    # behind a proxy the URL we see is not the one Twilio signed
    url = public_url.rstrip("/") + request.full_path.rstrip("?") if public_url else request.url
    signature = request.headers.get("X-Twilio-Signature", "")
    algorithm = get_signature_algorithm(request.headers.get("X-Twilio-Webhooks-Signature-Settings"))
    if not signature or not RequestValidator(auth_token).validate(url, request.form, signature, algorithm):
        logger.warning("Twilio webhook refused: bad or missing signature for %s", request.path)
        abort(403)


class TwilioChannel:
    """Sends messages with the real twilio client, paced per sending number (or per
    Messaging Service, at its pool's rate).

    `address` writes a number as Twilio expects it on this channel; `units` is what one
    message costs against the pace (SMS segments, or 1). The pace is `pacer` if given, else
    one `pacing` makes."""

    def __init__(
        self,
        route: TwilioRoute,
        settings: TwilioSettings,
        unreachable: Mapping[str, str],
        address: Callable[[str], str],
        units: Callable[[OutboundMessage], float],
        pacer: Pace | None = None,
        pacing: Pacing = in_memory,
    ):
        from twilio.rest import Client

        self.name = route.channel
        self.route = route
        self.settings = settings
        self.unreachable = unreachable
        self.address = address
        self.units = units
        self.client = Client(settings.account_sid, settings.auth_token, http_client=_http_client(settings))
        if settings.api_url != DEFAULT_API_URL:
            # TWILIO_EDGE / TWILIO_REGION would rewrite the host we were told to use.
            self.client.edge = self.client.region = None
            self.client.api.base_url = settings.api_url
            self.client.content.base_url = settings.api_url  # the Content API (WhatsApp buttons)
        self.pacer = pacer or pacing(route.channel, settings.units_per_second * settings.senders)

    def send(self, message: OutboundMessage) -> str:
        import requests
        from twilio.base.exceptions import TwilioRestException

        fields = {"to": self.address(message.address.user_id)}
        if message.content_sid:
            # A template: its ContentSid and variables as JSON, never the text as well.
            fields["content_sid"] = message.content_sid
            fields["content_variables"] = json.dumps(message.content_variables or {}, ensure_ascii=False)
        else:
            fields["body"] = message.text
        if self.settings.messaging_service_sid:
            fields["messaging_service_sid"] = self.settings.messaging_service_sid
        elif message.sender:
            fields["from_"] = self.address(message.sender)
        else:
            raise SendError("no_sender", "no sending number or messaging service configured")
        if self.settings.public_url:
            fields["status_callback"] = self.route.status_url(self.settings.public_url)
        self.pacer.wait(fields.get("from_") or fields["messaging_service_sid"], self.units(message))
        try:
            sid: str = self.client.messages.create(**fields).sid
            return sid
        except TwilioRestException as exc:
            raise error(exc, self.unreachable) from None
        except requests.RequestException as exc:
            raise TransientSendError("network", type(exc).__name__) from None


def _http_client(settings: TwilioSettings) -> TwilioHttpClient:
    """Twilio's HTTP client, on a session that reads the environment's proxy and CA settings once
    for each host it calls (channels/twilio_session.py)."""
    from twilio.http.http_client import TwilioHttpClient

    from channels.twilio_session import OnceSession

    http = TwilioHttpClient(timeout=settings.timeout)
    http.session = OnceSession()
    return http


def error(exc: TwilioRestException, unreachable: Mapping[str, str]) -> SendError:
    """The typed error for a refusal from Twilio's API."""
    code = str(exc.code or exc.status)
    message = exc.msg or f"HTTP {exc.status}"
    if code in unreachable:
        return PermanentSendError(code, message, unreachable[code])
    if exc.status == 429 or exc.status >= 500 or code in TRANSIENT_CODES:
        return TransientSendError(code, message)
    return PermanentSendError(code, message)
