"""Fakes for each layer: a collecting channel and a fixed clock."""
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from channels.messages import OutboundMessage


class FixedClock:
    """A clock that only moves when the test says so."""

    def __init__(self, start: datetime = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta) -> None:
        self.current += timedelta(**delta)


class CollectingChannel:
    """Records what would be sent; `fail_with` makes the next sends raise."""

    def __init__(self, name: str = "console"):
        self.name = name
        self.sent: list[OutboundMessage] = []
        self.failures: list[Exception] = []
        self.on_send: Callable[[OutboundMessage], None] | None = None

    def fail_with(self, *errors: Exception) -> None:
        self.failures.extend(errors)

    def send(self, message: OutboundMessage) -> str:
        if self.on_send:
            self.on_send(message)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return f"fake-{len(self.sent)}"

    def texts(self) -> list[str]:
        return [m.text for m in self.sent]
