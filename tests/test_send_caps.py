"""Providers' caps: how long a broadcast takes to deliver at them, said before it is sent (the
dashboard's confirmation pages, the CLI), and a Messaging Service's pool of numbers sending at
its numbers' rate together (a fake clock: no waiting here)."""

import html

import pytest

from bot.domain.send_time import caps, send_time
from channels.pacing import SendCap
from tests.dashboard_helpers import make_organiser, post, sign_in
from tests.round_helpers import make_round
from tests.twilio_helpers import NUMBER, PUBLIC, Phone, inbound, signed, twilio_config

SMS = SendCap(10, 1, "SMS segment", per_segment=True)
POOL = SendCap(10, 8, "SMS segment", per_segment=True)
BOT = SendCap(30, 1, "Telegram message", "bot")
SAID = "under a minute to deliver, at 10 SMS segments a second from each of 8 numbers."
SERVICE = {"TWILIO_MESSAGING_SERVICE_SID": "MG" + "1" * 32, "TWILIO_POOL_SIZE": 8}


def test_twenty_thousand_members_take_33_minutes_over_one_number_and_4_over_eight():
    """The issue's own figures: 20,000 members, 1 segment each, 10 segments a second a number."""
    one = send_time({"sms": 20_000}, 1, {"sms": SMS})
    assert one is not None and one.describe() == (
        "about 33 minutes to deliver, at 10 SMS segments a second from 1 number"
    )
    eight = send_time({"sms": 20_000}, 1, {"sms": POOL})
    assert eight is not None and eight.describe() == (
        "about 4 minutes to deliver, at 10 SMS segments a second from each of 8 numbers"
    )


def test_the_slowest_channel_sets_the_time_and_segments_count_only_on_sms():
    """Channels send side by side; a 3-segment message is 3 units by SMS, 1 on Telegram."""
    mixed = {"sms": 600, "telegram": 90_000, "console": 5}
    found = send_time(mixed, 3, {"sms": SMS, "telegram": BOT})
    assert found is not None and found.seconds == 3000
    assert found.describe() == "about 50 minutes to deliver, at 30 Telegram messages a second from the bot"
    found = send_time({"sms": 1_000_000}, 1, {"sms": SMS, "telegram": BOT})
    assert found is not None and found.describe().startswith("about 28 hours to deliver")
    assert send_time({"console": 5}, 1, {"sms": SMS}) is None  # nothing paced goes


def test_the_caps_are_the_configured_rates_over_the_pool_of_a_messaging_service():
    config = {"SMS_SEGMENTS_PER_SECOND": 1, "TELEGRAM_MESSAGES_PER_SECOND": 30}  # a US long code
    assert caps(config)["sms"] == SendCap(1, 1, "SMS segment", per_segment=True)
    assert caps({**config, "TWILIO_POOL_SIZE": 8})["sms"].senders == 1  # a pool needs a service
    found = caps({**config, **SERVICE})
    assert found["sms"].per_second == 8 and found["whatsapp"].per_second == 160
    assert found["telegram"].per_second == 30
    with pytest.raises(ValueError, match="TWILIO_POOL_SIZE"):
        caps({**SERVICE, "TWILIO_POOL_SIZE": 0})


def test_a_messaging_service_sends_over_its_pool_at_its_numbers_rate_together(app, fake_twilio, community):
    """Eight residents welcomed at once (2 segments each) through a service of 8 numbers at 10
    segments a second each: one goes every 0.025 s, not every 0.2 s as from one number."""
    app.config.update(twilio_config(fake_twilio, SMS_SEGMENTS_PER_SECOND=10, **SERVICE))
    phones = [Phone(app, fake_twilio, f"+4477009001{n:02d}") for n in range(8)]
    channel = phones[0].dispatcher.channels["sms"]
    now = [100.0]
    channel.pacer.clock = lambda: now[0]
    channel.pacer.sleep = lambda s: now.__setitem__(0, now[0] + s)
    let_go = []
    booked = channel.pacer.wait

    def wait(key, units=1):
        booked(key, units)
        let_go.append(round(now[0], 6))

    channel.pacer.wait = wait
    for phone in phones:
        params = inbound("hi", phone.number, to=NUMBER)
        phone.client.post("/webhooks/twilio/sms", data=params, headers=signed(params, PUBLIC + phone.path))
    phones[0].receive()
    assert len(fake_twilio.sent) == 8
    assert let_go == [100.0, 100.025, 100.05, 100.075, 100.1, 100.125, 100.15, 100.175]


@pytest.fixture
def organiser(app, clock, community, db):
    """A round to open and two members on SMS, an organiser, Twilio sending through a pool of 8
    numbers."""
    make_round(db, community, clock())
    app.config.update(SERVICE)
    make_organiser(app, clock)


def test_the_dashboard_says_how_long_a_broadcast_takes_before_it_is_sent(client, organiser):
    sign_in(client)
    money = "/dashboard/riverside/money"
    page = html.unescape(
        post(
            client, f"{money}/update", page=money, text="The garden opens.", broadcast="yes", step="post"
        ).get_data(as_text=True)
    )
    assert "This sends one message of 1 segment to 2 members (2 segments). Send?" in page
    assert f"It takes {SAID}" in page
    rounds = "/dashboard/riverside/rounds/1"
    page = html.unescape(post(client, f"{rounds}/open", page=rounds, confirmed="").get_data(as_text=True))
    assert "The ballot goes now to 2 members" in page
    assert f"The ballot takes {SAID}" in page


def test_the_cli_says_how_long_a_broadcast_takes_before_it_is_sent(organiser, cp):
    result = cp("budget", "update", "--community", "riverside", "--text", "The garden opens.", "--broadcast")
    assert result.exit_code == 0, result.output
    assert f"It takes {SAID}" in result.output
