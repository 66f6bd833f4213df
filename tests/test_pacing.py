"""The pacer spaces sends per key at the configured rate (a fake clock: no waiting here); the
pace kept in the database holds one cap for every worker process that shares the database."""

import pytest
from sqlalchemy import func, select

from bot.messaging.pace import SharedPacer
from channels.pacing import Pacer
from models import SendPace
from models.engine import make_engine


class FakeTime:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_units_are_spread_at_the_rate_per_key():
    time = FakeTime()
    pacer = Pacer(10, clock=time.clock, sleep=time.sleep)
    pacer.wait("+441632960001", 1)  # first one goes at once
    pacer.wait("+441632960001", 2)  # 1 unit at 10/s: 0.1 s later
    pacer.wait("+441632960001", 1)  # 2 more units: 0.2 s after that
    assert time.slept == [0.1, 0.2]
    pacer.wait("+441632960002", 1)  # another number has its own pace
    assert time.slept == [0.1, 0.2]


def test_idle_time_is_not_banked_into_a_burst():
    time = FakeTime()
    pacer = Pacer(10, clock=time.clock, sleep=time.sleep)
    pacer.wait("a")
    time.now += 60
    pacer.wait("a")
    pacer.wait("a")
    assert time.slept == [0.1]


def test_rate_must_be_positive():
    with pytest.raises(ValueError):
        Pacer(0)


@pytest.fixture
def two_workers(database_url):
    """Two engines on one database, as two worker processes (or machines) have."""
    engines = [make_engine(database_url), make_engine(database_url)]
    yield engines
    for engine in engines:
        engine.dispose()


def test_two_workers_sharing_the_database_together_keep_the_rate(two_workers):
    """Each worker kept its own pace in memory, so two sent at twice Twilio's cap; booked in
    the database, the two together send one segment every 0.1 s at 10 a second."""
    time = FakeTime()
    first, second = (SharedPacer(e, "sms", 10, clock=time.clock, sleep=time.sleep) for e in two_workers)
    sent = []
    for _ in range(5):
        for pacer in (first, second):  # they take turns, as two busy workers would
            pacer.wait("+441632960001")
            sent.append(round(time.now, 6))
    assert sent == [100.0, 100.1, 100.2, 100.3, 100.4, 100.5, 100.6, 100.7, 100.8, 100.9]


def test_a_shared_pace_counts_segments_per_sender_and_per_channel(two_workers):
    time = FakeTime()
    first, second = (SharedPacer(e, "sms", 10, clock=time.clock, sleep=time.sleep) for e in two_workers)
    first.wait("+441632960001", 3)  # a 3-segment SMS: the next may go 0.3 s later
    second.wait("+441632960001", 1)
    assert time.slept == [0.3]
    second.wait("+441632960002", 1)  # another number keeps its own pace
    SharedPacer(two_workers[0], "whatsapp", 10, clock=time.clock, sleep=time.sleep).wait("+441632960001")
    time.now += 60  # idle time is not banked into a burst
    first.wait("+441632960001")
    second.wait("+441632960001")
    assert time.slept == [0.3, 0.1]


def test_a_rate_too_fine_to_keep_is_no_cap_and_books_nothing(two_workers):
    """A benchmark's fake provider is paced at 10**9 a second: no database write per send."""
    SharedPacer(two_workers[0], "sms", 10**9, clock=FakeTime().clock).wait("+441632960001")
    with two_workers[1].connect() as connection:
        assert connection.scalar(select(func.count()).select_from(SendPace)) == 0
