"""The Twilio client reads the environment's proxy once, when it is made, and every send goes
through that proxy: requests would otherwise read the whole environment twice a send."""

from channels.messages import Address, OutboundMessage
from channels.twilio_sms import sender
from tests.twilio_helpers import twilio_config

MESSAGE = OutboundMessage(
    Address("sms", "+447700900123"), "Still to decide: £1,150,000", sender="+441632960001"
)


def test_sends_go_through_the_proxy_the_environment_names(fake_twilio, monkeypatch):
    # The fake Twilio stands in for the proxy: the API's own host does not exist.
    monkeypatch.setenv("HTTP_PROXY", fake_twilio.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    channel = sender(twilio_config(fake_twilio, TWILIO_API_URL="http://api.twilio.invalid"))
    monkeypatch.delenv("HTTP_PROXY")  # read when the client was made, not at each send
    assert channel is not None
    assert channel.send(MESSAGE).startswith("SM")
    assert [sent.form["Body"] for sent in fake_twilio.sent] == ["Still to decide: £1,150,000"]


def test_a_host_the_environment_exempts_is_reached_directly(fake_twilio, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    channel = sender(twilio_config(fake_twilio))
    assert channel is not None
    assert channel.send(MESSAGE).startswith("SM")
    assert len(fake_twilio.sent) == 1
