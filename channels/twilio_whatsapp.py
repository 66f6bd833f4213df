"""WhatsApp through Twilio: the SMS adapter's webhook and sender, on `whatsapp:` addresses.

A resident writes from `whatsapp:+447700900123` to `whatsapp:+441632960001`, the community's
number (Twilio enables WhatsApp on an existing number, so a community's WhatsApp sender is its
SMS number). Both are phone numbers to us: the same phone on SMS and WhatsApp is one resident.

WhatsApp takes free-form text only within 24 hours of the resident's last message; outside it
Twilio refuses with 63016 and only an approved template (a ContentSid) may go. The spec says
so (`session_window`, `outside_window`, `templates`): the bot sends what it starts as the
community's template for it, or by SMS when there is none. A community may have a WhatsApp
sender of its own (`own_sender`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from flask import Blueprint

from channels import twilio_base
from channels.base import ChannelSpec, CommunityBy, Config, OnMessage, OnReport
from channels.errors import TransientSendError
from channels.messages import OutboundMessage
from channels.pacing import Pacing, SendCap, in_memory
from channels.phone import normalise_phone
from channels.twilio_base import TwilioChannel, TwilioRoute, TwilioSettings, error, settings

NAME = "whatsapp"
ROUTE = TwilioRoute(channel=NAME, blueprint="twilio_whatsapp", inbound="/whatsapp", status="/whatsapp/status")
SCHEME = "whatsapp:"
WINDOW = timedelta(hours=24)
# 63016: a free-form message outside the 24-hour window. And a template refused, so that the
# message still reaches the phone by SMS: 63027 no approved template for it in that language
# (or sent without a Messaging Service, which Twilio's Content API wants), 63028 and 21656 its
# variables do not fit it, 21655 no such ContentSid, 63021 too long once filled in.
TEMPLATE_REFUSED = frozenset({"63027", "63028", "21656", "21655", "63021"})
OUTSIDE_WINDOW = frozenset({"63016"}) | TEMPLATE_REFUSED
# Only 21211 (not a valid number at all) means the phone is dead. The phone identity is shared
# with SMS, so "not on WhatsApp" (63003) or a WhatsApp block must not silence SMS too: those
# fail the one message.
UNREACHABLE = {"21211": "invalid"}


def normalise(user_id: str) -> str | None:
    """E.164 form of `whatsapp:+447700900123` (or of a bare number); None if not a phone."""
    number = user_id[len(SCHEME) :] if user_id.lower().startswith(SCHEME) else user_id
    return normalise_phone(number)


def address(number: str) -> str:
    """A number as Twilio's WhatsApp API expects it: `whatsapp:+447700900123`."""
    return number if number.startswith(SCHEME) else SCHEME + number


def webhook_blueprint(config: Callable[[], Config], on_message: OnMessage, on_report: OnReport) -> Blueprint:
    """POST /webhooks/twilio/whatsapp and /webhooks/twilio/whatsapp/status, signature-checked."""
    return twilio_base.webhook_blueprint(ROUTE, config, on_message, on_report)


def _one(message: OutboundMessage) -> float:
    return 1  # WhatsApp is paced in messages, not segments


# WhatsApp's quick replies: at most 3 buttons in a session message, each title 20 characters;
# the body of such a message at most 1,024.
MOST_BUTTONS = 3
TITLE_MOST = 20
BODY_MOST = 1024


class WhatsAppChannel(TwilioChannel):
    """Sends WhatsApp with the real twilio client. Choices that fit (a ballot of up to three
    options, yes/no) go as quick-reply buttons: Twilio sends buttons only as content (a
    ContentSid), so a quick-reply content is created through the Content API once per text and
    buttons, and sent inside the window. That needs a Messaging Service (Twilio's Content API
    sends through one); without it, and for choices that do not fit, the text alone goes, with
    its numbered options, as on SMS."""

    def __init__(self, settings: TwilioSettings, pacing: Pacing = in_memory):
        super().__init__(ROUTE, settings, UNREACHABLE, address, _one, pacing=pacing)
        self.contents: dict[str, str] = {}  # quick-reply content made so far: key -> ContentSid

    def send(self, message: OutboundMessage) -> str:
        if message.content_sid or not _buttons_fit(message) or not self.settings.messaging_service_sid:
            return super().send(message)
        return super().send(replace(message, content_sid=self._quick_reply(message), content_variables={}))

    def _quick_reply(self, message: OutboundMessage) -> str:
        """The ContentSid of `message` as a quick-reply, made the first time it is needed."""
        import requests
        from twilio.base.exceptions import TwilioRestException
        from twilio.rest.content.v1.content import ContentList

        actions = [{"title": _title(c.label), "id": c.payload} for c in message.choices]
        key = hashlib.sha256(json.dumps([message.text, actions]).encode()).hexdigest()
        if key not in self.contents:
            request = ContentList.ContentCreateRequest(
                {
                    "friendly_name": f"commonpurse_{key[:16]}",
                    "language": "en",  # Twilio's field; the text is in the resident's language
                    "types": {
                        "twilio/quick-reply": {"body": message.text, "actions": actions},
                        "twilio/text": {"body": message.text},
                    },
                }
            )
            try:
                sid = self.client.content.v1.contents.create(request).sid
            except TwilioRestException as exc:
                raise error(exc, self.unreachable) from None
            except requests.RequestException as exc:
                raise TransientSendError("network", type(exc).__name__) from None
            if not sid:
                raise TransientSendError("content", "the Content API gave no ContentSid")
            self.contents[key] = sid
        return self.contents[key]


def _buttons_fit(message: OutboundMessage) -> bool:
    choices = message.choices
    return (
        0 < len(choices) <= MOST_BUTTONS
        and len(message.text) <= BODY_MOST
        and not any(c.request_contact for c in choices)
    )


def _title(label: str) -> str:
    """A button's title, within WhatsApp's 20 characters (the text names each option whole)."""
    return label if len(label) <= TITLE_MOST else label[: TITLE_MOST - 3].rstrip() + "..."


def sender(config: Config, pacing: Pacing = in_memory) -> WhatsAppChannel | None:
    """The WhatsApp sender, when an Account SID and Auth Token are configured."""
    found = settings(config, "WHATSAPP_MESSAGES_PER_SECOND", 20.0)
    return WhatsAppChannel(found, pacing) if found else None


def cap(config: Config) -> SendCap:
    """WhatsApp messages a second, from each number of the pool."""
    return twilio_base.cap(config, "WHATSAPP_MESSAGES_PER_SECOND", 20.0, "WhatsApp message")


CHANNEL = ChannelSpec(
    name=NAME,
    identity_kind="phone",
    community_by=CommunityBy.NUMBER,
    normalise=normalise,
    sends_from_number=True,
    unreachable=UNREACHABLE,
    delivery_reports=True,
    session_window=WINDOW,
    outside_window=OUTSIDE_WINDOW,
    templates=True,
    own_sender=True,
    buttons=True,
    sender=sender,
    cap=cap,
    blueprint=webhook_blueprint,
    label="WhatsApp messages",
    title="WhatsApp",
)
