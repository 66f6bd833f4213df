"""STOP, DELETE and dead addresses withdraw what was still waiting to go; erasure works in
any state; hostile bytes from providers are stored safely and answered, never a 500."""

import json

import pytest
from sqlalchemy import select

from bot.domain.notify import members, notify
from bot.messaging.inbound import receive
from channels import console
from models import Community, Identity, InboundLog, OutboxMessage, Resident
from tests.fake_twilio import AUTH_TOKEN
from tests.twilio_helpers import PUBLIC, Phone, inbound, signed, twilio_config


def _statuses(db):
    with db.transaction() as session:
        return [
            (row.body, row.status)
            for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def _broadcast(db, clock, text="The garden opened on Saturday"):
    with db.transaction() as session:
        community = session.scalars(select(Community)).one()
        for resident in members(session, community):
            notify(session, community, resident, text, clock(), rendered=True)


def test_a_broadcast_queued_before_stop_never_arrives(member, db, clock):
    _broadcast(db, clock)  # queued, not yet sent
    clock.advance(seconds=1)
    replies = member.say("STOP")
    assert len(replies) == 1 and "won't get any more messages" in replies[0]
    assert member.inbox() == []
    assert ("The garden opened on Saturday", "cancelled") in _statuses(db)


def test_a_message_already_claimed_when_stop_arrives_is_not_sent(member, db, clock):
    _broadcast(db, clock)
    claimed = member.dispatcher._claim(None)  # a worker took it, and is about to send
    clock.advance(seconds=1)
    member.say("STOP")
    for row_id, claimed_at in claimed:
        assert member.dispatcher._start(row_id, claimed_at) is None
    assert "The garden opened on Saturday" not in member.channel.texts()
    assert ("The garden opened on Saturday", "cancelled") in _statuses(db)


def test_delete_after_stop_erases_at_once(member, db):
    member.say("STOP")
    assert "your data is erased" in member.reply("DELETE")
    with db.transaction() as session:
        assert session.scalars(select(Identity)).all() == []
        assert session.scalars(select(Resident)).one().status == "erased"
        assert all(log.body is None and log.sender is None for log in session.scalars(select(InboundLog)))


def test_erasure_withdraws_queued_news(member, db, clock):
    member.say("DELETE")
    _broadcast(db, clock)  # queued while they were asked to confirm, not yet sent
    receive(db, console.inbound(member.phone, "DELETE", member.slug), clock())
    assert (None, "cancelled") in _statuses(db)


def test_a_carrier_opt_out_withdraws_what_is_queued_for_that_number(app, fake_twilio, community, db, clock):
    app.config.update(twilio_config(fake_twilio))
    phone = Phone(app, fake_twilio)
    phone.text("YES")
    _broadcast(db, clock, "first")
    assert phone.receive() == ["first"]
    _broadcast(db, clock, "second")  # queued; then Twilio reports the first was refused
    with db.transaction() as session:
        sid = session.scalar(select(OutboxMessage.provider_id).where(OutboxMessage.body == "first"))
    report = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "21610"}
    response = app.test_client().post(
        "/webhooks/twilio/status", data=report, headers=signed(report, PUBLIC + "/webhooks/twilio/status")
    )
    assert response.status_code == 204
    assert phone.receive() == []
    assert ("second", "cancelled") in _statuses(db)


@pytest.mark.parametrize(
    "body", ["IDEA benches\x00 by the pond", "\x1b[2J\x1b[HIDEA clear", "\x07\r\nIDEA bell"]
)
def test_hostile_bytes_by_sms_are_stored_clean_and_answered(app, fake_twilio, community, db, body):
    app.config.update(twilio_config(fake_twilio))
    phone = Phone(app, fake_twilio)
    phone.text("YES")
    assert phone.text(body)  # answered, not a 500
    with db.transaction() as session:
        stored = session.scalars(select(InboundLog).order_by(InboundLog.id.desc())).first()
    assert "\x00" not in stored.body and "\x1b" not in stored.body and "\x07" not in stored.body
    assert "\x00" not in json.dumps(stored.raw) and "\\u0000" not in json.dumps(stored.raw)


def test_an_oversized_webhook_body_is_refused_before_anything_is_stored(app, community, db):
    app.config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_URL=PUBLIC)
    params = inbound("x" * 70_000)
    response = app.test_client().post("/webhooks/twilio/sms", data=params, headers=signed(params))
    assert response.status_code == 413
    with db.transaction() as session:
        assert session.scalars(select(InboundLog)).all() == []
