"""ISO weeks in a community's timezone, and when each week's digest is due."""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput

_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Week:
    iso: str  # "2026-W48"
    monday: date
    start: datetime  # Monday 00:00 local, in UTC
    end: datetime  # the next Monday 00:00 local, in UTC

    def previous(self, tz: str) -> "Week":
        return week_starting(self.monday - timedelta(days=7), tz)


def week_starting(monday: date, tz: str) -> Week:
    zone = ZoneInfo(tz)
    year, number, _ = monday.isocalendar()
    start = datetime.combine(monday, time(0), zone).astimezone(timezone.utc)
    end = datetime.combine(monday + timedelta(days=7), time(0), zone).astimezone(timezone.utc)
    return Week(f"{year}-W{number:02d}", monday, start, end)


def parse_week(text: str, tz: str) -> Week:
    match = _ISO_WEEK.match(text.strip().upper())
    if not match:
        raise InvalidInput(f"{text!r} is not an ISO week like 2026-W48")
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a week that exists") from None
    return week_starting(monday, tz)


def last_completed(now: datetime, tz: str) -> Week:
    today = now.astimezone(ZoneInfo(tz)).date()
    this_monday = today - timedelta(days=today.weekday())
    return week_starting(this_monday - timedelta(days=7), tz)


def digest_due(week: Week, weekday: int, at: str, tz: str) -> datetime:
    """When a week's digest goes out: the first `weekday` at `at` after the week ends."""
    hour, minute = (int(part) for part in at.split(":"))
    day = week.monday + timedelta(days=7 + weekday)
    return datetime.combine(day, time(hour, minute), ZoneInfo(tz)).astimezone(timezone.utc)
