"""The organisers' JSON API under /api/v1, authenticated with bearer tokens.

Every refusal is a 4xx with {"error": {"code", "message"}}; nothing an API caller sends
produces a 500. Each module of this package is a part of the API with its own blueprint, made
by `blueprint`; the app factory registers them.
"""

import logging
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from bot.context import get_db, now
from bot.domain import audit, two_factor
from bot.domain.organisers import authenticate
from bot.errors import InvalidInput, NotFound
from models import Community

logger = logging.getLogger(__name__)
PREFIX = "/api/v1"
MAX_INT = 10**12  # far beyond any sum of pence or count we hold, well inside a BIGINT
# Numbers of ideas, rounds, allocations... run to here (as the CLI's): one beyond any row is
# answered "no idea N" by the services, which look no further than the columns hold.
MAX_NUMBER = 2**63 - 1
MAX_TEXT = 5000


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error(status: int, code: str, message: str):
    return jsonify(error={"code": code, "message": message}), status


def blueprint(name: str, import_name: str) -> Blueprint:
    """A part of the API, under /api/v1, answering every refusal in JSON."""
    part = Blueprint(name, import_name, url_prefix=PREFIX)
    part.register_error_handler(ApiError, _api_error)
    part.register_error_handler(InvalidInput, _invalid)
    part.register_error_handler(NotFound, _not_found)
    part.register_error_handler(HTTPException, _http)
    part.register_error_handler(DataError, _refused_by_database)
    return part


def _api_error(exc: ApiError):
    return error(exc.status, exc.code, exc.message)


def _invalid(exc: InvalidInput):
    return error(422, "invalid", str(exc))


def _not_found(exc: NotFound):
    return error(404, "not_found", str(exc))


def _http(exc: HTTPException):
    body, status = error(exc.code or 500, exc.name.lower().replace(" ", "_"), exc.description or exc.name)
    # The exception's own headers go too: a 405's Allow (RFC 9110), not its HTML Content-Type.
    body.headers.extend((k, v) for k, v in exc.get_headers() if k.lower() != "content-type")
    return body, status


def _refused_by_database(exc: DataError):
    # A value our checks let through but the database cannot hold: the caller's input, so a
    # 422 that says what the database said; logged, because a check is missing.
    logger.warning("the database refused a value: %s", _primary(exc), exc_info=exc)
    return error(422, "invalid", f"the database refused a value: {_primary(exc)}")


def _primary(exc: DataError) -> str:
    """The database's own one-line message, without the statement."""
    return (str(exc.orig).splitlines() or [type(exc.orig).__name__])[0]


def community_route(bp: Blueprint, rule: str, methods=("GET",), endpoint: str | None = None) -> Callable:
    """A route of `bp` under /communities/<slug> that needs a token for an organiser of that
    community.

    The view gets (session, community, body) and runs in one transaction."""

    def decorate(view):
        @wraps(view)
        def wrapper(slug: str, **kwargs):
            for name, value in kwargs.items():  # ids no row can have: say so before any query
                if isinstance(value, int) and not 0 < value <= MAX_NUMBER:
                    raise ApiError(404, "not_found", f"no {name.replace('_', ' ')} {value}")
            with get_db().transaction() as session:
                organiser = _organiser(session)
                community = _community(organiser, slug)
                g.organiser_id = organiser.id
                with audit.acting_as(organiser.email):  # what the view changes is theirs
                    result = view(session, community, _body(), **kwargs)
                    session.flush()
            return result

        bp.add_url_rule(
            f"/communities/<slug>{rule}", endpoint or view.__name__, wrapper, methods=list(methods)
        )
        return wrapper

    return decorate


def authenticated(view):
    @wraps(view)
    def wrapper(**kwargs):
        with get_db().transaction() as session:
            return view(session, _organiser(session), **kwargs)

    return wrapper


def _organiser(session):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send an API token: Authorization: Bearer <token>")
    organiser = authenticate(session, token.strip(), now())
    if organiser is None:
        raise ApiError(401, "unauthorized", "that API token is not valid")
    if two_factor.must_enrol(organiser):  # as the dashboard is closed to them until they do
        raise ApiError(
            403,
            "two_factor_required",
            "a community you run requires two-factor sign-in: set it up in the dashboard "
            "(Two-factor sign-in) before using an API token",
        )
    return organiser


def _community(organiser, slug: str) -> Community:
    """The community `slug` among those the organiser runs.

    Someone else's community gets the same 404 as one that does not exist, so a token cannot
    discover which slugs are taken; and the slug from the URL (NUL and all) never reaches a query."""
    community = next((c for c in organiser.communities if c.slug == slug), None)
    if community is None:
        raise ApiError(404, "not_found", f"no community with slug {slug!r}")
    return community


def _body() -> dict:
    if request.method == "GET":
        return {}
    if not request.data:  # reading more than MAX_CONTENT_LENGTH raises a 413 (see _http)
        return {}
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # [[[[...]]]] thousands deep: json gives up on the nesting
        raise ApiError(400, "bad_request", "the request body is nested too deeply") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "the request body must be a JSON object")
    return body


def field(
    body: dict, name: str, kind: type | tuple, required: bool = False, default=None, most: int = MAX_INT
):
    """A field of the request body, of the given type(s), an integer at most `most` in size;
    422 naming the field otherwise."""
    if name not in body or body[name] is None:
        if required:
            raise InvalidInput(f"{name} is required")
        return default
    value = body[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        names = " or ".join(
            {int: "an integer", str: "a string", list: "a list", bool: "true or false"}[k] for k in kinds
        )
        raise InvalidInput(f"{name} must be {names}")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > most:
        raise InvalidInput(f"{name} is out of range")
    if isinstance(value, str):
        _check_text(name, value)
    return value


def number(body: dict, name: str) -> int | None:
    """An optional field naming a row by its number or id: 1 to MAX_NUMBER (0 is no row, and is
    not taken to mean "none")."""
    value = field(body, name, int, most=MAX_NUMBER)
    if value is not None and value < 1:
        raise InvalidInput(f"{name} must be a number from 1")
    return value


def _check_text(name: str, value: str) -> None:
    """Refuse text no database column can hold: too long, NUL, or not valid Unicode."""
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"{name} is longer than {MAX_TEXT} characters")
    if "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise InvalidInput(f"{name} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # JSON allows "\ud800", a lone surrogate that no text can store
        raise InvalidInput(f"{name} must be valid Unicode text (it has a lone surrogate)") from None


def unknown_url(exc: HTTPException) -> tuple[Response, int] | HTTPException:
    """The app's 404 and 405: in JSON for a URL under the API's prefix, which no part matched."""
    if request.path.startswith(PREFIX):
        return _http(exc)
    return exc
