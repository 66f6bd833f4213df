"""SMS through Twilio, end to end: signed webhooks in, the real twilio client out to a local fake."""

import logging

import pytest
import requests
from sqlalchemy import func, select

from bot.context import get_db
from bot.web.app import create_app
from channels.segments import count_segments
from models import Identity, InboundLog, OutboxMessage, Resident
from tests.conftest import park_round
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN
from tests.fakes import serve_in_thread
from tests.twilio_helpers import NUMBER, PUBLIC, Phone, inbound, signed, twilio_config

OTHER = "+441632960002"  # another community's


@pytest.fixture
def sms_app(app, fake_twilio):
    app.config.update(twilio_config(fake_twilio))
    return app


def count(db, model, *where):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_resident_journey_by_sms(sms_app, fake_twilio, community, db):
    phone = Phone(sms_app, fake_twilio)
    assert "Reply YES to join" in phone.text("Hello?")[0]
    assert "you're in" in phone.text("YES")[0]
    assert "how much" in phone.text("IDEA more benches on the green")[0]
    assert "#1" in phone.text("£2k")[0]
    assert "Still to decide: £1,150,000" in phone.text("BUDGET")[0]
    assert "won't get any more messages" in phone.text("STOP")[0]
    assert phone.text("BUDGET") == []
    assert "Welcome back" in phone.text("START")[0]
    sent = fake_twilio.sent[0].form
    assert (sent["From"], sent["To"]) == (NUMBER, "+447700900123")
    assert sent["StatusCallback"] == PUBLIC + "/webhooks/twilio/status"


def test_uk_format_numbers_are_normalised(sms_app, fake_twilio, community, db):
    phone = Phone(sms_app, fake_twilio, number="07700 900123")
    phone.text("hi")
    with db.transaction() as session:
        assert session.scalars(select(Identity.value)).one() == "+447700900123"


@pytest.mark.parametrize("headers", [{}, {"X-Twilio-Signature": "forged"}])
def test_a_missing_or_forged_signature_is_refused_and_nothing_stored(sms_app, community, db, headers):
    response = sms_app.test_client().post("/webhooks/twilio/sms", data=inbound("hi"), headers=headers)
    assert response.status_code == 403
    assert count(db, InboundLog) == 0 and count(db, Resident) == 0


def test_a_signature_for_other_parameters_is_refused(sms_app, community, db):
    params = inbound("hi")
    headers = signed(params)
    params["Body"] = "STOP"
    assert sms_app.test_client().post("/webhooks/twilio/sms", data=params, headers=headers).status_code == 403


def test_without_an_auth_token_every_webhook_is_refused(app, community, db):
    params = inbound("hi")
    assert (
        app.test_client().post("/webhooks/twilio/sms", data=params, headers=signed(params)).status_code == 403
    )


def test_signatures_check_out_behind_a_tls_proxy(app, fake_twilio, community, db):
    app.config.update(twilio_config(fake_twilio, PUBLIC_URL=None))
    params = inbound("hi")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "purse.example.org", **signed(params)}
    assert (
        app.test_client().post("/webhooks/twilio/sms", data=params, headers=forwarded).status_code == 403
    )  # proxy not trusted
    proxied = create_app({**app.config, "PROXY_FIX": 1})
    assert (
        proxied.test_client().post("/webhooks/twilio/sms", data=params, headers=forwarded).status_code == 200
    )
    get_db(proxied).dispose()
    assert count(db, InboundLog) == 1


def test_a_repeated_message_sid_is_acknowledged_and_ignored(sms_app, fake_twilio, community, db):
    phone = Phone(sms_app, fake_twilio)
    assert len(phone.text("hi", sid="SMrepeat")) == 1
    assert phone.text("hi", sid="SMrepeat") == []
    assert count(db, InboundLog) == 1 and count(db, OutboxMessage) == 1


def test_a_message_to_a_number_of_no_community(sms_app, community, db, caplog):
    params = inbound("hi", to="+441632960999")
    with caplog.at_level(logging.WARNING):
        response = sms_app.test_client().post("/webhooks/twilio/sms", data=params, headers=signed(params))
    assert response.status_code == 200 and b"<Response />" in response.data
    assert count(db, InboundLog) == 0
    assert "unknown recipient" in caplog.text and "+441632960999" not in caplog.text


def test_a_real_http_request_to_the_running_app(sms_app, fake_twilio, community, db):
    port, stop = serve_in_thread(sms_app)
    try:
        sms_app.config["PUBLIC_URL"] = None  # the URL Twilio calls is the one we see
        url = f"http://127.0.0.1:{port}/webhooks/twilio/sms"
        params = inbound("hello")
        response = requests.post(url, data=params, headers=signed(params, url), timeout=10)
        assert response.status_code == 200
        assert count(db, InboundLog) == 1
    finally:
        stop()


def _status(app, params):
    url = PUBLIC + "/webhooks/twilio/status"
    return app.test_client().post("/webhooks/twilio/status", data=params, headers=signed(params, url))


def _only_row(db):
    with db.transaction() as session:
        return session.scalars(select(OutboxMessage)).one()


def test_delivery_reports_update_the_message(sms_app, fake_twilio, community, db):
    Phone(sms_app, fake_twilio).text("hi")
    sid = _only_row(db).provider_id
    assert sid.startswith("SM")
    assert _status(sms_app, {"MessageSid": sid, "MessageStatus": "delivered"}).status_code == 204
    assert _only_row(db).status == "delivered"
    _status(sms_app, {"MessageSid": sid, "MessageStatus": "sent"})  # late, out of order
    assert _only_row(db).status == "delivered"


def test_an_undelivered_report_records_the_error_code(sms_app, fake_twilio, community, db):
    Phone(sms_app, fake_twilio).text("hi")
    sid = _only_row(db).provider_id
    _status(sms_app, {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"})
    row = _only_row(db)
    assert (row.status, row.error_code) == ("undelivered", "30003")


def test_a_forged_delivery_report_is_refused(sms_app, fake_twilio, community, db):
    Phone(sms_app, fake_twilio).text("hi")
    sid = _only_row(db).provider_id
    response = sms_app.test_client().post(
        "/webhooks/twilio/status",
        data={"MessageSid": sid, "MessageStatus": "failed"},
        headers={"X-Twilio-Signature": "forged"},
    )
    assert response.status_code == 403 and _only_row(db).status == "sent"


def test_a_report_for_a_message_we_never_sent_is_ignored(sms_app, community, db):
    assert _status(sms_app, {"MessageSid": "SMunknown", "MessageStatus": "delivered"}).status_code == 204


@pytest.mark.parametrize("code, reason", [(21610, "opted_out"), (21211, "invalid"), (21614, "invalid")])
def test_a_dead_number_is_marked_and_never_retried(sms_app, fake_twilio, community, db, clock, code, reason):
    phone = Phone(sms_app, fake_twilio)
    fake_twilio.fail_next(400, code)
    assert phone.text("hi") == []
    clock.advance(hours=1)
    assert phone.receive() == []
    row = _only_row(db)
    assert (row.status, row.error_code, row.attempts) == ("failed", str(code), 1)
    with db.transaction() as session:
        assert session.scalars(select(Identity)).one().unreachable == reason


@pytest.mark.parametrize("status, code", [(429, 20429), (500, None), (503, None)])
def test_rate_limits_and_server_errors_are_retried(sms_app, fake_twilio, community, db, clock, status, code):
    phone = Phone(sms_app, fake_twilio)
    fake_twilio.fail_next(status, code, times=2)
    assert phone.text("hi") == []
    clock.advance(seconds=5)
    assert phone.receive() == []
    clock.advance(seconds=10)
    assert "Reply YES" in phone.receive()[0]
    assert (_only_row(db).status, _only_row(db).attempts) == ("sent", 3)


def test_retries_are_bounded(sms_app, fake_twilio, community, db, clock):
    sms_app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    phone = Phone(sms_app, fake_twilio)
    phone.dispatcher.max_attempts = 3
    fake_twilio.fail_next(500, times=5)
    phone.text("hi")
    for _ in range(3):
        clock.advance(minutes=10)
        phone.receive()
    assert (_only_row(db).status, _only_row(db).attempts) == ("failed", 3)


def test_an_unreachable_api_is_retried(app, community, db, clock):
    app.config.update(
        {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_URL": "http://127.0.0.1:9",
            "PUBLIC_URL": PUBLIC,
        }
    )

    class Nowhere:
        url, sent = "", []

    Phone(app, Nowhere).text("hi")
    row = _only_row(db)
    assert (row.status, row.error_code) == ("queued", "network")


def test_other_errors_fail_with_the_code_recorded(sms_app, fake_twilio, community, db):
    fake_twilio.fail_next(400, 21408)
    Phone(sms_app, fake_twilio).text("hi")
    row = _only_row(db)
    assert (row.status, row.error_code) == ("failed", "21408")
    assert "fake error 21408" in row.error_message


@pytest.mark.parametrize("sender", ["not-a-number", "VODAFONE"])
def test_a_sender_no_resident_could_be_is_stored_but_not_answered(
    sms_app, fake_twilio, community, db, sender
):
    """An alphanumeric sender ID or a garbled From: no resident, no identity, no reply (it
    would cost money and fail); the message is kept, without its words."""
    client = sms_app.test_client()
    params = inbound("hello", sender)
    response = client.post("/webhooks/twilio/sms", data=params, headers=signed(params))
    assert response.status_code == 200 and b"<Response />" in response.data
    assert count(db, InboundLog) == 1 and count(db, InboundLog, InboundLog.body.is_(None)) == 1
    assert count(db, Resident) == 0 and count(db, OutboxMessage) == 0


def test_a_messaging_service_sends_instead_of_the_number(sms_app, fake_twilio, community):
    sms_app.config["TWILIO_MESSAGING_SERVICE_SID"] = "MG" + "1" * 32
    Phone(sms_app, fake_twilio).text("hi")
    form = fake_twilio.sent[0].form
    assert form["MessagingServiceSid"] == "MG" + "1" * 32 and "From" not in form


def test_sends_are_paced_per_sending_number(sms_app, fake_twilio, community, make_community):
    """The real Twilio channel waits between sends from one number at the configured segment
    rate; another number keeps its own pace. The pacer runs on a fake clock, so the test
    asserts the waits themselves, not the jitter of HTTP calls on a busy machine."""
    from channels.pacing import Pacer

    make_community(name="Hillside", slug="hillside", join_code="HILLSIDE", sms_number=OTHER)
    sms_app.config["SMS_SEGMENTS_PER_SECOND"] = 20
    phones = [Phone(sms_app, fake_twilio, f"+4477009001{n:02d}") for n in range(12)]
    for n, phone in enumerate(phones):  # twelve residents write at once, six to each number
        params = inbound("hi", phone.number, to=(NUMBER, OTHER)[n % 2])
        phone.client.post("/webhooks/twilio/sms", data=params, headers=signed(params))
    channel = phones[0].dispatcher.channels["sms"]
    assert channel.pacer.rate == 20
    now = [100.0]
    paced = Pacer(20, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    let_go: dict[str, list[float]] = {}

    class Recording:
        def wait(self, key, units=1):
            paced.wait(key, units)
            let_go.setdefault(key, []).append(round(now[0], 6))

    channel.pacer = Recording()
    phones[0].receive()
    assert len(fake_twilio.sent) == 12
    # Each welcome is 2 segments: at 20 segments a second, one number sends one every 0.1 s,
    # and the other number's six go beside them, not after them.
    steps = [100.0, 100.1, 100.2, 100.3, 100.4, 100.5]
    assert let_go == {NUMBER: steps, OTHER: steps}


def test_a_reply_outside_gsm7_is_counted_as_ucs2(sms_app, fake_twilio, community, db, clock):
    from bot.domain import ledger
    from models import Community

    with db.transaction() as session:
        ledger.post_update(
            session, session.scalars(select(Community)).one(), "Diolch! Caffi'r Ŵyl opens Saturday", clock()
        )
    phone = Phone(sms_app, fake_twilio)
    phone.text("hi")
    phone.text("YES")
    (reply,) = phone.text("BUDGET")
    assert "Ŵyl" in reply
    with db.transaction() as session:
        row = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert count_segments(reply).encoding == "UCS-2"
    assert row.segments == count_segments(reply).segments == 3


def test_voting_by_sms(sms_app, fake_twilio, community, db, cp, clock):
    phone = Phone(sms_app, fake_twilio)
    phone.text("hi")
    phone.text("YES")
    park_round(cp, "riverside", phone.text)
    phone.receive()
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    (ballot,) = phone.receive()
    assert ballot.startswith("Vote now! Park\n1 benches £1,000\n2 a mural £1,000")
    assert "your vote is in: 1 benches, 2 a mural" in phone.text("1,2", sid="SMvote")[0]
    assert phone.text("1,2", sid="SMvote") == []  # Twilio's retry of the same message
    assert "your vote is in: 2 a mural" in phone.text("VOTE 2")[0]
    with db.transaction() as session:
        from models import Ballot

        assert session.scalars(select(Ballot.choices)).all() == [[2]]


def test_a_number_that_opted_out_at_the_carrier_is_reachable_again_when_it_writes(
    sms_app, fake_twilio, community, db, cp
):
    phone = Phone(sms_app, fake_twilio)
    phone.text("hi")
    phone.text("YES")
    fake_twilio.fail_next(400, 21610)
    assert phone.text("BUDGET") == []  # opted out at the carrier: marked unreachable
    assert "already in" in phone.text("START")[0]  # START lifts the carrier's block, and reaches us
    with db.transaction() as session:
        assert session.scalars(select(Identity)).one().unreachable is None
    assert (
        "Sent to 1 member."
        in cp("budget", "update", "--community", "riverside", "--text", "News!", "--broadcast").output
    )
    assert "budget news: News!" in phone.receive()[0]


def test_a_flood_from_one_number_gets_a_few_answers_and_one_slow_down(
    sms_app, fake_twilio, community, db, clock
):
    phone = Phone(sms_app, fake_twilio)
    phone.text("YES")
    replies = [phone.text("BUDGET") for _ in range(30)]
    answered = [r for r in replies if r]
    assert len(answered) == 10  # the limit counts the YES too: 9 budgets and one slow-down
    assert "faster than we can answer" in answered[-1][0]
    assert all("Still to decide" in r[0] for r in answered[:-1])
    assert count(db, InboundLog) == 31  # every message is stored
    assert "won't get any more messages" in phone.text("STOP")[0]  # always answered
    clock.advance(minutes=1)
    assert "Welcome back" in phone.text("START")[0]
    assert "Still to decide" in phone.text("BUDGET")[0]


def test_after_stop_a_flood_gets_no_slow_down(sms_app, fake_twilio, community, db, clock):
    """Issue 26 (4): "hi", "YES", "STOP", then 12 BUDGETs quickly brought a "slow down" SMS after
    the STOP confirmation. After STOP nothing goes out but the STOP and START confirmations."""
    phone = Phone(sms_app, fake_twilio)
    phone.text("hi")
    phone.text("YES")
    assert "won't get any more messages" in phone.text("STOP")[0]
    assert [phone.text("BUDGET") for _ in range(12)] == [[]] * 12
    assert count(db, InboundLog) == 15  # every message is still stored
    assert "Welcome back" in phone.text("START")[0]  # START is answered even in the flood
