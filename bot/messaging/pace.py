"""Paces kept in the database, so every worker process (on one machine or several) books its
sends against one cap per sender: two workers together send no faster than one may.

A booking is one short UPDATE ... RETURNING on the sender's row (send_pace): it moves the time
the next unit may go on by units / rate from whichever is later, that time or now, and says
where it began; the caller sleeps until then. PostgreSQL's row lock, and SQLite's one writer,
put concurrent bookings one after the other. Times are the wall clock's (seconds since the
epoch), the one clock processes on different machines share; keep their clocks in step (NTP).
"""

import time
from collections.abc import Callable

from sqlalchemy import Engine, Insert, bindparam, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from bot.context import Database
from channels.errors import TransientSendError
from channels.pacing import Pacing
from models import SendPace, table_of

_PACE = table_of(SendPace)
# A microsecond: finer than a time since the epoch in a double can be moved on (its step is about
# 0.24 us), so a booking that small moves nothing. A rate that high means no cap (a benchmark's
# fake provider): no booking is made, and no database write.
RESOLUTION = 1e-6
_BOOK = (
    _PACE.update()
    .where(_PACE.c.key == bindparam("pace_key"))
    .values(
        next_at=case((_PACE.c.next_at > bindparam("now"), _PACE.c.next_at), else_=bindparam("now"))
        + bindparam("cost")
    )
    .returning(_PACE.c.next_at)
)


class SharedPacer:
    """A Pace (channels/pacing.py) kept in the database: `rate` units a second per key, for
    every process that books against the same database. Keys are the channel's own (a number,
    "all"), kept under the channel's name."""

    def __init__(
        self,
        engine: Engine,
        channel: str,
        rate: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.engine = engine
        self.channel = channel
        self.rate = rate
        self.clock = clock
        self.sleep = sleep
        self._known: set[str] = set()  # keys whose row exists

    def wait(self, key: str, units: float = 1) -> None:
        """Block until `units` more may be sent for `key`, then book them."""
        row_key = f"{self.channel}:{key}"
        cost = units / self.rate
        if cost < RESOLUTION:
            return
        now = self.clock()
        try:
            booking = {"pace_key": row_key, "now": now, "cost": cost}
            with self.engine.begin() as connection:
                booked = connection.execute(_BOOK, booking).scalar() if row_key in self._known else None
                if booked is None:  # the sender's first booking (here, or at all)
                    connection.execute(_create(self.engine), {"key": row_key, "next_at": 0.0})
                    booked = connection.execute(_BOOK, booking).scalar_one()
        except DBAPIError as exc:  # the database is away: the send waits for it, as the dispatcher does
            raise TransientSendError("pace", type(exc.orig).__name__) from None
        self._known.add(row_key)
        start = booked - cost
        if start > now:
            self.sleep(start - now)


def _create(engine: Engine) -> Insert:
    """An INSERT of a sender's row that does nothing if another process made it first."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(_PACE).on_conflict_do_nothing(index_elements=["key"])
    return sqlite.insert(_PACE).on_conflict_do_nothing(index_elements=["key"])


def shared(db: Database) -> Pacing:
    """Paces for a worker's channels, kept in `db` and so shared with every other worker."""

    def pacing(channel: str, rate: float) -> SharedPacer:
        return SharedPacer(db.engine, channel, rate)

    return pacing
