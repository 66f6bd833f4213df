"""SMS through Twilio: a webhook blueprint for inbound messages and delivery reports, and a sender.

Translates only: it checks Twilio's signature, turns form posts into InboundMessage and
DeliveryReport values for the callbacks it was given, and turns OutboundMessage values into
Twilio API calls, raising typed errors the dispatcher understands.

The twilio library (and requests under it) is imported where it is used (the signature
check, the reply, the sender), not here: every `commonpurse` command imports this module
through the registry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from flask import Blueprint, Response, abort, request

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
from channels.messages import Address, DeliveryReport, InboundMessage, OutboundMessage
from channels.pacing import Pacer
from channels.phone import normalise_phone
from channels.segments import count_segments

if TYPE_CHECKING:
    from twilio.base.exceptions import TwilioRestException

logger = logging.getLogger(__name__)

NAME = "sms"
DEFAULT_API_URL = "https://api.twilio.com"
# Error codes, on a send or a delivery report, that mean the number is dead: 21610 it opted
# out at the carrier (STOP); 21211 invalid; 21614 not a mobile; 30005 unknown handset;
# 30006 landline or unreachable carrier.
UNREACHABLE = {
    "21610": "opted_out",
    "21211": "invalid",
    "21614": "invalid",
    "30005": "invalid",
    "30006": "invalid",
}
TRANSIENT_CODES = {"20429", "20500", "20503"}
MAX_BODY = 64 * 1024  # a form post from Twilio is a few kB; anything larger is not Twilio


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    messaging_service_sid: str | None = None
    api_url: str = DEFAULT_API_URL
    public_url: str | None = None  # what Twilio calls us at, e.g. https://purse.example.org
    segments_per_second: float = 10.0
    timeout: float = 10.0


def webhook_blueprint(config: Callable[[], Config], on_message: OnMessage, on_report: OnReport) -> Blueprint:
    """POST /webhooks/twilio/sms and /webhooks/twilio/status, both signature-checked."""
    bp = Blueprint("twilio", __name__, url_prefix="/webhooks/twilio")

    @bp.before_request
    def verify() -> None:
        if (request.content_length or 0) > MAX_BODY:
            abort(413)
        _verify(text_setting(config(), "TWILIO_AUTH_TOKEN"), text_setting(config(), "PUBLIC_URL"))

    @bp.post("/sms")
    def sms() -> Response:
        form = request.form
        if not form.get("MessageSid") or not form.get("From") or not form.get("To"):
            abort(400)
        on_message(
            InboundMessage(
                address=Address(NAME, form["From"]),
                text=form.get("Body", ""),
                provider_message_id=form["MessageSid"],
                received_at=datetime.now(UTC),
                recipient=form["To"],
                raw=form.to_dict(),
            )
        )
        return Response(_empty_twiml(), mimetype="text/xml")

    @bp.post("/status")
    def status() -> Response:
        form = request.form
        if not form.get("MessageSid") or not form.get("MessageStatus"):
            abort(400)
        on_report(
            DeliveryReport(NAME, form["MessageSid"], form["MessageStatus"], form.get("ErrorCode") or None)
        )
        return Response(status=204)

    return bp


@cache
def _empty_twiml() -> str:
    """TwiML that sends nothing (replies go through the outbox), as the twilio library writes it."""
    from twilio.twiml.messaging_response import MessagingResponse

    return str(MessagingResponse())


def _verify(auth_token: str | None, public_url: str | None) -> None:
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


class TwilioSMSChannel:
    """Sends SMS with the real twilio client, paced per sending number."""

    name = NAME

    def __init__(self, settings: TwilioSettings, pacer: Pacer | None = None):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.settings = settings
        self.client = Client(
            settings.account_sid, settings.auth_token, http_client=TwilioHttpClient(timeout=settings.timeout)
        )
        if settings.api_url != DEFAULT_API_URL:
            # TWILIO_EDGE / TWILIO_REGION would rewrite the host we were told to use.
            self.client.edge = self.client.region = None
            self.client.api.base_url = settings.api_url
        self.pacer = pacer or Pacer(settings.segments_per_second)

    def send(self, message: OutboundMessage) -> str:
        import requests
        from twilio.base.exceptions import TwilioRestException

        fields = {"to": message.address.user_id, "body": message.text}
        if self.settings.messaging_service_sid:
            fields["messaging_service_sid"] = self.settings.messaging_service_sid
        elif message.sender:
            fields["from_"] = message.sender
        else:
            raise SendError("no_sender", "no sending number or messaging service configured")
        if self.settings.public_url:
            fields["status_callback"] = self.settings.public_url.rstrip("/") + "/webhooks/twilio/status"
        self.pacer.wait(
            fields.get("from_") or fields["messaging_service_sid"],
            message.segments or count_segments(message.text).segments,
        )
        try:
            sid: str = self.client.messages.create(**fields).sid
            return sid
        except TwilioRestException as exc:
            raise _error(exc) from None
        except requests.RequestException as exc:
            raise TransientSendError("network", type(exc).__name__) from None


def _error(exc: TwilioRestException) -> SendError:
    code = str(exc.code or exc.status)
    message = exc.msg or f"HTTP {exc.status}"
    if code in UNREACHABLE:
        return PermanentSendError(code, message, UNREACHABLE[code])
    if exc.status == 429 or exc.status >= 500 or code in TRANSIENT_CODES:
        return TransientSendError(code, message)
    return PermanentSendError(code, message)


def sender(config: Config) -> TwilioSMSChannel | None:
    """The SMS sender, when an Account SID and Auth Token are configured."""
    account_sid, auth_token = (
        text_setting(config, "TWILIO_ACCOUNT_SID"),
        text_setting(config, "TWILIO_AUTH_TOKEN"),
    )
    if not (account_sid and auth_token):
        return None
    return TwilioSMSChannel(
        TwilioSettings(
            account_sid=account_sid,
            auth_token=auth_token,
            messaging_service_sid=text_setting(config, "TWILIO_MESSAGING_SERVICE_SID"),
            api_url=text_setting(config, "TWILIO_API_URL") or DEFAULT_API_URL,
            public_url=text_setting(config, "PUBLIC_URL"),
            segments_per_second=number_setting(config, "SMS_SEGMENTS_PER_SECOND", 10.0),
        )
    )


CHANNEL = ChannelSpec(
    name=NAME,
    identity_kind="phone",
    community_by=CommunityBy.NUMBER,
    normalise=normalise_phone,
    sends_from_number=True,
    unreachable=UNREACHABLE,
    sender=sender,
    blueprint=webhook_blueprint,
)
