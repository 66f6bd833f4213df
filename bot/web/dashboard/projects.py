"""Projects page: each funded project's status and updates, and the form that posts an update
(a note, a new status, or both) through bot.domain.projects exactly as `commonpurse project
update` does."""

from datetime import datetime

from flask import g, render_template, request

from bot.context import now
from bot.domain import projects
from bot.errors import NotFound
from bot.web.dashboard import bp, page
from bot.web.dashboard.auth import community_of, redirect_back, signed_in
from bot.web.dashboard.filters import plural
from bot.web.dashboard.money import Failure, attempt, number_in, text_in
from models import Community
from models.states import ProjectStatus

page(35, "dashboard.projects", "Projects")


@bp.get("/<slug>/projects", endpoint="projects")
@signed_in
def projects_page(slug: str):
    """Every funded project with its status and updates, and the update form."""
    return _page(community_of(slug))


@bp.post("/<slug>/projects/update")
@signed_in
def projects_update(slug: str):
    """Post an update on a project (as `project update`); delivered tells supporters once."""
    place, form = community_of(slug), request.form

    def act():
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

    def field_for(exc):
        if isinstance(exc, NotFound):
            return "project"
        return "note" if "note" in str(exc) else "status"

    message, failure = attempt("update", field_for, act)
    if failure is not None:
        return _page(place, failure=failure, kept=form)
    return redirect_back("dashboard.projects", message, slug=place.slug)


def _page(place: Community, *, failure: Failure | None = None, kept=None):
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
