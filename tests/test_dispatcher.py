"""The dispatcher: sends due outbox rows, retries what may work later, records what never will."""

import contextlib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.messaging.dispatcher import Dispatcher
from channels.errors import PermanentSendError, SendError, TransientSendError
from channels.messages import Choice
from models import Community, Identity, OutboxMessage
from tests.fakes import CollectingChannel
from tests.outbox_helpers import outbox_row, queue


def test_queued_messages_are_sent_and_recorded(db, clock):
    channel = CollectingChannel()
    row_id = queue(db, clock, "hello", choices=(Choice("Yes", "YES"),))
    assert Dispatcher(db, {"console": channel}, clock).run_once() == 1
    assert channel.sent[0].text == "hello" and channel.sent[0].choices == (Choice("Yes", "YES"),)
    row = outbox_row(db, row_id)
    assert (row.status, row.provider_id, row.attempts, row.sent_at) == ("sent", "fake-1", 1, clock())
    assert Dispatcher(db, {"console": channel}, clock).run_once() == 0  # never twice


def test_rows_for_other_channels_are_left_for_their_workers(db, clock):
    row_id = queue(db, clock, channel="sms")
    assert Dispatcher(db, {"console": CollectingChannel()}, clock).run_once() == 0
    assert outbox_row(db, row_id).status == "queued"


def test_transient_errors_are_retried_with_backoff(db, clock):
    channel = CollectingChannel()
    channel.fail_with(TransientSendError("429", "slow down"), TransientSendError("503", "busy"))
    row_id = queue(db, clock)
    dispatcher = Dispatcher(db, {"console": channel}, clock, base_backoff=5)
    dispatcher.run_once()
    row = outbox_row(db, row_id)
    assert (row.status, row.error_code, row.next_attempt_at) == (
        "queued",
        "429",
        clock() + timedelta(seconds=5),
    )
    assert dispatcher.run_once() == 0  # not due yet
    clock.advance(seconds=5)
    dispatcher.run_once()
    assert outbox_row(db, row_id).next_attempt_at == clock() + timedelta(seconds=10)
    clock.advance(seconds=10)
    dispatcher.run_once()
    assert outbox_row(db, row_id).status == "sent" and channel.texts() == ["hello"]


def test_retry_after_from_the_provider_is_honoured(db, clock):
    channel = CollectingChannel()
    channel.fail_with(TransientSendError("429", "flood", retry_after=42))
    row_id = queue(db, clock)
    Dispatcher(db, {"console": channel}, clock).run_once()
    assert outbox_row(db, row_id).next_attempt_at == clock() + timedelta(seconds=42)


def test_attempts_are_bounded(db, clock):
    channel = CollectingChannel()
    channel.fail_with(*[TransientSendError("500", "down")] * 3)
    row_id = queue(db, clock)
    dispatcher = Dispatcher(db, {"console": channel}, clock, max_attempts=3, base_backoff=1)
    for _ in range(3):
        dispatcher.run_once()
        clock.advance(minutes=5)
    row = outbox_row(db, row_id)
    assert (row.status, row.attempts, row.error_code) == ("failed", 3, "500")


def test_a_permanent_error_fails_the_row_and_marks_the_identity(db, clock, community, member):
    member.channel.fail_with(PermanentSendError("21610", "opted out at carrier", unreachable="opted_out"))
    member.say("BUDGET")
    with db.transaction() as session:
        failed = session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed")).one()
        identity = session.scalars(select(Identity)).one()
    assert (failed.error_code, failed.attempts) == ("21610", 1)
    assert identity.unreachable == "opted_out"


def test_other_provider_errors_fail_without_retry(db, clock):
    channel = CollectingChannel()
    channel.fail_with(SendError("30007", "filtered"))
    row_id = queue(db, clock)
    Dispatcher(db, {"console": channel}, clock).run_once()
    assert (outbox_row(db, row_id).status, outbox_row(db, row_id).error_message) == ("failed", "filtered")


def test_an_adapter_bug_does_not_lose_the_message(db, clock):
    channel = CollectingChannel()
    channel.fail_with(KeyError("oops"))
    row_id = queue(db, clock)
    Dispatcher(db, {"console": channel}, clock).run_once()
    assert outbox_row(db, row_id).status == "queued"


def test_a_final_message_is_erased_once_sent(db, clock):
    row_id = queue(db, clock, "bye", erase_after_send=True)
    Dispatcher(db, {"console": CollectingChannel()}, clock).run_once()
    row = outbox_row(db, row_id)
    assert (row.status, row.body, row.address) == ("sent", None, None)


def test_segments_are_counted_per_message(db, clock):
    assert outbox_row(db, queue(db, clock, "a" * 200)).segments == 2
    assert outbox_row(db, queue(db, clock, "🙂" * 40)).segments == 2


def test_two_dispatchers_never_send_the_same_row(db, clock):
    for n in range(40):
        queue(db, clock, f"message {n}")
    channels = [CollectingChannel(), CollectingChannel()]
    dispatchers = [Dispatcher(db, {"console": c}, clock, batch=5) for c in channels]

    def drain(dispatcher):
        while dispatcher.run_once():
            pass

    threads = [threading.Thread(target=drain, args=(d,)) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = channels[0].texts() + channels[1].texts()
    assert sorted(sent) == sorted(f"message {n}" for n in range(40))


def test_a_claim_left_by_a_dispatcher_that_died_is_taken_over_within_a_minute(db, clock):
    dead = CollectingChannel()
    dead.on_send = lambda message: (_ for _ in ()).throw(SystemExit("killed mid-send"))
    first, second = queue(db, clock, "one"), queue(db, clock, "two")
    # the worker died after claiming both rows, inside the first send
    with contextlib.suppress(SystemExit):
        Dispatcher(db, {"console": dead}, clock).run_once()
    assert [outbox_row(db, i).status for i in (first, second)] == ["sending", "sending"]
    survivor = CollectingChannel()
    dispatcher = Dispatcher(db, {"console": survivor}, clock)
    clock.advance(seconds=30)
    assert dispatcher.run_once() == 0  # the claim still holds: nobody sends it twice yet
    clock.advance(seconds=31)
    assert dispatcher.run_once() == 2
    assert survivor.texts() == ["one", "two"]
    assert [outbox_row(db, i).status for i in (first, second)] == ["sent", "sent"]


def test_a_dispatcher_whose_claim_lapsed_does_not_send_what_another_took_over(db, clock):
    row_id = queue(db, clock, "only once")
    slow, fast = CollectingChannel(), CollectingChannel()
    slow_dispatcher = Dispatcher(db, {"console": slow}, clock)
    claimed = slow_dispatcher._claim(None)  # claimed, then stalled before sending
    clock.advance(minutes=2)
    Dispatcher(db, {"console": fast}, clock).run_once()
    for row, claimed_at in claimed:
        assert slow_dispatcher._start(row, claimed_at) is None
    assert fast.texts() == ["only once"] and slow.texts() == []
    assert outbox_row(db, row_id).status == "sent"


def test_a_send_the_database_could_not_record_is_recorded_later_and_never_sent_twice(db, clock):
    row_id = queue(db, clock, "only once")
    channel = CollectingChannel()
    dispatcher = Dispatcher(db, {"console": channel}, clock)
    real_sent = dispatcher._sent
    blips = iter([True])

    def blip(*args):
        if next(blips, False):
            raise OperationalError("UPDATE", {}, Exception("server closed the connection"))
        return real_sent(*args)

    dispatcher._sent = blip
    with pytest.raises(OperationalError):
        dispatcher.run_once()  # sent, then the database went away before it was recorded
    assert channel.texts() == ["only once"] and outbox_row(db, row_id).status == "sending"
    clock.advance(seconds=2)
    dispatcher.run_once()  # back: recorded first, not sent again
    assert channel.texts() == ["only once"]
    row = outbox_row(db, row_id)
    assert (row.status, row.provider_id) == ("sent", "fake-1")
    clock.advance(minutes=2)
    assert dispatcher.run_once() == 0  # no lapsed claim to take over


def test_messages_go_in_the_order_they_were_queued_across_batches(db, clock):
    for n in range(7):
        queue(db, clock, f"part {n}")
    channel = CollectingChannel()
    dispatcher = Dispatcher(db, {"console": channel}, clock, batch=3)
    assert [dispatcher.run_once() for _ in range(4)] == [3, 3, 1, 0]
    assert channel.texts() == [f"part {n}" for n in range(7)]
    with db.transaction() as session:
        rows = session.scalars(select(OutboxMessage)).all()
    assert {(row.status, row.attempts) for row in rows} == {("sent", 1)}
    assert len({row.provider_id for row in rows}) == 7


def test_a_retry_waits_its_turn_behind_nothing_and_before_newer_messages(db, clock):
    channel = CollectingChannel()
    channel.fail_with(TransientSendError("503", "busy"))
    queue(db, clock, "first")
    dispatcher = Dispatcher(db, {"console": channel}, clock, base_backoff=5)
    dispatcher.run_once()
    clock.advance(seconds=3)
    queue(db, clock, "second")  # due before the retry of "first"
    clock.advance(seconds=3)
    queue(db, clock, "third")  # due after it
    dispatcher.run_once()
    assert channel.texts() == ["second", "first", "third"]


def test_a_stop_while_a_batch_is_being_sent_holds_back_the_rest(db, clock, member):
    from bot.domain.notify import members, notify
    from bot.messaging.inbound import receive
    from channels import console

    with db.transaction() as session:
        community = session.scalars(select(Community)).one()
        for n in range(5):
            for resident in members(session, community):
                notify(session, community, resident, f"news {n}", clock(), rendered=True)
    clock.advance(seconds=1)

    def stop_after_the_first(message):
        member.channel.on_send = None
        receive(db, console.inbound(member.phone, "STOP", member.slug), clock())

    member.channel.on_send = stop_after_the_first
    before = len(member.channel.sent)
    assert member.dispatcher.run_once() == 5  # all five claimed in one batch
    assert member.channel.texts()[before:] == ["news 0"]
    assert [body for body, status in _bodies(db) if status == "cancelled"] == [
        f"news {n}" for n in range(1, 5)
    ]


def _bodies(db):
    with db.transaction() as session:
        return [
            (row.body, row.status)
            for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
