"""INBOUND_ANSWER=worker: webhooks store and acknowledge; a worker answers, in each sender's order,
once each, and a round closes only after the votes sent in time are counted."""
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from bot.context import get_db
from bot.domain import round_times
from bot.messaging import pending
from bot.messaging.channels import configured_channels, inbound_work
from bot.messaging.dispatcher import Dispatcher
from bot.web.app import create_app
from models import Ballot, Idea, InboundLog, OutboxMessage, PendingAnswer, Round
from scheduler import jobs, runtime
from scheduler.service import build
from tests.test_scheduler import make_round
from tests.test_sms import inbound, signed, twilio_config
from tests.test_telegram import SECRET, message_update
from tests.fake_telegram import TOKEN


@pytest.fixture
def later_app(app, fake_twilio, fake_telegram):
    app.config.update(twilio_config(fake_twilio), INBOUND_ANSWER="worker",
                      TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET,
                      TELEGRAM_API_URL=fake_telegram.url, TELEGRAM_CHAT_MESSAGES_PER_SECOND=1000,
                      TELEGRAM_MESSAGES_PER_SECOND=1000)
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


def test_a_message_is_stored_and_acknowledged_then_a_worker_answers_it(later_app, fake_twilio,
                                                                        community, db):
    phone = Phone(later_app, fake_twilio)
    phone.send("Hello?")
    assert count(db, InboundLog) == 1 and count(db, OutboxMessage) == 0  # stored, not yet answered
    assert count(db, PendingAnswer) == 1
    assert "Reply YES to join" in phone.answers()[0]
    assert count(db, PendingAnswer) == 0
    assert "you're in" in phone.text("YES")[0]
    assert "how much" in phone.text("IDEA more benches on the green")[0]
    assert "Still to decide: £1,150,000" in phone.text("BUDGET")[0]


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
    response = later_app.test_client().post("/webhooks/twilio/sms", data=params,
                                            headers=signed(params))
    assert response.status_code == 200
    assert count(db, InboundLog) == 0 and count(db, PendingAnswer) == 0


def test_telegram_messages_are_answered_by_the_worker_too(later_app, fake_telegram, community, db):
    response = later_app.test_client().post("/webhooks/telegram", json=message_update(111, "/start RIVERSIDE"),
                                            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
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


def test_a_turn_that_fails_is_tried_again_and_then_given_up(later_app, fake_twilio, community, db,
                                                             clock, monkeypatch, caplog):
    phone = Phone(later_app, fake_twilio)
    real = pending.answer_stored
    failures = {"left": 1}

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


def test_a_round_waits_to_close_until_votes_sent_in_time_are_counted(later_app, fake_twilio,
                                                                     community, db, clock):
    scheduler = build(later_app, blocking=False)
    runtime.bind(later_app, scheduler, "test-holder")
    scheduler.start(paused=True)
    try:
        round_id = make_round(db, community, clock(), opens_in=timedelta(minutes=1),
                              lasts=timedelta(hours=1))
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
            assert round_times.answers_waiting(session, session.get(Round, round_id))
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
        later_app, fake_twilio, community, db):
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


def test_an_unknown_answer_mode_is_refused_at_start(monkeypatch, tmp_path):
    monkeypatch.setenv("COMMONPURSE_INBOUND_ANSWER", "later")
    with pytest.raises(ValueError, match="COMMONPURSE_INBOUND_ANSWER must be one of inline, worker"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_the_worker_logs_no_phone_number_or_text(later_app, fake_twilio, community, caplog):
    caplog.set_level(logging.DEBUG)
    phone = Phone(later_app, fake_twilio)
    phone.text("IDEA a secret garden")
    assert "+447700900123" not in caplog.text and "secret garden" not in caplog.text
