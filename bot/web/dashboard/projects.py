"""Projects page: each funded project's status and updates, and the form that posts an update
(a note, a new status, or both) through bot.domain.projects exactly as `commonpurse project
update` does."""

from datetime import datetime

from flask import g, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot.context import now
from bot.domain import projects
from bot.domain.quiet_hours import quiet_until
from bot.errors import InvalidInput, NotFound
from bot.web.dashboard import blueprint
from bot.web.dashboard.auth import community_of, signed_in
from bot.web.dashboard.filters import plural
from bot.web.dashboard.forms import Failure, Form, fields, number_in, submit, text_in, whole_number
from models import Community
from models.states import ProjectStatus

bp = blueprint("projects", __name__)

UPDATE = fields("project", "status", "note")


@bp.get("/<slug>/projects", endpoint="projects")
@signed_in
def projects_page(slug: str) -> ResponseReturnValue:
    """Every funded project with its status and updates, and the update form."""
    return _page(community_of(slug))


@bp.post("/<slug>/projects/update")
@signed_in
def projects_update(slug: str) -> ResponseReturnValue:
    """Post an update on a project (as `project update`); delivered tells supporters once."""
    place, form = community_of(slug), request.form
    asked = _ask_first(place, form)
    if asked is not None:
        return asked

    def act() -> str:
        number = number_in(form, "project", required=True)
        posted = projects.post_update(
            g.db_session,
            place,
            number,
            status=form.get("status") or None,
            note=text_in(form, "note"),
            now=now(),
        )
        shown = projects.words(posted.view.status)
        if posted.update is None:
            return f"Project {number} is {shown}; that was recorded already, nothing changed."
        told = f" Told {plural(posted.notified, 'supporter')}." if posted.notified else ""
        return f"Project {number} is {shown}; update posted.{told}"

    # Unnamed: an update with neither a status nor a note, or a control character in the note.
    return submit(
        "update",
        act,
        again=lambda failure: _page(place, failure=failure, kept=form),
        then=url_for("projects.projects", slug=place.slug),
        field="note",
        shown=UPDATE,
        missing="project",
    )


def _ask_first(place: Community, form: Form) -> ResponseReturnValue | None:
    """Marking a project delivered tells its supporters, which cannot be undone: the page asks
    once more, saying how many it tells. None: nothing to ask (or a refusal to come)."""
    if form.get("status") != ProjectStatus.DELIVERED or form.get("confirmed") == "yes":
        return None
    try:
        number = whole_number(form.get("project", ""), "project")
        view = projects.project_by_number(g.db_session, place, number)
    except (InvalidInput, NotFound):
        return None  # the update itself says what is wrong
    if view.status == ProjectStatus.DELIVERED:
        return None
    return render_template(
        "dashboard/projects_confirm.html",
        community=place,
        view=view,
        note=form.get("note", ""),
        told=projects.to_tell_when_delivered(g.db_session, view),
        goes_at=quiet_until(place, now()),
    )


def _page(
    place: Community, *, failure: Failure | None = None, kept: Form | None = None
) -> ResponseReturnValue:
    rows = []
    for view in projects.projects_of(g.db_session, place):
        shown = projects.project_json(g.db_session, view)
        for update in shown["updates"]:
            update["at"] = datetime.fromisoformat(update["created_at"])
        rows.append(shown)
    html = render_template(
        "dashboard/projects.html",
        community=place,
        rows=rows,
        failure=failure,
        kept=kept or {},
        statuses=list(ProjectStatus),
        words=projects.words,
    )
    return html, 422 if failure is not None else 200
