"""INBOUND_ANSWER=worker: webhooks store and acknowledge; a worker answers, in each sender's order,
once each, and a round closes only after the votes sent in time are counted."""

import contextlib
import itertools
import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text

from bot.context import get_db
from bot.domain import round_times, rounds
from bot.messaging import channels as inbound_channels
from bot.messaging import pending
from bot.messaging.channels import configured_channels, inbound_work
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.inbound import keep
from bot.web.app import create_app
from channels.messages import Address, InboundMessage
from models import (
    Ballot,
    Idea,
    Identity,
    InboundLog,
    OutboxMessage,
    PendingAnswer,
    Resident,
    Round,
    TelegramChat,
)
from scheduler import jobs, runtime
from scheduler.service import build
from tests.fake_telegram import TOKEN
from tests.round_helpers import make_round
from tests.telegram_helpers import SECRET, message_update
from tests.twilio_helpers import inbound, signed, twilio_config


@pytest.fixture
def later_app(app, fake_twilio, fake_telegram):
    app.config.update(
        twilio_config(fake_twilio),
        INBOUND_ANSWER="worker",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_URL=fake_telegram.url,
        TELEGRAM_CHAT_MESSAGES_PER_SECOND=1000,
        TELEGRAM_MESSAGES_PER_SECOND=1000,
    )
    return app


class Phone:
    """A resident texting a community whose webhooks leave answers to a worker."""

    def __init__(self, app, fake, number="+447700900123"):
        self.app, self.fake, self.number = app, fake, number
        self.client = app.test_client()
        self.dispatcher = Dispatcher(get_db(app), configured_channels(app), app.config["CLOCK"])

    def send(self, body: str, sid: str | None = None) -> None:
        params = inbound(body, self.number, sid=sid)
        response = self.client.post("/webhooks/twilio/sms", data=params, headers=signed(params))
        assert response.status_code == 200 and b"<Response />" in response.data

    def answers(self) -> list[str]:
        """What the worker answered since last asked, as the phone received it."""
        before = len(self.fake.sent)
        inbound_work(self.app)()
        while self.dispatcher.run_once():
            pass
        return [s.form["Body"] for s in self.fake.sent[before:] if s.form["To"] == self.number]

    def text(self, body: str) -> list[str]:
        self.send(body)
        return self.answers()


def count(db, model, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_message_is_stored_and_acknowledged_then_a_worker_answers_it(later_app, fake_twilio, community, db):
    phone = Phone(later_app, fake_twilio)
    phone.send("Hello?")
    assert count(db, InboundLog) == 1 and count(db, OutboxMessage) == 0  # stored, not yet answered
    assert count(db, PendingAnswer) == 1
    assert "Reply YES to join" in phone.answers()[0]
    assert count(db, PendingAnswer) == 0
    assert "you're in" in phone.text("YES")[0]
    assert "how much" in phone.text("IDEA more benches on the green")[0]
    assert "Still to decide: £1,150,000" in phone.text("BUDGET")[0]


def test_a_flood_answered_by_the_worker_gets_what_it_would_inline(
    later_app, fake_twilio, community, db, clock
):
    """The flood limit counts a sender's messages in the minute up to each one, as they came,
    also when all of them wait for the worker at once (its groups read when their senders
    wrote once, not with a query each turn): ten answered, then a "slow down", then nothing."""
    phone = Phone(later_app, fake_twilio)
    phone.text("hi")
    clock.advance(minutes=2)
    for body in ["YES"] + ["BUDGET"] * 30:
        phone.send(body)
        clock.advance(seconds=1)
    answered = phone.answers()
    assert len(answered) == 11  # the limit (10) counts the YES too: it, nine budgets, a slow-down
    assert "Welcome, you're in" in answered[0] and "faster than we can answer" in answered[-1]
    assert sum("Still to decide" in answer for answer in answered) == 9


def test_a_senders_messages_are_answered_in_the_order_they_came(later_app, fake_twilio, community, db):
    phone = Phone(later_app, fake_twilio)
    for body in ("YES", "IDEA more benches on the green", "£2k", "BUDGET"):
        phone.send(body)  # a burst, all acknowledged before any is answered
    welcome, asked, idea, budget = phone.answers()
    assert "you're in" in welcome and "how much" in asked
    assert "#1" in idea and "£2,000" in idea and "Still to decide" in budget
    with db.transaction() as session:
        assert session.scalar(select(Idea.cost_pence)) == 200_000


def test_a_providers_repeat_is_stored_and_answered_once(later_app, fake_twilio, community, db):
    phone = Phone(later_app, fake_twilio)
    phone.send("YES", sid="SM" + "7" * 32)
    phone.send("YES", sid="SM" + "7" * 32)  # Twilio retried
    assert count(db, InboundLog) == 1 and count(db, PendingAnswer) == 1
    assert len(phone.answers()) == 1


def test_a_message_to_a_number_nobody_has_is_neither_stored_nor_queued(later_app, community, db):
    params = inbound("hi", to="+441632960999")
    response = later_app.test_client().post("/webhooks/twilio/sms", data=params, headers=signed(params))
    assert response.status_code == 200
    assert count(db, InboundLog) == 0 and count(db, PendingAnswer) == 0


def test_telegram_messages_are_answered_by_the_worker_too(later_app, fake_telegram, community, db):
    response = later_app.test_client().post(
        "/webhooks/telegram",
        json=message_update(111, "/start RIVERSIDE"),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert response.status_code == 200 and count(db, PendingAnswer) == 1
    assert fake_telegram.texts(111) == []
    inbound_work(later_app)()
    dispatcher = Dispatcher(get_db(later_app), configured_channels(later_app), later_app.config["CLOCK"])
    while dispatcher.run_once():
        pass
    (welcome,) = fake_telegram.texts(111)
    assert "Riverside" in welcome
    with db.transaction() as session:
        assert session.scalar(select(InboundLog.community_id)) == community.id


def test_a_turn_that_fails_is_tried_again_and_then_given_up(
    later_app, fake_twilio, community, db, clock, monkeypatch, caplog
):
    phone = Phone(later_app, fake_twilio)
    real = pending.answer_stored
    failures = {"left": 2}  # its group's try, then its own

    def flaky(*args, **kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("a bug in the turn")
        return real(*args, **kwargs)

    monkeypatch.setattr(pending, "answer_stored", flaky)
    phone.send("YES")
    assert phone.answers() == []  # failed: nothing half-done, kept for later
    assert count(db, PendingAnswer) == 1 and count(db, OutboxMessage) == 0
    assert phone.answers() == []  # not before its backoff
    clock.advance(seconds=6)
    assert "you're in" in phone.answers()[0]

    failures["left"] = 10
    phone.send("BUDGET")
    for _ in range(pending.ATTEMPTS):
        clock.advance(minutes=1)
        assert phone.answers() == []
    assert count(db, PendingAnswer) == 0  # given up on; the message itself stays stored
    assert count(db, InboundLog) == 2
    assert "left unanswered after 3 attempts" in caplog.text
    failures["left"] = 0
    assert "Still to decide" in phone.text("BUDGET")[0]  # the sender is not stuck behind it


def test_a_message_that_fails_holds_up_nobody_else_in_its_group(
    later_app, fake_twilio, community, db, clock, monkeypatch, caplog
):
    """Answers are committed in groups; a turn that fails undoes its group, whose other
    messages are then answered one by one in the same pass."""
    real = pending.answer_stored

    def failing_for_one(session, message, *args, **kwargs):
        if message.address.user_id == "+447700900666":
            raise RuntimeError("a bug in the turn")
        return real(session, message, *args, **kwargs)

    monkeypatch.setattr(pending, "answer_stored", failing_for_one)
    phones = [Phone(later_app, fake_twilio, f"+4477009001{n:02d}") for n in range(5)]
    unlucky = Phone(later_app, fake_twilio, "+447700900666")
    for phone in phones[:2]:
        phone.send("hi")
    unlucky.send("hi")
    for phone in phones[2:]:
        phone.send("hi")
    assert pending.GROUP >= 6  # all six would be one group
    caplog.set_level(logging.WARNING, logger="bot.messaging.pending")
    # A pass of 5: the group of 5 fails, then 5 are taken one by one (the third failing again)
    assert pending.answer_pending(db, clock, None, limit=5) == 5
    assert "a group of 5 answers was undone (RuntimeError)" in caplog.text
    unlucky.answers()  # a pass of the worker
    answered = {s.form["To"] for s in fake_twilio.sent if "Reply YES" in s.form["Body"]}
    assert answered == {phone.number for phone in phones}
    assert count(db, PendingAnswer) == 1  # only theirs waits, to be tried again


def test_a_round_waits_to_close_until_votes_sent_in_time_are_counted(
    later_app, fake_twilio, community, db, clock
):
    scheduler = build(later_app, blocking=False)
    runtime.bind(later_app, scheduler, "test-holder")
    scheduler.start(paused=True)
    try:
        round_id = make_round(db, community, clock(), opens_in=timedelta(minutes=1), lasts=timedelta(hours=1))
        clock.advance(minutes=2)
        jobs.open_round(round_id)
        voter = Phone(later_app, fake_twilio, "+447700900200")  # a member make_round made
        voter.answers()  # the ballot paper
        clock.advance(minutes=58)
        voter.send("VOTE 2")  # a minute before it closes
        clock.advance(minutes=2)
        jobs.close_round(round_id)
        with db.transaction() as session:
            assert session.get(Round, round_id).status == "open"  # the vote is still waiting
            round_ = session.get(Round, round_id)
            assert rounds.answers_waiting(session, round_, round_.closes_at) == 1
        assert scheduler.get_job(f"close-again-{round_id}") is not None
        assert "vote is in" in voter.answers()[0]
        jobs.close_round(round_id)
        with db.transaction() as session:
            round_ = session.get(Round, round_id)
            assert round_.status == "closed" and round_.outcome["winners"] == [2]
            assert session.scalar(select(func.count()).select_from(Ballot)) == 1
    finally:
        scheduler.shutdown(wait=False)


def test_workers_share_the_queue_but_never_answer_one_senders_messages_out_of_order(
    later_app, fake_twilio, community, db
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED between workers is PostgreSQL's; SQLite has one writer")
    ann, bob = Phone(later_app, fake_twilio), Phone(later_app, fake_twilio, "+447700900456")
    ann.send("YES")
    ann.send("BUDGET")
    bob.send("YES")
    with db.engine.connect() as other:  # another worker, in the middle of Ann's first message
        other.execute(text("SELECT id FROM pending_answer ORDER BY id LIMIT 1 FOR UPDATE"))
        assert pending.answer_pending(db, later_app.config["CLOCK"], None) == 1  # Bob's only
        with db.transaction() as session:
            left = session.execute(select(PendingAnswer.sender).order_by(PendingAnswer.id)).scalars().all()
        assert left == ["+447700900123", "+447700900123"]
        other.rollback()
    assert pending.answer_pending(db, later_app.config["CLOCK"], None) == 2
    assert count(db, PendingAnswer) == 0


def test_two_workers_giving_ideas_to_two_communities_do_not_deadlock(
    later_app, fake_twilio, community, make_community, db, clock, monkeypatch, caplog
):
    """An idea locks its community's row (its number). Two workers' groups each hold an idea for
    both communities, in opposite orders; each group takes the community locks in the same order,
    so neither waits on the other in a cycle (a deadlock undid a whole group and cost a second)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks between workers are PostgreSQL's; SQLite has one writer")
    hillside = make_community(
        name="Hillside", slug="hillside", join_code="HILLSIDE", sms_number="+441632960002"
    )
    client = later_app.test_client()

    def send(number, to, body):
        params = inbound(body, number, to=to)
        assert client.post("/webhooks/twilio/sms", data=params, headers=signed(params)).status_code == 200

    # Stored in this order: Ann (Riverside), Ali (Hillside), then Bea (Hillside), Bo (Riverside).
    writers = [
        ("+447700900101", community.sms_number),
        ("+447700900102", hillside.sms_number),
        ("+447700900103", hillside.sms_number),
        ("+447700900104", community.sms_number),
    ]
    for number, to in writers:
        send(number, to, "YES")
    assert pending.answer_pending(db, clock, None) == 4
    for number, to in writers:
        send(number, to, "IDEA a bench by the pond")
    real = pending.answer_stored
    first_turns = threading.Barrier(2)

    def meeting_after_the_first_turn(session, message, row, per_minute):
        receipt = real(session, message, row, per_minute)
        if not getattr(local, "met", False):
            local.met = True
            # both workers now hold their first community's lock, unless one waits for it
            with contextlib.suppress(threading.BrokenBarrierError):
                first_turns.wait(timeout=1.5)
        return receipt

    local = threading.local()
    monkeypatch.setattr(pending, "answer_stored", meeting_after_the_first_turn)
    caplog.set_level(logging.WARNING, logger="bot.messaging.pending")
    taken = []
    workers = [
        threading.Thread(target=lambda: taken.append(pending.answer_pending(db, clock, None, 2)))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(taken) == [2, 2]  # each worker answered its own group whole
    assert "undone" not in caplog.text
    with db.transaction() as session:
        ideas = session.execute(select(Idea.community_id, Idea.number)).all()
    assert sorted(ideas) == [(community.id, 1), (community.id, 2), (hillside.id, 1), (hillside.id, 2)]
    assert count(db, PendingAnswer) == 0


def test_an_unknown_answer_mode_is_refused_at_start(monkeypatch, tmp_path):
    monkeypatch.setenv("COMMONPURSE_INBOUND_ANSWER", "later")
    with pytest.raises(ValueError, match="COMMONPURSE_INBOUND_ANSWER must be one of inline, worker"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


@pytest.mark.parametrize("nice", ["20", "-5", "high", "2.5"])
def test_a_worker_niceness_out_of_range_is_refused_at_start(monkeypatch, tmp_path, nice):
    monkeypatch.setenv("COMMONPURSE_WORKER_NICE", nice)
    with pytest.raises(ValueError, match="COMMONPURSE_WORKER_NICE must be a whole number from 0 to 19"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


@pytest.mark.parametrize("share", ["0", "1.5", "-0.2", "half", "true"])
def test_a_worker_lock_share_out_of_range_is_refused_at_start(monkeypatch, tmp_path, share):
    monkeypatch.setenv("COMMONPURSE_WORKER_LOCK_SHARE", share)
    with pytest.raises(ValueError, match="COMMONPURSE_WORKER_LOCK_SHARE must be a number above 0"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_a_busy_worker_stands_aside_between_groups_for_its_share_of_the_write_lock(
    later_app, fake_twilio, community
):
    """SQLite has one write lock, which a group of answers holds from its start to its commit
    while webhooks wait to store what arrives: after a full group the worker steps aside for a
    moment, and if webhooks stored messages meanwhile, at a share of a quarter it stands aside
    for 60 ms in all after a group that held the lock for 20 ms (measured: webhooks beside a busy
    worker went from 0.26 to about 0.5 of a bare app's)."""
    phones = [Phone(later_app, fake_twilio, f"+4477009{n:05d}") for n in range(29)]
    for phone in phones[:25]:  # 25 waiting, and four more come in while it stands aside
        phone.send("hi")
    now, pauses, coming = [0.0], [], iter(phones[25:])

    def timer() -> float:
        now[0] += 0.02  # each reading 20 ms on: a group is read at its start and its end
        return now[0]

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if (arriving := next(coming, None)) is not None:
            arriving.send("hi")  # a webhook that was waiting for the lock stores its message

    taken = pending.answer_pending(
        get_db(later_app), later_app.config["CLOCK"], None, lock_share=0.25, pause=pause, timer=timer
    )
    assert taken == 29  # groups of 10, 10 and 9
    # After each full group: the moment aside, then the rest of 3 × the group's 20 ms.
    assert pauses == pytest.approx([pending.PROBE, 0.06 - pending.PROBE] * 2)
    assert count(get_db(later_app), PendingAnswer) == 0


def test_in_a_flood_the_worker_stands_aside_longer_down_to_a_fifth_of_its_share(
    later_app, fake_twilio, community
):
    """While it stands aside, webhooks store a message more often than every 2 ms (FLOOD_GAP):
    every moment of the lock is wanted to store what arrives, so the worker stands aside again
    and again, until its group held the lock a fifth of its share of the time (closed-loop
    webhooks beside a busy worker: 0.51 of a bare app's at a share of a quarter, 0.74 at a
    twentieth). Once the flood stops it goes on."""
    phones = iter(Phone(later_app, fake_twilio, f"+4477009{n:05d}") for n in range(34))
    for phone in itertools.islice(phones, 10):  # a full group waiting
        phone.send("hi")
    now, pauses = [0.0], []

    def timer() -> float:
        now[0] += 0.002  # a group holds the lock 2 ms
        return now[0]

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        for arriving in itertools.islice(phones, 3):  # three stored in each wait, while they last
            arriving.send("hi")

    taken = pending.answer_pending(
        get_db(later_app), later_app.config["CLOCK"], None, lock_share=0.25, pause=pause, timer=timer
    )
    assert taken == 34
    # a moment, the rest of its share's 6 ms, 6 ms again while the flood lasts, up to 38 ms in all
    assert pauses == pytest.approx([pending.PROBE, 0.004, *[0.006] * 5, 0.002, *[pending.PROBE] * 2])
    assert sum(pauses[:-2]) == pytest.approx(0.002 * (pending.FLOOD / 0.25 - 1))
    assert count(get_db(later_app), PendingAnswer) == 0


def test_after_a_short_group_a_flood_still_keeps_the_worker_aside(monkeypatch):
    """At a share near 1 a group's own wait is shorter than a moment: the worker still waits a
    moment at a time while the flood lasts, until its group held a fifth of that share."""
    stored = itertools.count(0, 3)  # three more messages each time it looks: a flood
    monkeypatch.setattr(pending, "_newest", lambda db: next(stored))
    pauses = []
    pending._stand_aside(None, -1, held=0.002, lock_share=0.95, pause=pauses.append)
    assert pauses == pytest.approx([pending.PROBE] * 5)  # till past 2 ms x (5 / 0.95 - 1) = 8.5 ms


def test_once_messages_stop_coming_the_worker_answers_what_is_left_at_full_speed(
    later_app, fake_twilio, community
):
    """After a surge nobody waits for the lock: the backlog goes without standing aside."""
    for n in range(25):
        Phone(later_app, fake_twilio, f"+4477009{n:05d}").send("hi")
    pauses = []
    taken = pending.answer_pending(
        get_db(later_app), later_app.config["CLOCK"], None, lock_share=0.25, pause=pauses.append
    )
    assert (taken, pauses) == (25, [pending.PROBE] * 2)  # a moment aside after each full group, no more
    assert count(get_db(later_app), PendingAnswer) == 0


def test_the_worker_stands_aside_on_sqlite_only_and_by_the_configured_share(later_app, monkeypatch):
    seen = []
    monkeypatch.setattr(inbound_channels, "answer_pending", lambda *a, **k: seen.append(k["lock_share"]) or 0)
    later_app.config["WORKER_LOCK_SHARE"] = 0.4
    inbound_work(later_app)()
    sqlite = get_db(later_app).engine.dialect.name == "sqlite"
    assert seen == [0.4 if sqlite else 1.0]  # PostgreSQL's writers do not queue on one lock


def test_the_worker_logs_no_phone_number_or_text(later_app, fake_twilio, community, caplog):
    caplog.set_level(logging.DEBUG)
    phone = Phone(later_app, fake_twilio)
    phone.text("IDEA a secret garden")
    assert "+447700900123" not in caplog.text and "secret garden" not in caplog.text


@pytest.fixture
def open_round(later_app, db, community, clock):
    """Round 1 of riverside, open for an hour, with members +447700900200 and +447700900201."""
    round_id = make_round(db, community, clock(), opens_in=timedelta(minutes=1), lasts=timedelta(hours=1))
    clock.advance(minutes=2)
    with db.transaction() as session:
        assert round_times.open_if_due(session, session.get(Round, round_id), clock())
    return round_id


def test_an_organiser_cannot_close_a_round_over_votes_still_being_answered(
    later_app, fake_twilio, open_round, db, cp
):
    voter = Phone(later_app, fake_twilio, "+447700900200")
    voter.answers()  # the ballot paper
    voter.send("VOTE 2")
    result = cp("round", "close", "--community", "riverside", "1")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "1 message sent before the close still waits for a worker" in result.output
    with db.transaction() as session:
        assert session.get(Round, open_round).status == "open"
    assert "vote is in" in voter.answers()[0]
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0
    with db.transaction() as session:
        assert session.get(Round, open_round).outcome["winners"] == [2]


def test_a_vote_sent_after_the_close_time_is_not_counted_while_the_round_waits(
    later_app, fake_twilio, open_round, db, clock
):
    early, late = (Phone(later_app, fake_twilio, n) for n in ("+447700900200", "+447700900201"))
    early.answers()
    clock.advance(minutes=58)
    early.send("VOTE 2")  # in time
    clock.advance(minutes=2)
    late.send("VOTE 1")  # after the close time, while the round waits for the vote before it
    with db.transaction() as session:
        assert not round_times.close_if_due(session, session.get(Round, open_round), clock())
    assert "vote is in" in early.answers()[0]
    refused = [s.form["Body"] for s in fake_twilio.sent if s.form["To"] == late.number][-1]
    assert "closed at" in refused and "counting the votes" in refused
    with db.transaction() as session:
        assert round_times.close_if_due(session, session.get(Round, open_round), clock())
        assert session.get(Round, open_round).outcome["winners"] == [2]
        assert session.scalar(select(func.count()).select_from(Ballot)) == 1


def test_inline_a_vote_after_the_close_time_is_refused_before_the_round_is_counted(
    app, open_round, db, clock, fake_twilio
):
    phone = Phone(app, fake_twilio, "+447700900200")
    app.config.update(twilio_config(fake_twilio))
    phone.answers()
    clock.advance(hours=2)  # the scheduler is late: the round is still open
    assert "counting the votes" in phone.text("VOTE 1")[0]
    assert count(db, Ballot) == 0


def test_a_message_given_up_on_keeps_neither_its_text_nor_its_sender(
    later_app, fake_twilio, community, db, clock, monkeypatch
):
    monkeypatch.setattr(pending, "answer_stored", lambda *a, **k: 1 / 0)
    phone = Phone(later_app, fake_twilio)
    phone.send("hi I'm Jo at 12 Elm Street")
    for _ in range(pending.ATTEMPTS):
        phone.answers()
        clock.advance(minutes=1)
    with db.transaction() as session:
        assert session.execute(select(InboundLog.sender, InboundLog.body)).one() == (None, None)
    assert count(db, PendingAnswer) == 0


def test_erasure_reaches_messages_still_waiting_for_an_answer(later_app, fake_twilio, member, db, clock):
    from bot.domain.erasure import erase_resident
    from models import Resident

    phone = Phone(later_app, fake_twilio, member.phone)
    phone.send("IDEA a quiet garden behind number 12")
    with db.transaction() as session:
        resident = session.scalar(select(Resident).where(Resident.status == "active"))
        erase_resident(session, resident, clock())
    assert count(db, PendingAnswer) == 0
    with db.transaction() as session:
        bodies = session.scalars(select(InboundLog.body)).all()
    assert not any("quiet garden" in (body or "") for body in bodies)


def test_a_turn_failing_in_the_database_does_not_hold_up_other_senders(
    later_app, fake_twilio, community, db, clock, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    real = pending.answer_stored

    def timing_out(session, message, row, per_minute):
        if message.address.user_id == "+447700900123":
            raise OperationalError(
                "SELECT ...", {}, Exception("canceling statement due to statement timeout")
            )
        return real(session, message, row, per_minute)

    monkeypatch.setattr(pending, "answer_stored", timing_out)
    ann, bob = Phone(later_app, fake_twilio), Phone(later_app, fake_twilio, "+447700900456")
    ann.send("YES")
    bob.send("YES")
    assert len(bob.answers()) == 1  # Bob is answered though Ann's turn failed before his
    with db.transaction() as session:
        row = session.scalar(select(PendingAnswer))
        assert row.sender == "+447700900123" and row.attempts == 1  # counted as tried, backing off


def test_a_telegram_message_waits_under_its_chats_community(later_app, fake_telegram, community, db):
    client = later_app.test_client()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    client.post("/webhooks/telegram", json=message_update(111, "/start RIVERSIDE"), headers=headers)
    inbound_work(later_app)()
    client.post("/webhooks/telegram", json=message_update(111, "VOTE 1"), headers=headers)
    client.post("/webhooks/telegram", json=message_update(222, "hello"), headers=headers)
    with db.transaction() as session:
        waiting = dict(session.execute(select(PendingAnswer.sender, PendingAnswer.community_id)).all())
    assert waiting == {"111": community.id, "222": None}  # a chat with no community yet waits for no round


def test_a_telegram_message_is_kept_in_one_statement_and_a_repeat_is_not(later_app, community, db, clock):
    """A Telegram webhook in worker mode stores the message and its pending answer under the
    chat's community in one statement on PostgreSQL (two on SQLite); a repeat adds nothing."""
    from sqlalchemy import event

    now = clock()
    with db.transaction() as session:
        session.add(TelegramChat(chat_id="111", community_id=community.id, updated_at=now))
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        receipt = keep(db, InboundMessage(Address("telegram", "111"), "VOTE 1", "tg-7", now), now)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert receipt.outcome == "queued"
    expected = 1 if db.engine.dialect.name == "postgresql" else 2
    assert len([s for s in statements if s not in ("BEGIN", "COMMIT")]) == expected, statements
    assert (
        keep(db, InboundMessage(Address("telegram", "111"), "VOTE 1", "tg-7", now), now).outcome
        == "duplicate"
    )
    with db.transaction() as session:
        assert session.execute(select(PendingAnswer.sender, PendingAnswer.community_id)).all() == [
            ("111", community.id)
        ]
        assert session.scalar(select(func.count()).select_from(InboundLog)) == 1


def test_a_message_its_sender_erased_earlier_in_the_same_group_is_not_answered(db, community, clock):
    """A resident on SMS and Telegram sends DELETE by Telegram; an SMS they sent just before,
    stored after it (replayed from a spool), waits in the same group. Erasure forgets it: it is
    neither answered nor does it bring their number back."""
    now = clock()
    with db.transaction() as session:
        resident = Resident(community_id=community.id, status="pending", created_at=now)
        resident.identities.append(
            Identity(community_id=community.id, kind="phone", value="+447700900123", created_at=now)
        )
        resident.identities.append(
            Identity(community_id=community.id, kind="telegram", value="111", created_at=now)
        )
        session.add(resident)
        session.add(TelegramChat(chat_id="111", community_id=community.id, updated_at=now))
    deleted_at = now + timedelta(minutes=1)
    keep(db, InboundMessage(Address("telegram", "111"), "DELETE", "tg-1", deleted_at), deleted_at)
    sent_before = deleted_at - timedelta(seconds=30)
    keep(
        db,
        InboundMessage(
            Address("sms", "+447700900123"),
            "hello",
            "SM" + "1" * 32,
            sent_before,
            recipient=community.sms_number,
        ),
        sent_before,
    )
    clock.advance(minutes=2)
    assert pending.answer_pending(db, clock, None) == 2
    with db.transaction() as session:
        assert session.scalars(select(Identity.value)).all() == []
        assert (
            session.scalars(select(OutboxMessage.address).where(OutboxMessage.channel == "sms")).all() == []
        )
    assert count(db, PendingAnswer) == 0


def test_erasure_in_one_community_keeps_what_the_same_phone_sent_another(
    later_app, fake_twilio, member, make_community, new_chat, db, clock
):
    """Pending answers were found by address alone: erasing a resident of one community threw
    away the message the same phone had just sent to another, unanswered."""
    from bot.domain.erasure import erase_resident
    from models import Community, Resident

    make_community(name="Hillside", slug="hillside", join_code="HILLSIDE", sms_number="+441632960002")
    hillside = new_chat("hillside", member.phone)
    hillside.say("hi")
    hillside.say("YES")
    params = inbound("IDEA a pond for the school", member.phone, to="+441632960002")
    response = later_app.test_client().post("/webhooks/twilio/sms", data=params, headers=signed(params))
    assert response.status_code == 200
    assert count(db, PendingAnswer) == 1
    with db.transaction() as session:
        riverside = session.scalar(select(Community.id).where(Community.slug == "riverside"))
        resident = session.scalar(select(Resident).where(Resident.community_id == riverside))
        erase_resident(session, resident, clock())
    assert count(db, PendingAnswer) == 1  # Hillside's message still waits for its answer
    with db.transaction() as session:
        assert "IDEA a pond for the school" in session.scalars(select(InboundLog.body)).all()


def test_a_chat_that_was_forgotten_before_its_message_was_answered_is_not_made_again(
    later_app, fake_telegram, community, db
):
    """A Telegram message waits under the community its chat had chosen; if the chat is forgotten
    meanwhile (erasure deletes it), the turn asks for a join code and keeps nobody: the worker's
    group must not have made a resident for it first."""
    with db.transaction() as session:
        session.add(TelegramChat(chat_id="111", community_id=community.id))
    response = later_app.test_client().post(
        "/webhooks/telegram",
        json=message_update(111, "hi"),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert response.status_code == 200 and count(db, PendingAnswer) == 1
    with db.transaction() as session:
        session.execute(delete(TelegramChat))  # as erasure does, before the worker gets to it
    inbound_work(later_app)()
    assert count(db, Identity, Identity.value == "111") == 0
    assert count(db, Resident) == 0
