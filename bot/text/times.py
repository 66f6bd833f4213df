"""Times as organisers type them and residents read them: in the community's timezone."""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time

from bot.errors import InvalidInput

# Far wider than any round, and far enough inside datetime's years 1-9999 that a time
# shown in any timezone, or a few days either side of it, still exists.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def parse_local(text: str, tz: str) -> datetime:
    """ "2026-12-01 18:00" (or with T, or with an offset) in `tz`, as an aware UTC datetime."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is not a time like 2026-12-01 18:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    try:
        in_utc: datetime | None = value.astimezone(UTC)
    except OverflowError:  # "0001-01-01 00:00+05:00" is in year 0
        in_utc = None
    if in_utc is None or not EARLIEST <= in_utc < LATEST:
        raise InvalidInput(f"{text!r} is out of range: give a time between 1970 and 2999")
    return in_utc


def local(value: datetime, tz: str) -> datetime:
    return value.astimezone(ZoneInfo(tz))


def spoken(value: datetime, tz: str) -> str:
    """Short and plain for a text message: "6pm Tue 1 Dec", "9:30am Fri 4 Dec"."""
    when = local(value, tz)
    hour = when.strftime("%I").lstrip("0")
    minutes = "" if when.minute == 0 else when.strftime(":%M")
    return (
        f"{hour}{minutes}{when.strftime('%p').lower()} {when.strftime('%a')} {when.day} {when.strftime('%b')}"
    )


@dataclass(frozen=True)
class Moment:
    """A time for a resident's message, written the way their language writes times."""

    at: datetime
    tz: str
    with_time: bool = True  # False: the date alone ("1 Dec 2026")

    def in_language(self, language: str) -> str:
        return _written(self.at, self.tz, self.with_time, language)

    def __str__(self) -> str:
        return self.in_language("en")


@lru_cache(maxsize=4096)
def _written(at: datetime, tz: str, with_time: bool, language: str) -> str:
    """A Moment in `language`; kept, as every vote's confirmation says when its round closes."""
    if not with_time:
        return format_skeleton("yMMMd", local(at, tz), locale=_locale(language))
    return spoken_in(at, tz, language)


def spoken_in(value: datetime, tz: str, language: str) -> str:
    """spoken() in English; in another language its own short date and 24-hour time
    ("Maw, 1 Rhag 17:24", "wt., 1 gru, 17:24"). Minutes are always kept."""
    if language == "en":
        return spoken(value, tz)
    when = local(value, tz)
    locale = _locale(language)
    date = format_skeleton("MMMEd", when, locale=locale)
    pattern: str = locale.datetime_formats["short"]  # "{1}, {0}": date and time in the locale's order
    return pattern.format(format_time(when, "short", locale=locale), date)


def _locale(language: str) -> Locale:
    return Locale.parse("en_GB" if language == "en" else language)


def iso_local(value: datetime | None, tz: str) -> str | None:
    return local(value, tz).isoformat() if value else None
