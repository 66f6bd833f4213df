"""Errors the services raise for input they refuse; the CLI and API show the message."""


class InvalidInput(ValueError):
    """Bad input from an organiser: the message says what is wrong, in one line.

    `field` names the argument the refusal is about, as the function that refused calls it
    (`amount_pence`, `closes_at`), so a form can show the message beside the right box; None
    when it is about the request as a whole (a round that is already closed)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFound(LookupError):
    """A named thing (community, idea) does not exist."""
