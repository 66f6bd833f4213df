"""The console channel: a resident in a terminal, for trying the bot and for scripts."""

import uuid
from datetime import UTC, datetime
from typing import TextIO

from channels.base import ChannelSpec, CommunityBy
from channels.messages import Address, InboundMessage, OutboundMessage
from channels.phone import normalise_phone

NAME = "console"


def inbound(user_id: str, text: str, recipient: str) -> InboundMessage:
    """Turn a typed line into an inbound message from `user_id` to community `recipient`."""
    return InboundMessage(
        address=Address(NAME, user_id),
        text=text,
        provider_message_id=uuid.uuid4().hex,
        received_at=datetime.now(UTC),
        recipient=recipient,
        raw={"line": text},
    )


class ConsoleChannel:
    """Prints outbound messages to a stream, as a phone would show them."""

    name = NAME

    def __init__(self, stream: TextIO):
        self.stream = stream

    def send(self, message: OutboundMessage) -> str:
        self.stream.write(message.text + "\n")
        self.stream.flush()
        return uuid.uuid4().hex


# The console stands in for a phone; `commonpurse chat` prints replies itself, so the
# spec builds no sender and no webhook. Its messages are counted in the digest as its own (not
# as SMS), in the weeks someone used it.
CHANNEL = ChannelSpec(
    name=NAME,
    identity_kind="phone",
    community_by=CommunityBy.SLUG,
    normalise=normalise_phone,
    label="Console messages (commonpurse chat)",
    counted_when_used=True,
)
