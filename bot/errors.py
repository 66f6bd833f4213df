"""Errors the services raise for input they refuse; the CLI and API show the message."""


class InvalidInput(ValueError):
    """Bad input from an organiser: the message says what is wrong, in one line."""


class NotFound(LookupError):
    """A named thing (community, idea) does not exist."""
