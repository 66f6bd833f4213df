"""Fakes for each layer: a collecting channel, a fixed clock, and local HTTP servers."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from werkzeug.serving import WSGIRequestHandler, make_server

from channels.messages import OutboundMessage


class FixedClock:
    """A clock that only moves when the test says so."""

    def __init__(self, start: datetime = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta) -> None:
        self.current += timedelta(**delta)


class CollectingChannel:
    """Records what would be sent; `fail_with` makes the next sends raise."""

    def __init__(self, name: str = "console"):
        self.name = name
        self.sent: list[OutboundMessage] = []
        self.failures: list[Exception] = []
        self.on_send: Callable[[OutboundMessage], None] | None = None

    def fail_with(self, *errors: Exception) -> None:
        self.failures.extend(errors)

    def send(self, message: OutboundMessage) -> str:
        if self.on_send:
            self.on_send(message)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return f"fake-{len(self.sent)}"

    def texts(self) -> list[str]:
        return [m.text for m in self.sent]


class QuietHandler(WSGIRequestHandler):
    """Logs nothing: request lines would show secrets (Telegram's URLs carry the bot token)."""

    def log_request(self, *args, **kwargs) -> None:
        pass


def _whole(wsgi_app):
    """Each response read whole, and closed, before the server writes a byte of it. Werkzeug's
    development server closes a response in a `finally` that first reads the socket, and that
    read raises when the client has hung up: a browser closed mid-download left a static file
    open (a ResourceWarning at some later test's teardown, a different test each CI run)."""

    def app(environ, start_response):
        body = wsgi_app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return app


def serve_in_thread(wsgi_app) -> tuple[int, Callable[[], None]]:
    """Serve `wsgi_app` on 127.0.0.1 in a thread; returns (port, stop)."""
    server = make_server("127.0.0.1", 0, _whole(wsgi_app), threaded=True, request_handler=QuietHandler)
    # Polled every 10 ms, so that stopping a fake at each test's end waits 5 ms, not 25.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join()

    return server.port, stop
