"""The organiser's home (their communities) and each community's overview."""

from flask import g, redirect, render_template, url_for

from bot.context import now
from bot.domain.overview import overview
from bot.web.dashboard import blueprint
from bot.web.dashboard.auth import community_of, signed_in

bp = blueprint("overview", __name__)


@bp.get("/")
@signed_in
def home():
    """The communities this organiser runs (straight to the overview if only one); a council
    officer's own home is the council's."""
    if g.council is not None:
        return redirect(url_for("council.home"))
    if len(g.organiser.communities) == 1:
        return redirect(url_for("overview.community", slug=g.organiser.communities[0].slug))
    return render_template("dashboard/home.html", communities=g.organiser.communities)


@bp.get("/<slug>/")
@signed_in
def community(slug: str):
    """Members, ideas waiting, the round and its turnout, the money, and what comes next."""
    place = community_of(slug)
    return render_template(
        "dashboard/overview.html", community=place, view=overview(g.db_session, place, now())
    )
