"""Pacing: keep sends under a provider's rate, per key (a sending number, a chat)."""

import threading
import time
from collections.abc import Callable


class Pacer:
    """Spaces sends so each key gets at most `rate` units (messages, segments) per second.

    Shared by the threads of one process; several worker processes each keep their own pace.
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
