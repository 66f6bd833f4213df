"""A council's pages: its communities, one line each, and each one's overview, rounds and money,
read-only. An officer sees counts and money, never a resident: no phone number, Telegram id or
message text reaches these pages, and the organisers' pages that hold them (inbox, ideas,
ballots) refuse an officer as they refuse a stranger (it runs no community). Every form an
officer could send is refused in `signed_in`."""

from flask import abort, g, render_template

from bot.context import now
from bot.domain.council_figures import council_lines
from bot.domain.councils import officer_community
from bot.domain.notify import member_count
from bot.domain.overview import overview
from bot.domain.rounds import get_round, rounds_of
from bot.domain.serialise import budget_json, round_json
from bot.errors import NotFound
from bot.web.dashboard import blueprint
from bot.web.dashboard.auth import signed_in
from bot.web.referrals import public_rows
from models import Community, Council

bp = blueprint("council", __name__)

# A community's pages for its council, after its Overview: (endpoint, label).
PAGES = (("council.rounds", "Rounds"), ("council.money", "Money"), ("council.referrals", "Referrals"))


def _council() -> Council:
    """The signed-in officer's council; a 404 for an organiser, as for a page that is not there."""
    if g.council is None:
        abort(404)
    council: Council = g.council
    return council


def _community(slug: str) -> Community:
    try:
        return officer_community(_council(), slug)
    except NotFound:
        abort(404)


def _page(template: str, community: Community | None = None, **values: object) -> str:
    return render_template(
        f"dashboard/council/{template}", council=_council(), place=community, pages=PAGES, **values
    )


@bp.get("/council/")
@signed_in
def home():
    """Every community of the council on one line: members, ideas, turnout, money."""
    return _page("home.html", lines=council_lines(g.db_session, _council(), now()))


@bp.get("/council/<slug>/")
@signed_in
def community(slug: str):
    """A community's overview, as its organisers see it, without anything to act on."""
    place = _community(slug)
    return _page("overview.html", place, view=overview(g.db_session, place, now()))


@bp.get("/council/<slug>/referrals")
@signed_in
def referrals(slug: str):
    """Ideas the community passed to the council's services, and what each service answered:
    what its public page shows, nobody named."""
    place = _community(slug)
    return _page("referrals.html", place, referrals=public_rows(g.db_session, place, now()))


@bp.get("/council/<slug>/rounds")
@signed_in
def rounds(slug: str):
    """Every round of the community, newest first, with its ballots."""
    place = _community(slug)
    return _page(
        "rounds.html",
        place,
        rounds=rounds_of(g.db_session, place),
        members=member_count(g.db_session, place),
    )


@bp.get("/council/<slug>/rounds/<int:number>")
@signed_in
def round_(slug: str, number: int):
    """A round's options, its turnout and, once closed, its outcome (counts only)."""
    place = _community(slug)
    try:
        found = get_round(g.db_session, place, number)
    except NotFound:
        abort(404)
    data = round_json(g.db_session, found, place)
    return _page(
        "round.html", place, round_=found, data=data, winners=set((data["outcome"] or {}).get("winners", []))
    )


@bp.get("/council/<slug>/money")
@signed_in
def money(slug: str):
    """The budget, what is committed to which project and what has been spent."""
    place = _community(slug)
    return _page("money.html", place, view=budget_json(g.db_session, place))
