"""Quiet hours hold at the moment of sending, not only at queueing: news that would go inside
them after all (retried after an error, or paced past their start in a long broadcast) waits
for their end; and at their end, an answer to a resident goes before the held news."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.messaging.dispatcher import Dispatcher
from bot.messaging.inbound import receive
from channels import console
from channels.errors import TransientSendError
from models import OutboxMessage
from models.states import OutboxStatus
from tests.fakes import CollectingChannel

PHONES = ("+447700900301", "+447700900302", "+447700900303")
NEWS = "The garden opens on Saturday"


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)  # November: London keeps GMT, so these are its times too


@pytest.fixture
def members(community, new_chat):
    """Three residents who joined by day (10:00), their welcome messages sent."""
    for phone in PHONES:
        chat = new_chat(phone=phone)
        chat.say("hello")
        chat.say("YES")


@pytest.fixture
def channel():
    return CollectingChannel(console.NAME)


def _news(cp, clock, at: datetime) -> None:
    """A budget update broadcast to every member at `at`."""
    clock.current = at
    result = cp("budget", "update", "--community", "riverside", "--text", NEWS, "--broadcast", "--yes")
    assert result.exit_code == 0, result.output


def _rows(db) -> list[OutboxMessage]:
    with db.transaction() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.like("budget-update:%"))
        ).all()
        session.expunge_all()
        return list(rows)


def test_news_retried_into_quiet_hours_waits_for_their_end(db, clock, cp, members, channel):
    _news(cp, clock, _at(2026, 11, 26, 20, 58))  # before 21:00: it may go at once
    dispatcher = Dispatcher(db, {console.NAME: channel}, clock, base_backoff=600)
    channel.fail_with(*(TransientSendError("busy", "try again") for _ in PHONES))
    dispatcher.run_once()  # every send refused for now: retried in ten minutes, at 21:08
    assert channel.sent == []

    clock.current = _at(2026, 11, 26, 21, 8)
    dispatcher.run_once()
    assert channel.sent == []  # not at 21:08, inside the quiet hours
    rows = _rows(db)
    assert {(r.status, r.next_attempt_at, r.attempts) for r in rows} == {
        (OutboxStatus.QUEUED, _at(2026, 11, 27, 8, 0), 1)  # the one real attempt, not two
    }

    clock.current = _at(2026, 11, 27, 7, 59)
    dispatcher.run_once()
    assert channel.sent == []
    clock.current = _at(2026, 11, 27, 8, 0)
    while dispatcher.run_once():
        pass
    assert sum(NEWS in text for text in channel.texts()) == len(PHONES)


def test_a_retry_lands_on_the_end_of_quiet_hours_not_in_them(db, clock, cp, members, channel):
    """The backoff itself is moved to the end of the hours, so the dashboard's count of what
    waits, and when it goes, is right without a wasted claim at 21:08."""
    _news(cp, clock, _at(2026, 11, 26, 20, 58))
    dispatcher = Dispatcher(db, {console.NAME: channel}, clock, base_backoff=600)
    channel.fail_with(TransientSendError("busy", "try again"))
    dispatcher.run_once()
    retried = [r for r in _rows(db) if r.attempts == 1 and r.status == OutboxStatus.QUEUED]
    assert [r.next_attempt_at for r in retried] == [_at(2026, 11, 27, 8, 0)]


def test_a_broadcast_paced_past_the_start_of_quiet_hours_stops_at_it(db, clock, cp, members, channel):
    _news(cp, clock, _at(2026, 11, 26, 20, 59, 59))
    dispatcher = Dispatcher(db, {console.NAME: channel}, clock)

    def one_second_each(message) -> None:  # the provider's pace: a send a second
        clock.advance(seconds=1)

    channel.on_send = one_second_each
    while dispatcher.run_once():
        pass
    # The first went at 20:59:59; by the next check it was 21:00:00.
    assert len(channel.sent) == 1
    waiting = [r for r in _rows(db) if r.status == OutboxStatus.QUEUED]
    assert len(waiting) == len(PHONES) - 1
    assert {(r.next_attempt_at, r.attempts) for r in waiting} == {(_at(2026, 11, 27, 8, 0), 0)}

    clock.current = _at(2026, 11, 27, 8, 0)
    while dispatcher.run_once():
        pass
    assert len(channel.sent) == len(PHONES)


def test_an_answer_at_8_01_goes_before_the_mornings_held_news(db, clock, cp, members, channel):
    _news(cp, clock, _at(2026, 11, 27, 2, 0))  # held until 08:00
    clock.current = _at(2026, 11, 27, 8, 1)
    # The third member asks for the budget at 08:01, before any of the held news has gone.
    receive(db, console.inbound(PHONES[2], "BUDGET", "riverside"), clock())
    dispatcher = Dispatcher(db, {console.NAME: channel}, clock, batch=1)
    dispatcher.run_once()  # one at a time: the first claimed is the first sent
    assert [m.address.user_id for m in channel.sent] == [PHONES[2]]
    assert "Still to decide" in channel.sent[0].text
    while dispatcher.run_once():
        pass
    assert sum(NEWS in text for text in channel.texts()[1:]) == len(PHONES)  # then the news


def test_an_answer_in_the_night_is_never_held(db, clock, cp, members, channel):
    """What a resident asks at 23:00 is answered at 23:00, retried or not."""
    clock.current = _at(2026, 11, 26, 23, 0)
    receive(db, console.inbound(PHONES[0], "BUDGET", "riverside"), clock())
    dispatcher = Dispatcher(db, {console.NAME: channel}, clock, base_backoff=60)
    channel.fail_with(TransientSendError("busy", "try again"))
    dispatcher.run_once()
    clock.current = _at(2026, 11, 26, 23, 1)
    dispatcher.run_once()
    assert len(channel.sent) == 1 and "Still to decide" in channel.sent[0].text
