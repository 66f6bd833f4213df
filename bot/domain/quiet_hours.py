"""Quiet hours: the community's night, when messages we start to many wait in the outbox.

Only messages we start are held (ballots, reminders, results, budget updates, project news, a
round called off, an organiser's decision on an idea); an answer to a resident's own message
is never held, and neither is an organiser's reply from the inbox (the resident asked). A
held row is queued as usual with its next attempt at the end of the quiet hours, so nothing is
lost, a STOP still withdraws it, and the dispatcher sends it then, paced as usual. It is marked
held, so that if it would go inside quiet hours after all (retried after an error, or reached
late in a long broadcast's pacing) the dispatcher puts it back until they end, and an answer
due at the same time is sent before it."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.errors import InvalidInput
from models import Community, OutboxMessage
from models.states import OutboxStatus

_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def quiet_until(community: Community, now: datetime) -> datetime | None:
    """When the quiet hours `now` falls in end (UTC), or None outside them (or if the
    community has none: the same start and end). Wall-clock times in the community's
    timezone, so 21:00-08:00 stays 21:00-08:00 across a change of clocks; the hours may span
    midnight."""
    return quiet_until_in(community.quiet_start, community.quiet_end, community.timezone, now)


def quiet_until_in(quiet_start: str, quiet_end: str, timezone: str, now: datetime) -> datetime | None:
    """As quiet_until(), from the community's settings alone (the dispatcher reads them with
    the row it is about to send)."""
    start, end = _time(quiet_start), _time(quiet_end)
    if start == end:
        return None
    tz = ZoneInfo(timezone)
    here = now.astimezone(tz)
    t = here.time().replace(tzinfo=None)
    quiet = start <= t < end if start < end else (t >= start or t < end)
    if not quiet:
        return None
    day = here.date() if t < end else here.date() + timedelta(days=1)
    # An end that falls in the hour the clocks skip comes out just after it (fold=0).
    ends = datetime.combine(day, end, tzinfo=tz).astimezone(now.tzinfo)
    return ends if ends > now else None


def send_at(community: Community, now: datetime) -> datetime:
    """When a message we start to many at `now` may go: now, or at the end of quiet hours."""
    return quiet_until(community, now) or now


def set_quiet_hours(community: Community, start: str | None = None, end: str | None = None) -> Community:
    """Set the hours (HH:MM, community time) when messages we start wait; the same start and
    end turn them off. Only what is given changes."""
    for name, value in (("start", start), ("end", end)):
        if value is not None and not _HH_MM.match(value.strip()):
            raise InvalidInput(f"{value!r} is not a time like 21:00", field=f"quiet_{name}")
    if start is not None:
        community.quiet_start = start.strip()
    if end is not None:
        community.quiet_end = end.strip()
    return community


def describe(community: Community) -> str:
    """ "21:00 to 08:00" or "none"."""
    if community.quiet_start == community.quiet_end:
        return "none"
    return f"{community.quiet_start} to {community.quiet_end}"


def _time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class Held:
    count: int
    at: datetime


def held(session: Session, community: Community, prefixes: Sequence[str], now: datetime) -> Held | None:
    """Messages of the broadcasts whose keys start with `prefixes` ("round-open:4:") that wait
    for the end of quiet hours: how many, and when the first goes; None if none wait."""
    c = OutboxMessage
    found = session.execute(
        select(func.count(), func.min(c.next_attempt_at)).where(
            c.community_id == community.id,
            c.status == OutboxStatus.QUEUED,
            c.attempts == 0,
            c.next_attempt_at > now,
            or_(*(c.idempotency_key.startswith(p, autoescape=True) for p in prefixes)),
        )
    ).one()
    count, first = found
    return Held(count, first) if count else None
