"""Typed errors adapters raise when a send fails, so the dispatcher can decide what next."""


class SendError(Exception):
    """A send failed; `code` is the provider's error code as text."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class TransientSendError(SendError):
    """Worth trying again later (rate limit, server error, network)."""

    def __init__(self, code: str, message: str, retry_after: float | None = None):
        super().__init__(code, message)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """Will never succeed. `unreachable` says why the address is dead, if it is:
    "opted_out", "blocked" or "invalid"."""

    def __init__(self, code: str, message: str, unreachable: str | None = None):
        super().__init__(code, message)
        self.unreachable = unreachable
