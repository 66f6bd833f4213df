"""Funded projects: their progress, and updates (a note, a new status, or both) from organisers."""

from flask import jsonify

from bot.context import now
from bot.domain import projects
from bot.web.api import blueprint, community_route, field
from bot.web.api.openapi import NUMBER, PATHS, SLUG, _obj, _op, words

bp = blueprint("api_projects", __name__)


@community_route(bp, "/projects")
def list_projects(session, community, body):
    return jsonify(
        projects=[projects.project_json(session, view) for view in projects.projects_of(session, community)]
    )


@community_route(bp, "/projects/<int:number>/updates", methods=("POST",))
def post_project_update(session, community, body, number):
    posted = projects.post_update(
        session,
        community,
        number,
        status=field(body, "status", str),
        note=field(body, "note", str),
        now=now(),
    )
    return jsonify(
        project=projects.project_json(session, posted.view),
        posted=posted.update is not None,
        notified=posted.notified,
    ), 201


# In the OpenAPI document beside the rest.
_STATUS = {
    "enum": ["funded", "in_progress", "in-progress", "delivered", "cancelled"],
    "description": "The new status; left out, the status stays as it is",
}
PATHS["/communities/{slug}/projects"] = {
    "get": _op("Funded projects by number: status, supporters counted, updates oldest first", [SLUG])
}
PATHS["/communities/{slug}/projects/{number}/updates"] = {
    "post": _op(
        "Post a note, a new status, or both on a project (its idea's number); delivered tells each "
        "supporter once; the same update again changes nothing (posted: false)",
        [SLUG, {**NUMBER, "description": "The project's number: its idea's number"}],
        {
            **_obj([], status=_STATUS, note=words(projects.MAX_NOTE)),
            "anyOf": [{"required": ["status"]}, {"required": ["note"]}],
        },
        ok="201",
    )
}
