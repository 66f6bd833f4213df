"""The contract every channel adapter fulfils, so a new channel is one module and one line.

An adapter module defines one `ChannelSpec` named `CHANNEL` and is listed in
`channels/registry.py`. The spec says what the provider means (the kind of address it uses,
how a message finds its community, which error codes mean an address is dead) and how to
build its two halves from the app's configuration: a sender for outbound messages and a
blueprint for inbound messages and delivery reports.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Protocol

from flask import Blueprint

from channels.calls import CallEvent, CallPage, Recording
from channels.messages import DeliveryReport, InboundMessage, OutboundMessage
from channels.pacing import Pacing, SendCap, in_memory


class Sender(Protocol):
    """Sends one message; returns the provider's id or raises a channels.errors.SendError."""

    name: str

    def send(self, message: OutboundMessage) -> str: ...


class CommunityBy(StrEnum):
    """How an inbound message finds its community."""

    NUMBER = "number"  # the number the resident wrote to (SMS)
    SLUG = "slug"  # the community's slug, given by the caller (the console)
    CHAT = "chat"  # the community the chat chose with a join code (one bot for all)


Config = Mapping[str, object]
OnMessage = Callable[[InboundMessage], object]
OnReport = Callable[[DeliveryReport], object]
# A phone call's request in, the page to answer it with out (see channels/calls.py).
OnCall = Callable[[CallEvent], CallPage | None]


class MakeSender(Protocol):
    """Builds a channel's sender from configuration, its paces made by `pacing` (kept in this
    process unless the caller shares them); None when the channel is not configured."""

    def __call__(self, config: Config, pacing: Pacing = in_memory) -> Sender | None: ...


def _no_sender(config: Config, pacing: Pacing = in_memory) -> None:
    return None


def text_setting(config: Config, key: str) -> str | None:
    """A text setting (a token, a URL); None when unset. TypeError for anything but text."""
    value = config.get(key)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{key} must be text, not {type(value).__name__}")


def number_setting(config: Config, key: str, default: float) -> float:
    """A number setting (a rate), from a number or its text; `default` when unset."""
    value = config.get(key, default)
    if isinstance(value, int | float | str):
        return float(value)
    raise TypeError(f"{key} must be a number, not {type(value).__name__}")


def _as_is(user_id: str) -> str | None:
    return user_id


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    # The kind of identity a resident has here: "phone" (SMS, WhatsApp, the console) or
    # the channel's own ("telegram"). One person writing from one phone is one resident.
    identity_kind: str
    community_by: CommunityBy
    # Our canonical form of a provider address (E.164 for phones); None if it is not one.
    normalise: Callable[[str], str | None] = _as_is
    # Outbound messages go from the community's own number (SMS) rather than one account.
    sends_from_number: bool = False
    # Provider error codes (on a send or a delivery report) that mean the address is dead,
    # with why: "opted_out", "blocked" or "invalid".
    unreachable: Mapping[str, str] = field(default_factory=dict)
    # Messages we start (not replies) may go only this long after the resident last wrote on
    # this channel (WhatsApp: 24 hours); outside it they go by the identity's default channel
    # (SMS for a phone). None: no window.
    session_window: timedelta | None = None
    # Provider error codes (on a send or a delivery report) that mean "outside the window" (or,
    # where templates go, its template refused): the message is sent again by the identity's
    # default channel, the address stays good.
    outside_window: frozenset[str] = frozenset()
    # Outside the window only a pre-approved template may go (WhatsApp: a ContentSid with
    # variables; plain text sent as a template fails): a message we start that has one goes
    # as it, one that has none by the identity's default channel.
    templates: bool = False
    # A community may give this channel a sender of its own (WhatsApp); by default it sends
    # from, and is written to at, the community's SMS number.
    own_sender: bool = False
    # How the council's digest names its messages ("SMS", "WhatsApp messages"); empty: not
    # counted there.
    label: str = ""
    # The digest shows this channel's lines only in a week it carried a message, or the week
    # before: a channel most communities never use (the console) would otherwise be a line of
    # zeros every week. Its figures are counted, and kept in the CSV, all the same.
    counted_when_used: bool = False
    # The channel as people name it ("SMS", "WhatsApp"), for member counts; empty: not shown.
    title: str = ""
    # Whether the provider posts delivery reports ("delivered", "undelivered" with its error
    # code) to the blueprint's `on_report` (Twilio does; Telegram and a phone line do not).
    delivery_reports: bool = False
    # Whether we can send a text on this channel. A phone line cannot: what we start for
    # someone who last called goes by the identity's default channel (SMS for a phone).
    sends_text: bool = True
    # Whether a message's choices show here, as buttons or a list (Telegram, WhatsApp); where
    # they do not (SMS), a broadcast stores none: a 50-option ballot's choices were most of
    # each row's bytes.
    buttons: bool = False
    # Builds the sender from configuration; None when the channel is not configured.
    sender: MakeSender = _no_sender
    # How fast it may send one community's broadcast, by its configured caps (what the
    # dashboard's delivery estimate divides by); None: not paced, or it sends nothing.
    cap: Callable[[Config], SendCap] | None = None
    # Builds the inbound blueprint; it reads configuration at request time through `config`.
    blueprint: Callable[[Callable[[], Config], OnMessage, OnReport], Blueprint] | None = None
    # A channel of calls rather than messages (a phone line) builds its blueprint from a call
    # handler instead: each request gets its answer at once, as the next page of the call.
    call_blueprint: Callable[[Callable[[], Config], OnCall], Blueprint] | None = None
    # Fetches a recording a caller left (by the provider's id for it), with the account's
    # credentials; None when the channel records nothing.
    recording: Callable[[Config, str], Recording] | None = None
