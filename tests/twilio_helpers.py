"""Driving the SMS and WhatsApp webhooks as Twilio does: signed, real-shaped form posts, and a
resident's phone that texts (or WhatsApps) the community and reads what the fake Twilio was
asked to send it."""

import itertools
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from bot.context import get_db
from bot.messaging.channels import configured_channels
from bot.messaging.dispatcher import Dispatcher
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

PUBLIC = "https://purse.example.org"

NUMBER = "+441632960001"  # the community's

sids = itertools.count(1)


def twilio_config(fake, **extra):
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_URL": fake.url,
        "PUBLIC_URL": PUBLIC,
        "SMS_SEGMENTS_PER_SECOND": 1000,
        **extra,
    }


def signed(params: dict, url: str = PUBLIC + "/webhooks/twilio/sms") -> dict:
    return {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, params)}


def inbound(body: str, sender: str = "+447700900123", to: str = NUMBER, sid: str | None = None) -> dict:
    return {
        "MessageSid": sid or f"SM{next(sids):032d}",
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
    }


def _shown(form: dict, contents: dict) -> str:
    """What the phone shows: the text; for content made through the Content API (buttons) its
    text; for a template its ContentSid and variables."""
    if form.get("ContentSid") in contents:
        return contents[form["ContentSid"]]["twilio/text"]["body"]
    if "ContentSid" in form:
        return f"template {form['ContentSid']} {form.get('ContentVariables', '')}"
    return form["Body"]


class Phone:
    """A resident's phone: texts the community through the webhook, reads what Twilio sent it."""

    path = "/webhooks/twilio/sms"
    scheme = ""  # how Twilio writes this channel's addresses: +44... for SMS

    def __init__(self, app, fake, number="+447700900123"):
        self.app, self.fake, self.number = app, fake, number
        self.client = app.test_client()
        self.dispatcher = Dispatcher(get_db(app), configured_channels(app), app.config["CLOCK"])
        self.seen = len(fake.sent)

    def text(self, body: str, sid: str | None = None) -> list[str]:
        params = inbound(body, self.scheme + self.number, to=self.scheme + NUMBER, sid=sid)
        response = self.client.post(self.path, data=params, headers=signed(params, PUBLIC + self.path))
        assert response.status_code == 200
        assert response.mimetype == "text/xml" and b"<Response />" in response.data
        return self.receive()

    def receive(self) -> list[str]:
        """What Twilio was asked to send this phone on this channel since it last looked (sent
        by this phone's dispatcher or another's: the same phone may be on SMS and WhatsApp)."""
        while self.dispatcher.run_once():
            pass
        new, self.seen = self.fake.sent[self.seen :], len(self.fake.sent)
        return [_shown(s.form, self.fake.contents) for s in new if s.form["To"] == self.scheme + self.number]


class WhatsApp(Phone):
    """The same phone on WhatsApp: writes from whatsapp:+44... to whatsapp:<community number>;
    each message opens its 24-hour window at the fake Twilio."""

    path = "/webhooks/twilio/whatsapp"
    scheme = "whatsapp:"

    def text(self, body: str, sid: str | None = None) -> list[str]:
        self.fake.wrote_on_whatsapp(self.number, self.app.config["CLOCK"]())
        return super().text(body, sid)


class Caller:
    """A phone calling the community's line, as Twilio Voice drives it: the call comes in, then
    each keypress is posted (signed) to the action of the page played last; the TwiML comes back
    and is read as what the caller hears (`said`) and what the next request goes to."""

    path = "/webhooks/twilio/voice"

    def __init__(self, app, number="+447700900123", sid: str | None = None):
        self.client, self.number = app.test_client(), number
        self.sid = sid or f"CA{next(sids):032d}"
        self.action: str | None = None
        self.twiml: ElementTree.Element | None = None

    def params(self, status: str = "in-progress", **extra) -> dict:
        return {
            "CallSid": self.sid,
            "AccountSid": ACCOUNT_SID,
            "From": self.number,
            "To": NUMBER,
            "CallStatus": status,
            "Direction": "inbound",
            **extra,
        }

    def post(self, path: str, params: dict, status_code: int = 200):
        response = self.client.post(path, data=params, headers=signed(params, PUBLIC + path))
        assert response.status_code == status_code, response.data
        return response

    def read(self, response) -> list[str]:
        assert response.mimetype == "text/xml"
        self.twiml = ElementTree.fromstring(response.data)
        verb = next((v for v in self.twiml if v.tag in ("Gather", "Record")), None)
        self.action = verb.get("action") if verb is not None else None
        return self.said

    def call(self) -> list[str]:
        return self.read(self.post(self.path, self.params("ringing")))

    def press(self, digits: str) -> list[str]:
        """Keys on the page played last (`#` that finishes a group is not sent: Twilio strips it)."""
        assert self.action and self.twiml.find("Gather") is not None, "the page waits for no keys"
        return self.read(self.post(self.action, self.params(Digits=digits)))

    def record(self, recording_sid: str = "RE" + "1" * 32, seconds: int = 42) -> list[str]:
        assert self.action and self.twiml.find("Record") is not None, "the page records nothing"
        recording = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}"
        extra = dict(RecordingUrl=recording, RecordingSid=recording_sid, RecordingDuration=str(seconds))
        return self.read(self.post(self.action, self.params(**extra)))

    def hang_up(self) -> None:
        self.post(self.path + "/status", self.params("completed", CallDuration="60"), 204)

    @property
    def said(self) -> list[str]:
        """What the caller hears before the page waits (not what is said if they press nothing)."""
        heard: list[str] = []
        for verb in self.twiml if self.twiml is not None else ():
            if verb.tag == "Say":
                heard.append(verb.text or "")
            elif verb.tag == "Gather":
                return heard + [say.text or "" for say in verb.iter("Say")]
            else:
                break
        return heard

    @property
    def languages(self) -> set[str]:
        return {say.get("language") for say in self.twiml.iter("Say")}

    @property
    def hung_up(self) -> bool:
        return self.twiml is not None and self.twiml[-1].tag == "Hangup" and self.action is None
