"""Pacing: keep sends under a provider's rate, per key (a sending number, a chat).

A channel asks its pace to `wait(key, units)` before each send. The pace it is given decides
how far that pace is shared: `Pacer` keeps it in this process's memory; the worker gives its
channels one kept in the database (bot/messaging/pace.py), so several worker processes, on
one machine or several, keep one cap between them. A channel builds its paces through a
`Pacing` it was given, and so never learns where they are kept.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Pace(Protocol):
    """Spaces sends so each key gets at most `rate` units a second."""

    rate: float

    def wait(self, key: str, units: float = 1) -> None:
        """Block until `units` more may be sent for `key`, then book them."""


# Makes the pace of one of a channel's caps: (the channel's name, units a second) -> Pace.
Pacing = Callable[[str, float], Pace]


@dataclass(frozen=True)
class SendCap:
    """How fast a channel may send: `rate` units a second from each of `senders` senders (a
    Messaging Service's pool of numbers; one bot). A unit is a `unit` ("SMS segment"): one
    message, or each of its SMS segments when `per_segment`; a sender is a `sender` ("number")."""

    rate: float
    senders: int
    unit: str
    sender: str = "number"
    per_segment: bool = False

    @property
    def per_second(self) -> float:
        return self.rate * self.senders


class Pacer:
    """Spaces sends so each key gets at most `rate` units (messages, segments) per second.

    Shared by the threads of one process only: each process that has one keeps its own pace.
    """

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.clock = clock
        self.sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, units: float = 1) -> None:
        """Block until `units` more may be sent for `key`, then book them."""
        with self._lock:
            now = self.clock()
            start = max(now, self._next.get(key, now))
            self._next[key] = start + units / self.rate
        if start > now:
            self.sleep(start - now)


def in_memory(channel: str, rate: float) -> Pacer:
    """A pace kept in this process (a laptop's `serve`, a test, a one-off command)."""
    return Pacer(rate)
