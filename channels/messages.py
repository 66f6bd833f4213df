"""The message types every adapter speaks; free of Flask, Twilio and Telegram types."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Address:
    """Who a message is to or from: a channel and the user's id on it (phone, chat id)."""

    channel: str
    user_id: str


@dataclass(frozen=True)
class Choice:
    """An answer a resident can pick; `payload` is what comes back when they pick it."""

    label: str
    payload: str
    # Ask for the resident's phone number (Telegram's request_contact button); text channels
    # already know it and ignore this choice.
    request_contact: bool = False


def choices_to_json(choices: Iterable[Choice]) -> list[dict[str, Any]] | None:
    """Choices as stored with an outbox row; `choices_from_json` reads them back."""
    return [
        {"label": c.label, "payload": c.payload, "request_contact": c.request_contact} for c in choices
    ] or None


def choices_from_json(data: list[dict[str, Any]] | None) -> tuple[Choice, ...]:
    return tuple(Choice(c["label"], c["payload"], c.get("request_contact", False)) for c in data or ())


@dataclass(frozen=True)
class SharedContact:
    """A phone number a resident shared from their address book; `own` if it is theirs."""

    phone: str
    own: bool


@dataclass(frozen=True)
class InboundMessage:
    """A message from a resident, as an adapter normalised it.

    `recipient` is our side of the conversation (the SMS number written to, a
    community slug on the console) and lets the bot find the community.
    """

    address: Address
    text: str
    provider_message_id: str
    received_at: datetime
    recipient: str | None = None
    payload: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    contact: SharedContact | None = None
    language: str | None = None  # the sender's app language, where the channel says (Telegram)


def message_to_json(message: InboundMessage) -> dict[str, Any]:
    """`message` as JSON-safe data (spooled to disk, or kept for a worker to answer)."""
    contact = message.contact
    return {
        "address": {"channel": message.address.channel, "user_id": message.address.user_id},
        "text": message.text,
        "provider_message_id": message.provider_message_id,
        "received_at": message.received_at.isoformat(),
        "recipient": message.recipient,
        "payload": message.payload,
        "raw": message.raw,
        "contact": {"phone": contact.phone, "own": contact.own} if contact else None,
        "language": message.language,
    }


def message_from_json(data: dict[str, Any]) -> InboundMessage:
    contact = data.get("contact")
    return InboundMessage(
        address=Address(**data["address"]),
        text=data["text"],
        provider_message_id=data["provider_message_id"],
        received_at=datetime.fromisoformat(data["received_at"]),
        recipient=data.get("recipient"),
        payload=data.get("payload"),
        raw=data.get("raw") or {},
        contact=SharedContact(**contact) if contact else None,
        language=data.get("language"),
    )


@dataclass(frozen=True)
class OutboundMessage:
    """A message to send. The text must stand on its own; choices are an upgrade."""

    address: Address
    text: str
    choices: tuple[Choice, ...] = ()
    sender: str | None = None
    reference: str | None = None  # our outbox id, for status callbacks
    segments: int | None = None  # SMS segments, as counted when it was queued
    # A pre-approved template to send instead of `text` (WhatsApp outside its window): its
    # ContentSid and variables ({"1": "...", "2": "..."}). Channels without templates ignore it.
    content_sid: str | None = None
    content_variables: dict[str, str] | None = None


@dataclass(frozen=True)
class DeliveryReport:
    """A provider's word on a message we sent: "sent", "delivered", "undelivered", "failed"."""

    channel: str
    provider_id: str
    status: str
    error_code: str | None = None
