"""`commonpurse project list|update`: funded projects followed to the end."""

from typing import Any

import click
from flask.cli import AppGroup

from bot.cli.commands import summary
from bot.cli.output import check_sms, echo, emit, plural
from bot.cli.params import ID
from bot.context import get_db, now
from bot.domain import audit, projects
from bot.domain.communities import by_slug
from bot.domain.notify import can_hear, residents_split, with_whatsapp
from bot.text.organiser_text import plain, refuse_controls, sms_cost
from models.states import ProjectStatus

project_group = AppGroup("project", help=summary("project"))

COLUMNS = [
    ("#", "number"),
    ("STATUS", "shown_status"),
    ("SUPPORTERS", "supporters"),
    ("LATEST", "latest"),
    ("PROJECT", "title"),
]


@project_group.command("list")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
def list_(slug: str, as_json: bool) -> None:
    """List the funded projects, with their status and latest update."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        rows = [projects.project_json(session, view) for view in projects.projects_of(session, community)]
    if not as_json:
        rows = [dict(row, shown_status=projects.words(row["status"]), latest=_latest(row)) for row in rows]
    emit(rows, COLUMNS, as_json)


@project_group.command("update", short_help="Post a note or a new status for a project.")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.argument("number", type=ID)
@click.option("--status", help="funded, in-progress, delivered or cancelled (default: as it is).")
@click.option("--note", help='What residents read with PROJECT, e.g. "Builders start Monday".')
@click.option(
    "--as",
    "organiser",
    envvar="COMMONPURSE_ORGANISER",
    metavar="EMAIL",
    help="Your email, recorded on the update (default: $COMMONPURSE_ORGANISER).",
)
@click.option(
    "--yes", is_flag=True, help="Tell supporters without asking, even if it costs more than two SMS segments."
)
def update(
    slug: str, number: int, status: str | None, note: str | None, organiser: str | None, yes: bool
) -> None:
    """Post an update on project NUMBER (its idea's number): a note, a new status, or both.

    Delivered tells each supporter (who voted for it) once; the message they get and its SMS
    cost are shown first, and asked about if more than two segments each or shortened."""
    if status is not None and status.strip():
        projects.parse_status(status)  # a bad status is refused before anything else
    if note and status and projects.parse_status(status) == ProjectStatus.DELIVERED:
        _check_delivered_cost(slug, number, plain(refuse_controls(note, "the note")), yes)
    with audit.acting_as(organiser or audit.current_actor()), get_db().transaction() as session:
        posted = projects.post_update(
            session, by_slug(session, slug), number, status=status, note=note, now=now()
        )
        shown = projects.words(posted.view.status)
    if posted.update is None:
        echo(f"Project {number} is {shown}; that was recorded already, nothing changed.")
        return
    told = f" Told {plural(posted.notified, 'supporter')}." if posted.notified else ""
    echo(f"Project {number} is {shown}; update posted.{told}")


@project_group.command("recipient", short_help="Record who delivers a project (open grant data).")
@click.option("--community", "slug", required=True, help="Community slug.")
@click.argument("number", type=ID)
@click.option("--name", required=True, help="The organisation's name, e.g. 'Riverside Youth Trust'.")
@click.option("--org-id", help="Its org-id, e.g. GB-CHC-1164883; none for an unregistered group.")
def recipient(slug: str, number: int, name: str, org_id: str | None) -> None:
    """Record who delivers project NUMBER: the recipient its 360Giving grant names. A group with
    no registered number gets an id made from the community's prefix and its name."""
    with get_db().transaction() as session:
        project = projects.set_recipient(
            session, by_slug(session, slug), number, name=name, org_id=org_id, now=now()
        )
        shown = f"{project.recipient_org_name} ({project.recipient_org_id or 'no registered id'})"
    echo(f"Project {number} is delivered by {shown}.")


def _check_delivered_cost(slug: str, number: int, note: str, yes: bool) -> None:
    """Show what supporters get when the project becomes delivered (outside any transaction:
    a database must not wait on a person)."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        view = projects.project_by_number(session, community, number)
        if view.status == ProjectStatus.DELIVERED:
            return  # nobody is told again
        supporters = projects.supporters(session, view.idea)
        told = sum(1 for resident in supporters if can_hear(resident))
        cost = sms_cost(
            "project_delivered",
            told,
            community.default_language,
            own="update",
            number=view.number,
            title=view.title,
            update=note,
            community=community.name,
        )
        cost = with_whatsapp(cost, residents_split(session, community, supporters, now(), "project_news"))
    check_sms(cost, "supporter", yes)


def _latest(row: dict[str, Any]) -> str | None:
    news = next((u for u in reversed(row["updates"]) if u["text"]), None)
    return f"{news['created_at'][:10]} {news['text']}" if news else None
