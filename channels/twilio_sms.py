"""SMS through Twilio: a webhook blueprint for inbound messages and delivery reports, and a sender.

Translates only: it checks Twilio's signature, turns form posts into InboundMessage and
DeliveryReport values for the callbacks it was given, and turns OutboundMessage values into
Twilio API calls, raising typed errors the dispatcher understands. What it shares with
WhatsApp through Twilio is in channels/twilio_base.py.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint

from channels import twilio_base
from channels.base import ChannelSpec, CommunityBy, Config, OnMessage, OnReport
from channels.messages import OutboundMessage
from channels.pacing import Pace, Pacing, SendCap, in_memory
from channels.phone import normalise_phone
from channels.segments import count_segments
from channels.twilio_base import TwilioChannel, TwilioRoute, TwilioSettings, settings

NAME = "sms"
ROUTE = TwilioRoute(channel=NAME, blueprint="twilio", inbound="/sms", status="/status")
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


def webhook_blueprint(config: Callable[[], Config], on_message: OnMessage, on_report: OnReport) -> Blueprint:
    """POST /webhooks/twilio/sms and /webhooks/twilio/status, both signature-checked."""
    return twilio_base.webhook_blueprint(ROUTE, config, on_message, on_report)


def _segments(message: OutboundMessage) -> float:
    return message.segments or count_segments(message.text).segments


class TwilioSMSChannel(TwilioChannel):
    """Sends SMS with the real twilio client, paced in segments per sending number."""

    def __init__(self, settings: TwilioSettings, pacer: Pace | None = None, pacing: Pacing = in_memory):
        super().__init__(ROUTE, settings, UNREACHABLE, str, _segments, pacer, pacing)


def sender(config: Config, pacing: Pacing = in_memory) -> TwilioSMSChannel | None:
    """The SMS sender, when an Account SID and Auth Token are configured."""
    found = settings(config, "SMS_SEGMENTS_PER_SECOND", 10.0)
    return TwilioSMSChannel(found, pacing=pacing) if found else None


def cap(config: Config) -> SendCap:
    """SMS segments a second, from each number of the pool."""
    return twilio_base.cap(config, "SMS_SEGMENTS_PER_SECOND", 10.0, "SMS segment", per_segment=True)


CHANNEL = ChannelSpec(
    name=NAME,
    identity_kind="phone",
    community_by=CommunityBy.NUMBER,
    normalise=normalise_phone,
    sends_from_number=True,
    unreachable=UNREACHABLE,
    delivery_reports=True,
    sender=sender,
    cap=cap,
    blueprint=webhook_blueprint,
    label="SMS",
    title="SMS",
)
