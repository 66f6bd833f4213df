"""The Twilio client works out the environment's proxy once for each host it calls, and every
send goes as the environment says: requests would otherwise read the whole environment twice a
send."""

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
    assert channel is not None
    assert channel.send(MESSAGE).startswith("SM")
    monkeypatch.delenv("HTTP_PROXY")  # read at the first send to the host, not at each
    assert channel.send(MESSAGE).startswith("SM")
    assert [sent.form["Body"] for sent in fake_twilio.sent] == ["Still to decide: £1,150,000"] * 2


def test_a_host_the_environment_exempts_is_reached_directly(fake_twilio, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    channel = sender(twilio_config(fake_twilio))
    assert channel is not None
    assert channel.send(MESSAGE).startswith("SM")
    assert len(fake_twilio.sent) == 1


def test_each_host_gets_the_proxy_the_environment_gives_it(monkeypatch):
    """The API and the Content API (WhatsApp's buttons) are different hosts: NO_PROXY may exempt
    one and not the other."""
    from channels.twilio_session import OnceSession

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "content.twilio.com")
    session = OnceSession()
    for _ in range(2):  # the second time from what the first worked out
        api = session.merge_environment_settings("https://api.twilio.com/2010-04-01/x", {}, None, None, None)
        content = session.merge_environment_settings("https://content.twilio.com/v1/x", {}, None, None, None)
        assert api["proxies"].get("https") == "http://proxy.example:3128"
        assert "https" not in content["proxies"]
