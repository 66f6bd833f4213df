"""A phone-in line through Twilio Voice: the community's number takes calls as well as texts.

Translates only. Each request Twilio makes during a call (the call coming in, the keys pressed
on a page, a voice message recorded, the call ending) is signature-checked exactly as SMS is,
turned into a CallEvent for the call handler it was given, and the CallPage it answers is
written as TwiML (`<Say>` in the page's language, `<Gather>` for keys, `<Record>` for a voice
message, `<Hangup>`). Every page's action URL carries the page's number, so a request says
which page it answers and a repeat can be told from a new keypress.

A caller is a phone number, the same identity as SMS and WhatsApp from that phone. A call is
not a channel we can send a text on (`sends_text=False`): what we start for someone who last
called goes by SMS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask import Blueprint, Response, abort, request, url_for

from channels.base import ChannelSpec, CommunityBy, Config, OnCall, text_setting
from channels.calls import CallAction, CallEvent, CallPage, Recording, Spoken
from channels.errors import TransientSendError
from channels.phone import normalise_phone
from channels.twilio_base import MAX_BODY, PREFIX, settings, verify

if TYPE_CHECKING:
    from twilio.twiml.voice_response import Gather, VoiceResponse

logger = logging.getLogger(__name__)

NAME = "voice"
# How long Twilio waits for a key before giving up on a page, in seconds.
KEY_TIMEOUT = 8
# <Say> speaks each of our languages in a voice made for it (Twilio's Amazon Polly voices);
# the pair must match, or Twilio fails the <Say>.
VOICES = {
    "en": ("en-GB", "Polly.Amy"),
    "cy": ("cy-GB", "Polly.Gwyneth"),
    "pl": ("pl-PL", "Polly.Ewa"),
}


def webhook_blueprint(config: Callable[[], Config], on_call: OnCall) -> Blueprint:
    """POST /webhooks/twilio/voice (a call, then each page's keys), .../voice/record (a voice
    message) and .../voice/status (the call's status), all signature-checked."""
    bp = Blueprint("twilio_voice", __name__, url_prefix=PREFIX)

    @bp.before_request
    def check_signature() -> None:
        if (request.content_length or 0) > MAX_BODY:
            abort(413)
        verify(text_setting(config(), "TWILIO_AUTH_TOKEN"), text_setting(config(), "PUBLIC_URL"))

    @bp.post("/voice")
    def call() -> Response:
        page = _page_number()
        return _answer(on_call(_event(CallAction.ANSWER if page is None else CallAction.KEYS, page)))

    @bp.post("/voice/record")
    def recorded() -> Response:
        return _answer(on_call(_event(CallAction.RECORDED, _page_number())))

    @bp.post("/voice/status")
    def status() -> Response:
        on_call(_event(CallAction.ENDED, None))
        return Response(status=204)

    return bp


def _page_number() -> int | None:
    page = request.args.get("page", "")
    return int(page) if page.isascii() and page.isdigit() and len(page) <= 6 else None


def _event(action: CallAction, page: int | None) -> CallEvent:
    form = request.form
    if not form.get("CallSid") or not form.get("From") or not form.get("To"):
        abort(400)
    seconds = form.get("RecordingDuration", "")
    return CallEvent(
        action=action,
        channel=NAME,
        call_sid=form["CallSid"],
        caller=form["From"],
        called=form["To"],
        received_at=datetime.now(UTC),
        page=page,
        digits=form.get("Digits", ""),
        status=form.get("CallStatus", ""),
        recording_url=form.get("RecordingUrl") or None,
        recording_sid=form.get("RecordingSid") or None,
        recording_seconds=int(seconds) if seconds.isdigit() else None,
    )


def _answer(page: CallPage | None) -> Response:
    """The page as TwiML; a call to no community's number is told nothing and hung up."""
    return Response(twiml(page), mimetype="text/xml")


def twiml(page: CallPage | None) -> str:
    """A page as TwiML, written by the twilio library."""
    from twilio.twiml.voice_response import VoiceResponse

    response = VoiceResponse()
    if page is None:
        response.hangup()
        return str(response)
    if page.record:
        for spoken in page.say:
            _say(response, spoken)
        response.record(
            action=url_for("twilio_voice.recorded", page=page.number),
            method="POST",
            max_length=page.record,
            finish_on_key="#",
            play_beep=True,
        )
        # Nothing recorded (silence): Twilio goes on to the next verb, so ask for the page again
        # without a recording, and the caller is taken back rather than cut off.
        response.redirect(url_for("twilio_voice.recorded", page=page.number), method="POST")
        return str(response)
    elif page.keys:
        # A caller who presses nothing hears the page once more before goodbye (a page that
        # takes no keys as an answer, `empty`, is always answered and never falls through).
        for _ in range(1 if page.empty else 2):
            gather = response.gather(
                input="dtmf",
                action=url_for("twilio_voice.call", page=page.number),
                method="POST",
                timeout=KEY_TIMEOUT,
                num_digits=page.digits,
                finish_on_key=page.finish,
                action_on_empty_result=True if page.empty else None,
            )
            for spoken in page.say:
                _say(gather, spoken)
    else:
        for spoken in page.say:
            _say(response, spoken)
    for spoken in page.goodbye:
        _say(response, spoken)
    response.hangup()
    return str(response)


def _say(verb: VoiceResponse | Gather, spoken: Spoken) -> None:
    language, voice = VOICES.get(spoken.language, VOICES["en"])
    verb.say(spoken.text, language=language, voice=voice)


def recording(config: Config, recording_sid: str) -> Recording:
    """A recording as MP3, fetched from Twilio's API with the account's credentials. By its id,
    never by a URL from a request: the credentials go to Twilio's API and nowhere else."""
    import requests

    found = settings(config, "SMS_SEGMENTS_PER_SECOND", 10.0)  # the account's; no pace is used
    if found is None:
        raise LookupError("Twilio is not configured")
    if not (recording_sid.isascii() and recording_sid.isalnum()):
        raise LookupError("not a recording id")
    url = f"{found.api_url}/2010-04-01/Accounts/{found.account_sid}/Recordings/{recording_sid}.mp3"
    try:
        response = requests.get(url, auth=(found.account_sid, found.auth_token), timeout=found.timeout)
    except requests.RequestException as exc:
        raise TransientSendError("network", type(exc).__name__) from None
    if response.status_code == 404:
        raise LookupError("no such recording")
    if response.status_code != 200:
        raise TransientSendError(str(response.status_code), "recording not fetched")
    return Recording(response.content, response.headers.get("Content-Type", "audio/mpeg"))


CHANNEL = ChannelSpec(
    name=NAME,
    identity_kind="phone",
    community_by=CommunityBy.NUMBER,
    normalise=normalise_phone,
    sends_text=False,
    label="Phone calls",
    title="phone line",
    call_blueprint=webhook_blueprint,
    recording=recording,
)
