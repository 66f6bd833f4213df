"""Who a message from the dashboard goes to, when not every member: the segment a budget
update's or an announcement's form chose (bot.domain.segments), read as the CLI reads its
options."""

import re

from flask import g

from bot.domain.segments import Segment, condition, segment
from bot.errors import InvalidInput
from bot.web.dashboard.forms import Form, whole_number
from models import Community

# The form fields of dashboard/_segment.html.
SEGMENT_FIELDS = ("areas", "languages", "channels", "vote", "vote_round", "authors_round")


def segment_in(place: Community, form: Form) -> Segment:
    """The part of the community the form chose (everyone, if none); an unknown round refused."""
    vote, vote_round = form.get("vote", ""), form.get("vote_round", "").strip()
    if vote and not vote_round:
        raise InvalidInput("say which round they voted in, or did not", field="segment")
    number = whole_number(vote_round, "segment") if vote and vote_round else None
    authors = form.get("authors_round", "").strip()
    to = segment(
        place,
        areas=[a for a in re.split(r"[\s,;]+", form.get("areas", "")) if a],
        languages=form.getlist("languages"),
        channels=form.getlist("channels"),
        voted_in=number if vote == "voted" else None,
        not_voted_in=number if vote == "not_voted" else None,
        authors_in=whole_number(authors, "segment") if authors else None,
    )
    condition(g.db_session, place, to)  # a round that does not exist is refused here
    return to


def criteria_in(form: Form) -> list[tuple[str, str]]:
    """The segment's fields as posted, to carry through a confirmation page."""
    return [(name, value) for name in SEGMENT_FIELDS for value in form.getlist(name) if value]
