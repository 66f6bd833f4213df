"""A local stand-in for Twilio's REST API that the real twilio client talks to.

It speaks WhatsApp too: a message `To` a `whatsapp:` address is free-form text, which Twilio
takes only within 24 hours of that person's last WhatsApp message. Tests tell the fake when
someone wrote (`wrote_on_whatsapp`) and give it their clock; outside the window it refuses with
63016, as Twilio does. A template (ContentSid with ContentVariables, and no Body) goes whenever:
the fake checks the ContentSid's shape and that the variables are a JSON object of one-line
texts, and refuses a message that has both a ContentSid and a Body, or neither. It keeps the
recordings callers left on the phone line (`recordings`) and serves them, as Twilio's API does,
to a request with the account's credentials."""

import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, jsonify, request

from tests.fakes import serve_in_thread

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "f" * 32
WHATSAPP = "whatsapp:"
WINDOW = timedelta(hours=24)


@dataclass
class Sent:
    form: dict
    at: float  # time.monotonic() when the request arrived


@dataclass
class FakeTwilio:
    """Records every Messages.create; `fail_next(status, code)` makes the next ones fail."""

    sent: list[Sent] = field(default_factory=list)
    failures: list[tuple[int, int | None]] = field(default_factory=list)
    url: str = ""
    # WhatsApp: when each `whatsapp:+44...` last wrote to us, by the test's clock (`clock`).
    whatsapp_seen: dict[str, datetime] = field(default_factory=dict)
    clock: Callable[[], datetime] | None = None
    # Voice: the recordings callers left, by RecordingSid (MP3 bytes), served to an authorised GET.
    recordings: dict[str, bytes] = field(default_factory=dict)

    # Content API: what each ContentSid it made holds (its "types").
    contents: dict[str, dict] = field(default_factory=dict)

    def fail_next(self, status: int, code: int | None = None, times: int = 1) -> None:
        self.failures.extend([(status, code)] * times)

    def wrote_on_whatsapp(self, number: str, at: datetime) -> None:
        """`number` (+44...) sent a WhatsApp message at `at`: its 24-hour window opens."""
        self.whatsapp_seen[WHATSAPP + number] = at

    def outside_window(self, to: str) -> bool:
        """A free-form WhatsApp message to `to` would be refused (only when given a clock)."""
        if not to.startswith(WHATSAPP) or self.clock is None:
            return False
        seen = self.whatsapp_seen.get(to)
        return seen is None or self.clock() - seen >= WINDOW

    def bodies(self) -> list[str]:
        return [s.form.get("Body", "") for s in self.sent]

    def templates(self) -> list[tuple[str, str, dict]]:
        """(To, ContentSid, variables) of each template sent."""
        return [
            (s.form["To"], s.form["ContentSid"], json.loads(s.form.get("ContentVariables") or "{}"))
            for s in self.sent
            if "ContentSid" in s.form
        ]

    def app(self) -> Flask:
        app = Flask("fake_twilio")
        sids = itertools.count(1)

        @app.post("/2010-04-01/Accounts/<account>/Messages.json")
        def create(account):
            if (
                request.authorization is None
                or request.authorization.username != ACCOUNT_SID
                or account != ACCOUNT_SID
            ):
                return jsonify(code=20003, message="Authenticate", status=401), 401
            if self.failures:
                status, code = self.failures.pop(0)
                return jsonify(code=code, message=f"fake error {code}", status=status), status
            form = request.form.to_dict()
            refusal = _refused_content(form)
            if refusal:
                return jsonify(code=refusal[0], message=refusal[1], status=400), 400
            if form.get("Body") is not None and self.outside_window(form["To"]):
                message = "Message failed to send because more than 24 hours have passed"
                return jsonify(code=63016, message=message, status=400), 400
            self.sent.append(Sent(form, time.monotonic()))
            sid = f"SM{next(sids):032d}"
            return jsonify(
                sid=sid, status="queued", to=form["To"], body=form.get("Body"), account_sid=account
            ), 201

        @app.get("/2010-04-01/Accounts/<account>/Recordings/<sid>.mp3")
        def recording(account, sid):
            if (
                request.authorization is None
                or request.authorization.username != ACCOUNT_SID
                or request.authorization.password != AUTH_TOKEN
                or account != ACCOUNT_SID
            ):
                return jsonify(code=20003, message="Authenticate", status=401), 401
            if sid not in self.recordings:
                return jsonify(code=20404, message="not found", status=404), 404
            return self.recordings[sid], 200, {"Content-Type": "audio/mpeg"}

        @app.post("/v1/Content")
        def create_content():
            if request.authorization is None or request.authorization.username != ACCOUNT_SID:
                return jsonify(code=20003, message="Authenticate", status=401), 401
            data = request.get_json()
            types = {name: body for name, body in (data.get("types") or {}).items() if body}
            if not types or not data.get("language"):
                return jsonify(code=20001, message="types and language are required", status=400), 400
            sid = f"HX{len(self.contents) + 1:032x}"
            self.contents[sid] = types
            return jsonify(sid=sid, account_sid=ACCOUNT_SID, types=types, language=data["language"]), 201

        return app


def _refused_content(form: dict) -> tuple[int, str] | None:
    """Why Twilio would refuse a message's content (a code and its words), or None."""
    if "ContentSid" not in form:
        return None if form.get("Body") is not None else (21619, "A text message body is required")
    if "Body" in form:
        return 21619, "fake: a template is sent without a Body"
    if not re.fullmatch(r"HX[0-9a-fA-F]{32}", form["ContentSid"]):
        return 21655, "The ContentSid is Invalid"
    try:
        variables = json.loads(form.get("ContentVariables") or "{}")
    except ValueError:
        return 21656, "The ContentVariables Parameter is invalid"
    if not isinstance(variables, dict) or not all(
        isinstance(v, str) and v.strip() and "\n" not in v for v in variables.values()
    ):
        return 21656, "The ContentVariables Parameter is invalid"
    return None


def start_fake_twilio():
    """Start the fake on 127.0.0.1; returns (fake, stop)."""
    fake = FakeTwilio()
    port, stop = serve_in_thread(fake.app())
    fake.url = f"http://127.0.0.1:{port}"
    return fake, stop
