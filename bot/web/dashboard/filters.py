"""How values read on the dashboard and the public page: money, local times, plurals, why an
option lost, and no invisible characters."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup

from bot.text.clean import visible
from bot.text.digest import why_not_funded
from bot.text.money import format_pence
from bot.web.dashboard.forms import once


def money(pence: int | None) -> str:
    return "-" if pence is None else format_pence(pence)


def local(value: datetime | None, tz: str = "Europe/London") -> str:
    """ "Tue 1 Dec 2026, 18:00" in the community's timezone."""
    if value is None:
        return "-"
    when = value.astimezone(ZoneInfo(tz))
    return f"{when:%a} {when.day} {when:%b %Y, %H:%M}"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


def percent(part: float) -> str:
    return f"{part * 100:.0f}%"


def shown(value: object) -> object:
    """Every value a page shows, without bidirectional controls and invisible format characters:
    a resident's U+202E would turn the rest of the line round for whoever reads the page."""
    if isinstance(value, Markup):
        return Markup(visible(value))
    if isinstance(value, str):
        return visible(value)
    return value


def init_app(app: Flask) -> None:
    for value_filter in (money, local, plural, percent, why_not_funded):
        app.add_template_filter(value_filter)
    app.add_template_global(once)
    app.jinja_env.finalize = shown  # on every page (the public one too), before escaping
