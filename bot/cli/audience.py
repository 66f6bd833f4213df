"""The options that send a message to part of the community (bot.domain.segments), shared by
`budget update --broadcast` and `announce`, so both name the criteria alike."""

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

CRITERIA = ("areas", "languages", "channels", "voted_in", "not_voted_in", "authors_in")

_OPTIONS = (
    click.option("--area", "areas", multiple=True, help="Only members in this postcode area (RM9); repeat."),
    click.option(
        "--language", "languages", multiple=True, help="Only members reading this language; repeat."
    ),
    click.option(
        "--channel", "channels", multiple=True, help="Only members using this channel (sms); repeat."
    ),
    click.option("--voted-in", type=click.IntRange(min=1), help="Only members who voted in this round."),
    click.option("--not-voted-in", type=click.IntRange(min=1), help="Only members who did not vote in it."),
    click.option("--authors-in", type=click.IntRange(min=1), help="Only authors of ideas in this round."),
)


def segment_options(command: F) -> F:
    """--area, --language, --channel, --voted-in, --not-voted-in, --authors-in."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def criteria_of(given: dict[str, Any]) -> dict[str, Any]:
    """The segment's criteria among a command's arguments (what segment() takes)."""
    return {name: given.pop(name) for name in CRITERIA}


def any_chosen(criteria: dict[str, Any]) -> bool:
    return any(value not in (None, ()) for value in criteria.values())
