"""WhatsApp through Twilio, end to end: signed webhooks in from `whatsapp:+44...`, the real twilio
client out to the local fake, one resident per phone across SMS and WhatsApp, and WhatsApp's
24-hour window (messages we start to someone silent longer go by SMS)."""

import re

import pytest
from sqlalchemy import func, select

from channels import twilio_whatsapp
from models import Ballot, Identity, InboundLog, OutboxMessage, Resident
from tests.conftest import park_round
from tests.dashboard_helpers import make_organiser, sign_in
from tests.twilio_helpers import NUMBER, PUBLIC, Phone, WhatsApp, inbound, signed, twilio_config

HOME = "+447700900123"
WA_PATH = "/webhooks/twilio/whatsapp"


@pytest.fixture
def wa_app(app, fake_twilio, clock):
    app.config.update(twilio_config(fake_twilio))
    fake_twilio.clock = clock  # the fake refuses free-form WhatsApp outside the window (63016)
    return app


def count(db, model, *where):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _join(phone):
    assert "Reply YES to join" in phone.text("Hello?")[0]
    assert "you're in" in phone.text("YES")[0]


def test_a_new_number_joins_gives_an_idea_and_votes_on_whatsapp(wa_app, fake_twilio, community, db, cp):
    phone = WhatsApp(wa_app, fake_twilio)
    _join(phone)
    assert "how much" in phone.text("IDEA more benches on the green")[0]
    assert "#1" in phone.text("£2k")[0]
    park_round(cp, "riverside", phone.text)
    phone.receive()  # news of the shortlisted ideas
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    (ballot,) = phone.receive()  # they wrote a moment ago: the ballot goes by WhatsApp
    assert ballot.startswith("Vote now! Park")
    assert "your vote is in" in phone.text("VOTE 2")[0]
    sent = fake_twilio.sent[0].form
    assert (sent["From"], sent["To"]) == ("whatsapp:" + NUMBER, "whatsapp:" + HOME)
    assert sent["StatusCallback"] == PUBLIC + "/webhooks/twilio/whatsapp/status"
    assert {s.form["To"] for s in fake_twilio.sent} == {"whatsapp:" + HOME}
    with db.transaction() as session:
        identity = session.scalars(select(Identity)).one()
        assert (identity.kind, identity.value, identity.last_channel) == ("phone", HOME, "whatsapp")
        assert session.scalars(select(Ballot.channel)).all() == ["whatsapp"]
        assert set(session.scalars(select(InboundLog.sender))) == {HOME}


@pytest.mark.parametrize("headers", [{}, {"X-Twilio-Signature": "forged"}])
def test_a_forged_whatsapp_webhook_is_refused_and_nothing_stored(wa_app, community, db, headers):
    params = inbound("hi", "whatsapp:" + HOME, to="whatsapp:" + NUMBER)
    assert wa_app.test_client().post(WA_PATH, data=params, headers=headers).status_code == 403
    sms_signature = signed(params)  # signed for the SMS URL, posted to the WhatsApp one
    assert wa_app.test_client().post(WA_PATH, data=params, headers=sms_signature).status_code == 403
    assert count(db, InboundLog) == 0 and count(db, Resident) == 0


def test_a_repeated_message_sid_is_stored_once(wa_app, fake_twilio, community, db):
    phone = WhatsApp(wa_app, fake_twilio)
    assert len(phone.text("hi", sid="SMrepeat")) == 1
    assert phone.text("hi", sid="SMrepeat") == []
    assert count(db, InboundLog) == 1 and count(db, OutboxMessage) == 1


def test_a_message_to_a_number_of_no_community_is_not_stored(wa_app, community, db):
    params = inbound("hi", "whatsapp:" + HOME, to="whatsapp:+441632960999")
    response = wa_app.test_client().post(WA_PATH, data=params, headers=signed(params, PUBLIC + WA_PATH))
    assert response.status_code == 200 and count(db, InboundLog) == 0


def test_sms_then_whatsapp_from_one_phone_is_one_resident_with_one_ballot(
    wa_app, fake_twilio, community, db, cp
):
    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    _join(sms)
    park_round(cp, "riverside", sms.text)
    sms.receive()
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    assert sms.receive()[0].startswith("Vote now! Park")
    assert "your vote is in: 1 benches" in sms.text("VOTE 1")[0]
    # the same phone on WhatsApp: already a member, and the answer comes back on WhatsApp
    assert "your vote is in: 2 a mural" in whatsapp.text("VOTE 2")[0]
    assert "Still to decide" in whatsapp.text("BUDGET")[0]
    assert sms.receive() == []
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Resident)) == 1
        assert session.scalars(select(Ballot.choices)).all() == [[2]]
        assert session.scalars(select(Identity.value)).all() == [HOME]


@pytest.mark.parametrize("silent_hours, channel", [(25, "sms"), (1, "whatsapp")])
def test_a_ballot_goes_by_whatsapp_only_inside_the_24_hour_window(
    wa_app, fake_twilio, community, db, cp, clock, silent_hours, channel
):
    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    park_round(cp, "riverside", whatsapp.text)
    whatsapp.receive()
    clock.advance(hours=silent_hours)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    phone = sms if channel == "sms" else whatsapp
    other = whatsapp if channel == "sms" else sms
    (ballot,) = phone.receive()
    assert ballot.startswith("Vote now! Park")
    assert other.receive() == []
    with db.transaction() as session:
        row = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        assert (row.channel, row.status, row.sender) == (channel, "sent", NUMBER)
    # whichever way the ballot came, the answer goes back the way the vote came
    assert "your vote is in" in whatsapp.text("VOTE 1")[0]


def test_budget_news_to_a_silent_whatsapp_member_goes_by_sms(wa_app, fake_twilio, community, cp, clock):
    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    clock.advance(hours=24)  # exactly 24 hours: the window has closed
    result = cp("budget", "update", "--community", "riverside", "--text", "News!", "--broadcast")
    assert "Sent to 1 member." in result.output
    assert "budget news: News!" in sms.receive()[0]
    assert whatsapp.receive() == []


def test_63016_on_a_send_goes_again_by_sms_and_leaves_the_phone_reachable(
    wa_app, fake_twilio, community, db, cp, clock
):
    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    fake_twilio.fail_next(400, 63016)  # Twilio thinks the window closed (its clock, not ours)
    result = cp("budget", "update", "--community", "riverside", "--text", "News!", "--broadcast")
    assert "Sent to 1 member." in result.output
    assert whatsapp.receive() == []
    assert "budget news: News!" in sms.receive()[0]
    with db.transaction() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(2)).all()
        assert [(r.channel, r.status, r.error_code) for r in rows] == [
            ("sms", "sent", None),
            ("whatsapp", "failed", "63016"),
        ]
        assert session.scalars(select(Identity.unreachable)).one() is None
    assert "Still to decide" in whatsapp.text("BUDGET")[0]  # WhatsApp still answers


def _status(app, params):
    url = PUBLIC + WA_PATH + "/status"
    return app.test_client().post(WA_PATH + "/status", data=params, headers=signed(params, url))


def test_delivery_reports_land_and_63016_in_a_report_goes_again_by_sms_once(
    wa_app, fake_twilio, community, db
):
    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    whatsapp.text("hi")
    with db.transaction() as session:
        sid = session.scalars(select(OutboxMessage.provider_id)).one()
    assert _status(wa_app, {"MessageSid": sid, "MessageStatus": "delivered"}).status_code == 204
    with db.transaction() as session:
        assert session.scalars(select(OutboxMessage.status)).one() == "delivered"
    report = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "63016"}
    for _ in range(2):  # Twilio may report twice: one SMS
        assert _status(wa_app, report).status_code == 204
    assert len(sms.receive()) == 1
    with db.transaction() as session:
        assert session.scalars(select(Identity.unreachable)).one() is None


def test_a_forged_delivery_report_is_refused(wa_app, fake_twilio, community, db):
    WhatsApp(wa_app, fake_twilio).text("hi")
    response = wa_app.test_client().post(
        WA_PATH + "/status", data={"MessageSid": "SM1", "MessageStatus": "failed"}, headers={}
    )
    assert response.status_code == 403


def test_an_invalid_number_is_marked_dead_but_not_being_on_whatsapp_is_not(
    wa_app, fake_twilio, community, db
):
    phone = WhatsApp(wa_app, fake_twilio)
    fake_twilio.fail_next(400, 63003)  # "could not find the To address" on WhatsApp
    assert phone.text("hi") == []
    with db.transaction() as session:
        assert session.scalars(select(Identity.unreachable)).one() is None
    fake_twilio.fail_next(400, 21211)
    assert phone.text("hi again") == []
    with db.transaction() as session:
        assert session.scalars(select(Identity.unreachable)).one() == "invalid"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("whatsapp:+447700900123", "+447700900123"),
        ("WhatsApp:+447700900123", "+447700900123"),
        ("+447700900123", "+447700900123"),
        ("whatsapp:07700 900123", "+447700900123"),
        ("whatsapp:", None),
        ("whatsapp:VODAFONE", None),
    ],
)
def test_whatsapp_addresses_are_phone_numbers(raw, expected):
    assert twilio_whatsapp.normalise(raw) == expected
    if expected:
        assert twilio_whatsapp.address(expected) == "whatsapp:" + expected


def test_whatsapp_through_a_messaging_service_webhook_at_the_sms_url_is_whatsapp(
    wa_app, fake_twilio, community, db
):
    """A Messaging Service has one incoming URL for its SMS and WhatsApp senders."""
    params = inbound("hi", "whatsapp:" + HOME, to="whatsapp:" + NUMBER)
    response = wa_app.test_client().post("/webhooks/twilio/sms", data=params, headers=signed(params))
    assert response.status_code == 200
    fake_twilio.wrote_on_whatsapp(HOME, wa_app.config["CLOCK"]())
    assert "Reply YES to join" in WhatsApp(wa_app, fake_twilio).receive()[0]
    with db.transaction() as session:
        assert session.execute(select(InboundLog.channel, InboundLog.sender)).one() == ("whatsapp", HOME)


def test_news_of_an_idea_goes_by_whatsapp_inside_the_window_and_by_sms_outside_it(
    wa_app, fake_twilio, community, cp, clock
):
    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    whatsapp.text("IDEA benches")
    whatsapp.text("£1k")
    whatsapp.text("IDEA a mural")
    whatsapp.text("£1k")
    clock.advance(hours=23, minutes=59)
    assert cp("ideas", "shortlist", "--community", "riverside", "1").exit_code == 0
    assert "shortlisted" in whatsapp.receive()[0]
    clock.advance(minutes=1)  # 24 hours since they last wrote
    assert cp("ideas", "shortlist", "--community", "riverside", "2").exit_code == 0
    assert whatsapp.receive() == []
    assert "shortlisted" in sms.receive()[0]


def test_the_digest_counts_whatsapp_messages_beside_sms(wa_app, fake_twilio, community, db, clock):
    from bot.domain.digest import figures, parse_week
    from bot.text.digest import text
    from models import Community

    _join(WhatsApp(wa_app, fake_twilio))
    with db.transaction() as session:
        town = session.get(Community, community.id)
        found = figures(session, town, parse_week("2026-W48", town.timezone), clock())
    counts = {key: value["this_week"] for key, value in found["participation"].items()}
    assert (counts["messages_in_whatsapp"], counts["messages_out_whatsapp"]) == (2, 2)
    assert (counts["messages_in_sms"], counts["sms_segments_sent"]) == (0, 0)
    assert "WhatsApp messages received: 2" in text(found)


def test_stop_on_whatsapp_stops_messages_on_sms_too(wa_app, fake_twilio, community, cp, clock):
    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    assert "won't get any more messages" in whatsapp.text("STOP")[0]
    clock.advance(hours=25)
    result = cp("budget", "update", "--community", "riverside", "--text", "News!", "--broadcast")
    assert "Sent to 0 members." in result.output
    assert sms.receive() == [] and whatsapp.receive() == []


def test_the_dashboard_counts_members_by_the_channel_they_write_on(wa_app, fake_twilio, community, clock):
    """Every registered channel with a title is listed; WhatsApp members are not 'By SMS'."""
    _join(WhatsApp(wa_app, fake_twilio))
    _join(Phone(wa_app, fake_twilio, "+447700900777"))
    make_organiser(wa_app, clock)
    client = wa_app.test_client()
    sign_in(client)
    page = " ".join(
        re.sub(r"<[^>]+>", " ", client.get("/dashboard/riverside/").get_data(as_text=True)).split()
    )
    assert "By SMS: 1 By WhatsApp: 1 By Telegram: 0" in page


def test_news_refused_by_whatsapp_after_the_resident_stopped_does_not_come_by_sms(
    wa_app, fake_twilio, community, db, cp, clock
):
    """News went on WhatsApp; the resident sent STOP; then Twilio reported the news refused
    (63016). Its SMS copy is the same message, started before the STOP: it never goes (it did,
    after 'you won't get any more messages'; found by a review)."""
    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    assert "Sent to 1 member." in cp("budget", "update", "--community", "riverside", "--text", "News!",
                                     "--broadcast").output  # fmt: skip
    assert "budget news: News!" in whatsapp.receive()[0]
    with db.transaction() as session:
        sid = session.scalars(select(OutboxMessage.provider_id).order_by(OutboxMessage.id.desc())).first()
    clock.advance(minutes=1)
    assert whatsapp.text("STOP")  # the confirmation
    report = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "63016"}
    assert _status(wa_app, report).status_code == 204
    assert sms.receive() == [] and whatsapp.receive() == []
