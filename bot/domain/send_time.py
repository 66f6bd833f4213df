"""How long a broadcast takes to deliver at the providers' caps, said before it is sent.

Each channel sends side by side with the others, at its cap: SMS at so many segments a second
from each number (a Messaging Service spreads them over its pool), WhatsApp at so many
messages a second from each number, Telegram at so many messages a second from the one bot.
The broadcast takes as long as its slowest channel. A cap is shared with every other message
from the same sender (another community on the same Messaging Service, answers to residents),
so this is the least it takes, not a promise.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

from channels.base import Config
from channels.pacing import SendCap
from channels.registry import CHANNELS


@dataclass(frozen=True)
class SendTime:
    seconds: float
    cap: SendCap  # the cap of the slowest channel, which sets the time

    def describe(self) -> str:
        """ "about 33 minutes to deliver, at 10 SMS segments a second from 1 number"."""
        cap = self.cap
        each = f"each of {cap.senders} {cap.sender}s" if cap.senders > 1 else f"1 {cap.sender}"
        if cap.sender == "bot" and cap.senders == 1:
            each = "the bot"
        rate = f"{cap.rate:,g} {cap.unit}{'' if cap.rate == 1 else 's'} a second"
        return f"{_duration(self.seconds)} to deliver, at {rate} from {each}"


def caps(config: Config) -> dict[str, SendCap]:
    """Each channel's cap, as configured (whether or not the channel is)."""
    return {name: spec.cap(config) for name, spec in CHANNELS.items() if spec.cap is not None}


def send_time(members: Mapping[str, int], segments: int, caps: Mapping[str, SendCap]) -> SendTime | None:
    """How long sending one message of `segments` SMS segments takes to the members counted
    on each channel in `members` ("sms": 20000; "whatsapp_template" counts as WhatsApp), at
    `caps`; None when nothing goes by a paced channel."""
    slowest: SendTime | None = None
    for name, cap in caps.items():
        count = sum(n for channel, n in members.items() if channel.removesuffix("_template") == name)
        if not count:
            continue
        units = count * segments if cap.per_segment else count
        found = SendTime(units / cap.per_second, cap)
        if slowest is None or found.seconds > slowest.seconds:
            slowest = found
    return slowest


def _duration(seconds: float) -> str:
    """ "under a minute", "about 33 minutes", "about 28 hours"."""
    minutes = seconds / 60
    if minutes < 1:
        return "under a minute"
    if minutes < 90:
        whole = max(1, round(minutes))
        return f"about {whole} minute{'' if whole == 1 else 's'}"
    hours = math.floor(minutes / 60 + 0.5)
    return f"about {hours:,} hours"
