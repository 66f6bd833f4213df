"""A local stand-in for the Telegram Bot API that the real telegram.Bot talks to."""

import itertools
import json
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

from tests.fakes import serve_in_thread

TOKEN = "123456:TEST-token-never-logged"
# Parameters the Bot sends JSON-encoded; text stays text ("500" is not a number).
JSON_PARAMS = {"chat_id", "reply_markup", "allowed_updates", "offset", "timeout", "limit"}


# When every message the fake sends was sent (Telegram's "date"; nothing reads it but the client).
SENT_AT = 1795600000


@dataclass
class Call:
    method: str
    params: dict
    at: float
    ok: bool = True


@dataclass
class FakeTelegram:
    """Records every Bot API call; `fail_next(code, description, retry_after)` fails the next sends."""

    calls: list[Call] = field(default_factory=list)
    failures: list[tuple[int, str, int | None]] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    webhook: dict | None = None
    url: str = ""

    def fail_next(self, code: int, description: str, retry_after: int | None = None) -> None:
        self.failures.append((code, description, retry_after))

    def sent(self, chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == "sendMessage" and c.ok and (chat_id is None or c.params["chat_id"] == chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [c.params["text"] for c in self.sent(chat_id)]

    def app(self) -> Flask:
        app = Flask("fake_telegram")
        message_ids = itertools.count(1)

        @app.post("/bot<token>/<method>")
        def call(token, method):
            if token != TOKEN:
                return jsonify(ok=False, error_code=401, description="Unauthorized"), 401
            params = {k: _decode(v) if k in JSON_PARAMS else v for k, v in request.form.items()}
            if request.is_json:
                params.update(request.get_json())
            self.calls.append(Call(method, params, time.monotonic()))
            refused = _over_limits(params) if method == "sendMessage" else None
            if refused:  # as the real Bot API refuses them
                self.calls[-1].ok = False
                return jsonify(ok=False, error_code=400, description=refused), 400
            if method == "sendMessage" and self.failures:
                code, description, retry_after = self.failures.pop(0)
                self.calls[-1].ok = False
                body = {"ok": False, "error_code": code, "description": description}
                if retry_after is not None:
                    body["parameters"] = {"retry_after": retry_after}
                return jsonify(body), code
            return jsonify(ok=True, result=self._result(method, params, message_ids))

        return app

    def _result(self, method, params, message_ids):
        if method == "getMe":
            return {"id": 4242, "is_bot": True, "first_name": "Common Purse", "username": "purse_bot"}
        if method == "sendMessage":
            return {
                "message_id": next(message_ids),
                "date": SENT_AT,
                "chat": {"id": params["chat_id"], "type": "private"},
                "text": params["text"],
            }
        if method == "setWebhook":
            self.webhook = params
            return True
        if method == "deleteWebhook":
            self.webhook = None
            return True
        if method == "getUpdates":
            offset = params.get("offset") or 0
            return [u for u in self.updates if u["update_id"] >= offset]
        return True


def _over_limits(params: dict) -> str | None:
    """What the Bot API says to a message over its limits: 4,096 characters of text, and 100
    buttons in an inline keyboard."""
    if len(params.get("text") or "") > 4096:
        return "Bad Request: message is too long"
    markup = params.get("reply_markup") or {}
    if sum(len(row) for row in markup.get("inline_keyboard", ())) > 100:
        return "Bad Request: reply markup is too long"
    return None


def _decode(value: str):
    try:
        return json.loads(value)
    except ValueError:
        return value


def start_fake_telegram():
    """Start the fake on 127.0.0.1; returns (fake, stop)."""
    fake = FakeTelegram()
    port, stop = serve_in_thread(fake.app())
    fake.url = f"http://127.0.0.1:{port}/bot"
    return fake, stop
