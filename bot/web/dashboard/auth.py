"""Signing in and out, and the guard every dashboard page sits behind."""

import time
from collections.abc import Callable
from functools import wraps

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from bot.context import get_db, now
from bot.domain import audit
from bot.domain.councils import council_of
from bot.domain.organiser_sessions import end_session, organiser_of, start_session
from bot.domain.sign_ins import session_stamp, sign_in, throttle
from bot.errors import InvalidInput
from bot.web.dashboard import blueprint
from models import Community

bp = blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; a failure says so and keeps the email typed."""
    email = request.form.get("email", "").strip()
    error = None
    if request.method == "POST":
        address = request.remote_addr or "-"
        with get_db().transaction() as db_session:
            _slow_down(throttle(db_session, email, address, now()).failures)
            try:
                organiser = sign_in(db_session, email, request.form.get("password", ""), address, now())
            except InvalidInput as exc:
                error = str(exc)
            else:
                session.clear()
                session.permanent = True
                lasts = current_app.permanent_session_lifetime
                session["sid"] = start_session(db_session, organiser, now(), lasts)
                session["stamp"] = session_stamp(organiser)
        if error is None:
            return redirect(_safe_next(request.args.get("next")) or url_for("overview.home"))
    status = 200 if error is None else 401
    return render_template("dashboard/login.html", email=email, error=error), status


@bp.post("/logout")
def logout():
    """Ends the session on the server too, so a copy of the cookie opens nothing afterwards."""
    with get_db().transaction() as db_session:
        end_session(db_session, session.get("sid"), now())
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


def signed_in(view: Callable) -> Callable:
    """The page needs a signed-in organiser (in g.organiser); changes made are theirs."""

    @wraps(view)
    def wrapper(**kwargs):
        with get_db().transaction() as db_session:
            organiser = organiser_of(db_session, session.get("sid"), now())
            if organiser is None or session.get("stamp") != session_stamp(organiser):
                session.clear()
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            g.organiser = organiser
            g.db_session = db_session
            # A council officer reads and never changes anything: every form it could send is
            # refused here, whichever page it was meant for.
            g.council = council_of(db_session, organiser)
            if g.council is not None and request.method not in ("GET", "HEAD"):
                abort(403)
            with audit.acting_as(organiser.email):
                response = view(**kwargs)
                db_session.flush()
        return response

    return wrapper


def community_of(slug: str) -> Community:
    """One of the signed-in organiser's communities; 404 for any other, as for none at all."""
    community = next((c for c in g.organiser.communities if c.slug == slug), None)
    if community is None:
        abort(404)
    return community


def _slow_down(failures: int) -> None:
    delay = float(current_app.config["SIGN_IN_SLOWDOWN"]) * min(failures, 4)
    if delay > 0:
        time.sleep(delay)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never send someone elsewhere after signing in."""
    if target and target.startswith("/dashboard") and not target.startswith("//"):
        return target
    return None


def redirect_back(endpoint: str, message: str | None = None, **values) -> Response:
    if message:
        flash(message)
    return redirect(url_for(endpoint, **values))
