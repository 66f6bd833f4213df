"""Announcements: organisers' news to members that is not about the money ("The partnership
meets Tuesday 7pm at the library, all welcome"), to every member or to part of the community.

They go the way a budget update goes (bot.domain.ledger): counted and costed first, queued in
the outbox once per member, held through the community's quiet hours, kept with the criteria
of who they went to (never who matched) for the audit trail and the digest. Unlike a budget
update they are not what BUDGET shows. The organiser's words go as typed (typographic quotes
spelt in GSM-7, as every organiser's text is); the framing around them is the catalogue's, in
each member's language."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import chain  # noqa: F401  (links new entries into the record as they are flushed)
from bot.domain.notify import broadcast, channel_split, member_count, with_whatsapp
from bot.domain.segments import Segment, condition
from bot.domain.whatsapp import Template
from bot.errors import InvalidInput
from bot.text.organiser_text import SmsCost, plain, refuse_controls, sms_cost
from models import Announcement, Community

KEY = "announcement"  # the catalogue's framing, and the outbox rows' idempotency keys


def as_sent(text: str) -> str:
    """The organiser's words as members get them, or InvalidInput saying what is wrong."""
    text = plain(refuse_controls(text, "the announcement"))
    if not text:
        raise InvalidInput("an announcement needs some text", field="text")
    return text


def nobody_matches(to: Segment) -> InvalidInput:
    """The refusal of an announcement no member would get."""
    return InvalidInput(
        f"no member who gets messages matches {to.describe()}: nothing was sent", field="segment"
    )


def announcement_cost(
    session: Session, community: Community, text: str, now: datetime, to: Segment | None = None
) -> SmsCost:
    """What each member (of the segment `to`) would get if `text` were announced now, how many
    they are, and the cost: SMS segments, and beside them the WhatsApp messages."""
    only = condition(session, community, to) if to is not None else None
    cost = sms_cost(
        KEY,
        member_count(session, community, only),
        community.default_language,
        own="announcement",
        announcement=as_sent(text),
        community=community.name,
    )
    return with_whatsapp(cost, channel_split(session, community, now, KEY, only))


def announce(
    session: Session, community: Community, text: str, now: datetime, to: Segment | None = None
) -> tuple[Announcement, int]:
    """Keep the announcement (with who it is for, as criteria) and queue it to every member of
    the segment `to` (everyone if None), once each; returns it and how many were queued.
    During quiet hours the messages wait in the outbox until they end."""
    to = to or Segment()
    only = condition(session, community, to)  # an unknown round is refused before anything is kept
    if member_count(session, community, only) == 0:
        raise nobody_matches(to)
    announcement = Announcement(
        community_id=community.id, text=as_sent(text), audience=to.describe(), created_at=now
    )
    session.add(announcement)
    session.flush()
    values = dict(community=community.name, announcement=announcement.text)
    sent = broadcast(
        session,
        community,
        KEY,
        now,
        only=only,
        key=f"{KEY}:{announcement.id}",
        # Outside WhatsApp's window, as the template registered for it, else by SMS
        template=Template(KEY, lambda language: values),
        announcement=announcement.text,
    )
    return announcement, sent


def announcements_between(
    session: Session, community: Community, start: datetime, end: datetime
) -> list[Announcement]:
    """The announcements made from `start` up to, not including, `end`, oldest first."""
    return list(
        session.scalars(
            select(Announcement)
            .where(
                Announcement.community_id == community.id,
                Announcement.created_at >= start,
                Announcement.created_at < end,
            )
            .order_by(Announcement.id)
        )
    )


def latest_announcements(session: Session, community: Community, limit: int = 5) -> list[Announcement]:
    """The newest announcements, newest first (for the organisers' page)."""
    return list(
        session.scalars(
            select(Announcement)
            .where(Announcement.community_id == community.id)
            .order_by(Announcement.created_at.desc(), Announcement.id.desc())
            .limit(limit)
        )
    )
