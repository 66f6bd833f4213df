"""PROJECT / PROSIECT / PROJEKT: how a funded project is getting on, for anyone who asks."""

import re

from bot.dialogue.turn import Reply, Result, Turn
from bot.domain.projects import ProjectView, projects_of
from bot.text.catalogue import render
from bot.text.times import Moment
from channels.messages import Choice

_NUMBER = re.compile(r"^(?:no\.?|nr\.?|rhif)?\s*#?\s*(\d{1,9})\b", re.IGNORECASE)
BUTTON_TITLE = 24  # a Telegram button shows a few words of the title after the number


def project(turn: Turn) -> Result:
    """With a number, that project's status and latest news; alone, which projects there are."""
    views = projects_of(turn.session, turn.community)
    if not views:
        return Result([turn.say("project_none")])
    match = _NUMBER.match(turn.command.rest.strip())
    if match is None:
        return Result([_ask(turn, views, "project_ask", number=views[0].number)])
    number = int(match[1])
    view = next((v for v in views if v.number == number), None)
    if view is None:
        return Result([_ask(turn, views, "project_unknown", number=number)])
    return Result([_progress(turn, view)])


def _progress(turn: Turn, view: ProjectView) -> Reply:
    status = render(f"project_status_{view.status.value}", turn.language)
    news = view.latest_news
    if news is None:
        return turn.say("project_no_news", number=view.number, title=view.title, status=status)
    date = Moment(news.created_at, turn.community.timezone, with_time=False)
    return turn.say(
        "project", number=view.number, title=view.title, status=status, date=date, update=news.text
    )


def _ask(turn: Turn, views: list[ProjectView], key: str, **values: object) -> Reply:
    """Name the funded projects, with a button for each where the channel shows buttons."""
    numbers = ", ".join(str(v.number) for v in views)
    buttons = [Choice(_label(v), f"PROJECT {v.number}") for v in views]
    return turn.say(key, *buttons, numbers=numbers, **values)


def _label(view: ProjectView) -> str:
    title = view.title if len(view.title) <= BUTTON_TITLE else view.title[: BUTTON_TITLE - 3] + "..."
    return f"{view.number}: {title}"
