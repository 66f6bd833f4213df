"""CHANNEL (SIANEL, KANAŁ): a resident chooses the channel the messages we start reach them on;
replies still go back the way they wrote. By default, the channel they last wrote on."""

import pytest
from sqlalchemy import select

from models import Resident
from tests.twilio_helpers import Phone, WhatsApp, twilio_config

NEWS_SID = "HX" + "c" * 32


@pytest.fixture
def wa_app(app, fake_twilio, clock):
    app.config.update(twilio_config(fake_twilio))
    fake_twilio.clock = clock
    return app


def _join(phone):
    assert "Reply YES to join" in phone.text("Hello?")[0]
    assert "you're in" in phone.text("YES")[0]


def _news(cp, text="News!"):
    result = cp("budget", "update", "--community", "riverside", "--text", text, "--broadcast")
    assert "Sent to 1 member." in result.output


def test_channel_sms_sends_broadcasts_by_sms_to_a_whatsapp_member(wa_app, fake_twilio, community, cp, db):
    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    _news(cp, "First")
    assert "First" in whatsapp.receive()[0]  # by default: the channel they last wrote on
    (said,) = whatsapp.text("channel sms")  # the answer comes back where they wrote
    assert said == "OK, our messages will come to you by SMS from now on. Send CHANNEL to change it."
    _news(cp, "Second")
    assert "Second" in sms.receive()[0] and whatsapp.receive() == []
    with db.transaction() as session:
        assert session.scalars(select(Resident.channel)).one() == "sms"
    # and news of their own idea (one resident at a time) goes the same way
    whatsapp.text("IDEA benches")
    whatsapp.text("£1k")
    assert cp("ideas", "shortlist", "--community", "riverside", "1").exit_code == 0
    assert "shortlisted" in sms.receive()[0] and whatsapp.receive() == []


def test_channel_whatsapp_outside_the_window_goes_as_a_template_or_by_sms(
    wa_app, fake_twilio, community, cp, clock
):
    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    (said,) = sms.text("CHANNEL WhatsApp")
    assert said == "OK, our messages will come to you by WhatsApp from now on. Send CHANNEL to change it."
    # they last wrote by SMS: WhatsApp's window is not known to be open, and with no template
    # the news goes by SMS; plain text never goes to WhatsApp outside its window
    _news(cp, "First")
    assert "First" in sms.receive()[0] and whatsapp.receive() == []
    register = ["whatsapp", "templates", "set", "--community", "riverside", "--kind", "budget_news"]
    assert cp(*register, "--language", "en", "--sid", NEWS_SID).exit_code == 0
    _news(cp, "Second")
    assert whatsapp.receive()[0].startswith(f"template {NEWS_SID}") and sms.receive() == []
    # once they write on WhatsApp, plain text goes there for 24 hours
    whatsapp.text("BUDGET")
    clock.advance(hours=1)
    _news(cp, "Third")
    assert "Third" in whatsapp.receive()[0]


def test_channel_alone_says_which_and_an_unknown_channel_is_explained(wa_app, fake_twilio, community, db):
    whatsapp = WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    assert whatsapp.text("CHANNEL") == [
        "Our messages come to you by WhatsApp. To choose another way, send CHANNEL and one of: SMS, WHATSAPP"
    ]
    assert whatsapp.text("CHANNEL pigeon") == [
        "Sorry, we can't write to you that way. Send CHANNEL and one of: SMS, WHATSAPP"
    ]
    assert whatsapp.text("CHANNEL TELEGRAM") == [  # they have no Telegram to reach
        "Sorry, we can't write to you that way. Send CHANNEL and one of: SMS, WHATSAPP"
    ]
    assert whatsapp.text("CHANNEL phone line") == [  # a call cannot carry a ballot or news
        "Sorry, we can't write to you that way. Send CHANNEL and one of: SMS, WHATSAPP"
    ]
    with db.transaction() as session:
        assert session.scalars(select(Resident.channel)).one() is None


@pytest.mark.parametrize(
    "language, word, says",
    [
        ("cy", "SIANEL SMS", "Iawn, bydd ein negeseuon yn dod atoch chi drwy SMS o hyn ymlaen."),
        ("pl", "KANAŁ sms", "OK, od teraz nasze wiadomości będą przychodzić do Ciebie przez SMS."),
        ("pl", "kanal sms", "OK, od teraz nasze wiadomości będą przychodzić do Ciebie przez SMS."),
    ],
)
def test_channel_in_welsh_and_polish(wa_app, fake_twilio, make_community, language, word, says):
    make_community(languages=[language, "en"])
    whatsapp = WhatsApp(wa_app, fake_twilio)
    whatsapp.text("Hello?")
    whatsapp.text("IE" if language == "cy" else "TAK")
    assert whatsapp.text(word)[0].startswith(says)
