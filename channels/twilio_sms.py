"""SMS through Twilio: a webhook blueprint for inbound messages and delivery reports, and a sender.

Translates only: it checks Twilio's signature, turns form posts into InboundMessage and
DeliveryReport values for the callbacks it was given, and turns OutboundMessage values into
Twilio API calls, raising typed errors the dispatcher understands.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import requests
from flask import Blueprint, Response, abort, request
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from channels.errors import PermanentSendError, SendError, TransientSendError
from channels.messages import Address, DeliveryReport, InboundMessage, OutboundMessage
from channels.pacing import Pacer
from channels.segments import count_segments

logger = logging.getLogger(__name__)

NAME = "sms"
DEFAULT_API_URL = "https://api.twilio.com"
UNREACHABLE = {21610: "opted_out", 21211: "invalid", 21614: "invalid"}
TRANSIENT_CODES = {20429, 20500, 20503}


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    messaging_service_sid: str | None = None
    api_url: str = DEFAULT_API_URL
    public_url: str | None = None  # what Twilio calls us at, e.g. https://purse.example.org
    segments_per_second: float = 10.0
    timeout: float = 10.0


def webhook_blueprint(auth_token: Callable[[], str | None], public_url: Callable[[], str | None],
                      on_message: Callable[[InboundMessage], object],
                      on_report: Callable[[DeliveryReport], object]) -> Blueprint:
    """POST /webhooks/twilio/sms and /webhooks/twilio/status, both signature-checked."""
    bp = Blueprint("twilio", __name__, url_prefix="/webhooks/twilio")

    @bp.post("/sms")
    def sms():
        _verify(auth_token(), public_url())
        form = request.form
        if not form.get("MessageSid") or not form.get("From") or not form.get("To"):
            abort(400)
        on_message(InboundMessage(
            address=Address(NAME, form["From"]), text=form.get("Body", ""),
            provider_message_id=form["MessageSid"], received_at=datetime.now(timezone.utc),
            recipient=form["To"], raw=form.to_dict()))
        return Response(str(MessagingResponse()), mimetype="text/xml")

    @bp.post("/status")
    def status():
        _verify(auth_token(), public_url())
        form = request.form
        if not form.get("MessageSid") or not form.get("MessageStatus"):
            abort(400)
        on_report(DeliveryReport(NAME, form["MessageSid"], form["MessageStatus"],
                                 form.get("ErrorCode") or None))
        return Response(status=204)

    return bp


def _verify(auth_token: str | None, public_url: str | None) -> None:
    if not auth_token:
        logger.error("Twilio webhook refused: no Twilio auth token is configured")
        abort(403)
    url = request.url
    if public_url:  # behind a proxy the URL we see is not the one Twilio signed
        url = public_url.rstrip("/") + request.full_path.rstrip("?")
    signature = request.headers.get("X-Twilio-Signature", "")
    algorithm = get_signature_algorithm(request.headers.get("X-Twilio-Webhooks-Signature-Settings"))
    if not signature or not RequestValidator(auth_token).validate(url, request.form, signature, algorithm):
        logger.warning("Twilio webhook refused: bad or missing signature for %s", request.path)
        abort(403)


class TwilioSMSChannel:
    """Sends SMS with the real twilio client, paced per sending number."""

    name = NAME

    def __init__(self, settings: TwilioSettings, pacer: Pacer | None = None):
        self.settings = settings
        self.client = Client(settings.account_sid, settings.auth_token,
                             http_client=TwilioHttpClient(timeout=settings.timeout))
        if settings.api_url != DEFAULT_API_URL:
            # TWILIO_EDGE / TWILIO_REGION would rewrite the host we were told to use.
            self.client.edge = self.client.region = None
            self.client.api.base_url = settings.api_url
        self.pacer = pacer or Pacer(settings.segments_per_second)

    def send(self, message: OutboundMessage) -> str:
        fields = {"to": message.address.user_id, "body": message.text}
        if self.settings.messaging_service_sid:
            fields["messaging_service_sid"] = self.settings.messaging_service_sid
        elif message.sender:
            fields["from_"] = message.sender
        else:
            raise SendError("no_sender", "no sending number or messaging service configured")
        if self.settings.public_url:
            fields["status_callback"] = self.settings.public_url.rstrip("/") + "/webhooks/twilio/status"
        self.pacer.wait(fields.get("from_") or fields["messaging_service_sid"],
                        count_segments(message.text).segments)
        try:
            return self.client.messages.create(**fields).sid
        except TwilioRestException as exc:
            raise _error(exc) from None
        except requests.RequestException as exc:
            raise TransientSendError("network", type(exc).__name__) from None


def _error(exc: TwilioRestException) -> SendError:
    code = exc.code or exc.status
    message = exc.msg or f"HTTP {exc.status}"
    if exc.code in UNREACHABLE:
        return PermanentSendError(str(code), message, UNREACHABLE[exc.code])
    if exc.status == 429 or exc.status >= 500 or exc.code in TRANSIENT_CODES:
        return TransientSendError(str(code), message)
    return PermanentSendError(str(code), message)
