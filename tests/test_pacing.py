"""The pacer spaces sends per key at the configured rate (a fake clock: no waiting here)."""

import pytest

from channels.pacing import Pacer


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
