"""A local stand-in for Twilio's REST API that the real twilio client talks to."""

import itertools
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

from tests.fakes import serve_in_thread

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "f" * 32


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

    def fail_next(self, status: int, code: int | None = None, times: int = 1) -> None:
        self.failures.extend([(status, code)] * times)

    def bodies(self) -> list[str]:
        return [s.form["Body"] for s in self.sent]

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
            self.sent.append(Sent(form, time.monotonic()))
            sid = f"SM{next(sids):032d}"
            return jsonify(
                sid=sid, status="queued", to=form["To"], body=form["Body"], account_sid=account
            ), 201

        return app


def start_fake_twilio():
    """Start the fake on 127.0.0.1; returns (fake, stop)."""
    fake = FakeTwilio()
    port, stop = serve_in_thread(fake.app())
    fake.url = f"http://127.0.0.1:{port}"
    return fake, stop
