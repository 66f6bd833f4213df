"""Councils through the API: create one, let it follow a community you run, give it officers,
and (for its officers) read its communities one line each.

Who may do what, so that nobody reads more through a council than they could before: any
organiser may create a council (it grants nothing); only an organiser of a community may add
that community to a council; only an organiser who runs every community a council follows may
create its officers. An officer's token reads its own council and changes nothing (403)."""

from flask import jsonify
from sqlalchemy.orm import Session

from bot.context import now
from bot.domain import audit
from bot.domain.council_figures import council_lines
from bot.domain.councils import (
    add_community,
    council_by_slug,
    council_of,
    councils,
    create_council,
    create_officer,
    officers,
)
from bot.errors import NotFound
from bot.web.api import ApiError, _body, authenticated, blueprint, field
from bot.web.api.openapi import PATHS, SLUG, STR, _obj, _op
from models import Council, Organiser

bp = blueprint("api_council", __name__)


def _json(session: Session, council: Council, organiser: Organiser) -> dict:
    shown = {
        "slug": council.slug,
        "name": council.name,
        "communities": [c.slug for c in council.communities],
        "digest_recipients": council.digest_recipients,
        "digest_weekday": council.digest_weekday,
        "digest_time": council.digest_time,
        "officers": [o.email for o in officers(session, council)],
    }
    if council_of(session, organiser) is council:  # its officers read the lines
        shown["lines"] = [line.as_json() for line in council_lines(session, council, now())]
    return shown


def _visible(session: Session, organiser: Organiser, slug: str) -> Council:
    """A council the organiser is an officer of, or that follows a community they run; 404 for
    any other, as for none."""
    try:
        council = council_by_slug(session, slug)
    except NotFound:
        raise ApiError(404, "not_found", f"no council {slug!r}") from None
    runs = {c.id for c in organiser.communities}
    if council_of(session, organiser) is not council and not runs & {c.id for c in council.communities}:
        raise ApiError(404, "not_found", f"no council {slug!r}")
    return council


def _organiser_only(session: Session, organiser: Organiser) -> None:
    if council_of(session, organiser) is not None:
        raise ApiError(403, "forbidden", "a council officer's token reads; it changes nothing")


@bp.get("/councils")
@authenticated
def list_councils(session, organiser):
    return jsonify(
        councils=[
            _json(session, c, organiser)
            for c in councils(session)
            if council_of(session, organiser) is c
            or {m.id for m in c.communities} & {m.id for m in organiser.communities}
        ]
    )


@bp.post("/councils")
@authenticated
def create(session, organiser):
    _organiser_only(session, organiser)
    body = _body()
    emails = field(body, "emails", list, default=[])
    if not all(isinstance(e, str) for e in emails):
        raise ApiError(422, "invalid", "emails must be a list of strings")
    with audit.acting_as(organiser.email):
        council = create_council(
            session,
            name=field(body, "name", str, required=True),
            emails=emails,
            weekday=field(body, "digest_weekday", int, default=0, most=6),
            at=field(body, "digest_time", str, default="09:00"),
            now=now(),
        )
    return jsonify(_json(session, council, organiser)), 201


@bp.get("/councils/<slug>")
@authenticated
def show(session, organiser, slug: str):
    return jsonify(_json(session, _visible(session, organiser, slug), organiser))


@bp.post("/councils/<slug>/communities")
@authenticated
def follow(session, organiser, slug: str):
    _organiser_only(session, organiser)
    wanted = field(_body(), "community", str, required=True)
    community = next((c for c in organiser.communities if c.slug == wanted), None)
    if community is None:
        raise ApiError(404, "not_found", f"no community with slug {wanted!r}")
    try:
        council = council_by_slug(session, slug)
    except NotFound:
        raise ApiError(404, "not_found", f"no council {slug!r}") from None
    with audit.acting_as(organiser.email):
        added = add_community(session, council, community, now())
    return jsonify(_json(session, council, organiser)), 201 if added else 200


@bp.post("/councils/<slug>/officers")
@authenticated
def add_officer(session, organiser, slug: str):
    _organiser_only(session, organiser)
    council = _visible(session, organiser, slug)
    runs = {c.id for c in organiser.communities}
    if not all(c.id in runs for c in council.communities):
        raise ApiError(
            403, "forbidden", "only an organiser of every community the council follows can give it officers"
        )
    body = _body()
    with audit.acting_as(organiser.email):
        officer = create_officer(
            session,
            council,
            email=field(body, "email", str, required=True),
            name=field(body, "name", str, required=True),
            password=field(body, "password", str, required=True),
            now=now(),
        )
    return jsonify(email=officer.email, name=officer.name, council=council.slug), 201


_COUNCIL = "/councils/{slug}"
_SLUG = {**SLUG, "description": "The council's slug (made from its name)"}
PATHS["/councils"] = {
    "get": _op("Councils you are an officer of, or that follow a community you run"),
    "post": _op(
        "Create a council (any organiser; it grants nothing until a community is added)",
        body=_obj(
            ["name"],
            name={**STR, "minLength": 2, "maxLength": 120},
            emails={"type": "array", "items": {**STR, "format": "email"}, "description": "digest recipients"},
            digest_weekday={"type": "integer", "minimum": 0, "maximum": 6, "description": "0 = Monday"},
            digest_time={**STR, "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
        ),
        ok="201",
    ),
}
PATHS[_COUNCIL] = {
    "get": _op("A council: its communities and officers; for its officers, a line per community", [_SLUG])
}
PATHS[_COUNCIL + "/communities"] = {
    "post": _op(
        "Let the council follow a community you run (its officers read its figures); 200 if it did",
        [_SLUG],
        _obj(["community"], community={**STR, "description": "the slug of a community you run"}),
        ok="201",
    )
}
PATHS[_COUNCIL + "/officers"] = {
    "post": _op(
        "Create an officer (only an organiser of every community the council follows)",
        [_SLUG],
        _obj(
            ["email", "name", "password"],
            email={**STR, "format": "email", "maxLength": 200},
            name={**STR, "minLength": 1, "maxLength": 120},
            password={**STR, "minLength": 12},
        ),
        ok="201",
    )
}
for _path in (_COUNCIL + "/communities", _COUNCIL + "/officers", "/councils"):
    PATHS[_path]["post"]["responses"]["403"] = {"$ref": "#/components/responses/Error"}
