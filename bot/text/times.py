"""Times as organisers type them and residents read them: in the community's timezone."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput


def parse_local(text: str, tz: str) -> datetime:
    """"2026-12-01 18:00" (or with T, or with an offset) in `tz`, as an aware UTC datetime."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is not a time like 2026-12-01 18:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(timezone.utc)


def local(value: datetime, tz: str) -> datetime:
    return value.astimezone(ZoneInfo(tz))


def spoken(value: datetime, tz: str) -> str:
    """Short and plain for a text message: "6pm Tue 1 Dec", "9:30am Fri 4 Dec"."""
    when = local(value, tz)
    hour = when.strftime("%I").lstrip("0")
    minutes = "" if when.minute == 0 else when.strftime(":%M")
    return f"{hour}{minutes}{when.strftime('%p').lower()} {when.strftime('%a')} {when.day} {when.strftime('%b')}"


def iso_local(value: datetime | None, tz: str) -> str | None:
    return local(value, tz).isoformat() if value else None
