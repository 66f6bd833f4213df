"""How values read on the dashboard: money, local times, plurals."""

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.text.money import format_pence
from bot.web.dashboard import bp


@bp.app_template_filter("money")
def money(pence: int | None) -> str:
    return "-" if pence is None else format_pence(pence)


@bp.app_template_filter("local")
def local(value: datetime | None, tz: str = "Europe/London") -> str:
    """ "Tue 1 Dec 2026, 18:00" in the community's timezone."""
    if value is None:
        return "-"
    when = value.astimezone(ZoneInfo(tz))
    return f"{when:%a} {when.day} {when:%b %Y, %H:%M}"


@bp.app_template_filter("plural")
def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


@bp.app_template_filter("percent")
def percent(part: float) -> str:
    return f"{part * 100:.0f}%"
