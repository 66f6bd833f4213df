"""Signing in (a password, then a second factor's code if the organiser has one) and out, and
the guard every dashboard page sits behind."""

import time
from collections.abc import Callable
from datetime import timedelta
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
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from bot.context import get_db, now
from bot.domain import audit, two_factor
from bot.domain.councils import council_of
from bot.domain.organiser_sessions import end_session, organiser_of, start_session
from bot.domain.sign_ins import CodesRefused, SignInRefused, second_factor, session_stamp, sign_in, throttle
from bot.errors import InvalidInput
from bot.web.dashboard import blueprint
from models import Community, Organiser

bp = blueprint("auth", __name__)

PENDING = "awaiting_code"  # in the cookie between the password and the code
CODE_WAIT = timedelta(minutes=5)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; a failure says so and keeps the email typed. An organiser with
    two-factor sign-in goes on to give a code; while sign-in from here is refused, the form
    asks for the code too (the right password with a good code still signs in)."""
    email = request.form.get("email", "").strip()
    error, ask_code, pending = None, False, False
    if request.method == "POST":
        address = request.remote_addr or "-"
        code = request.form.get("code", "").strip()
        with get_db().transaction() as db_session:
            _slow_down(throttle(db_session, email, address, now()).failures)
            try:
                organiser = sign_in(
                    db_session, email, request.form.get("password", ""), address, now(), code=code
                )
            except SignInRefused as exc:
                error, ask_code = str(exc), not isinstance(exc, CodesRefused)
            except InvalidInput as exc:
                error, ask_code = str(exc), bool(code)
            else:
                pending = two_factor.enabled(organiser) and not code
                if pending:
                    _await_code(organiser, request.args.get("next"))
                else:
                    _start(db_session, organiser)
        if pending:
            return redirect(url_for("auth.login_code"))
        if error is None:
            return redirect(_safe_next(request.args.get("next")) or url_for("overview.home"))
    status = 200 if error is None else 401
    return render_template("dashboard/login.html", email=email, error=error, ask_code=ask_code), status


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step for an organiser with two-factor sign-in: the code from their app, or
    a recovery code. Only after it is right does the session begin."""
    error, target = None, None
    with get_db().transaction() as db_session:
        organiser = _awaiting_code(db_session)
        if organiser is None:
            session.pop(PENDING, None)
            flash("Sign in again: the password step was more than 5 minutes ago, or not done.")
            return redirect(url_for("auth.login"))
        if request.method == "POST":
            address = request.remote_addr or "-"
            _slow_down(throttle(db_session, organiser.email, address, now()).failures)
            try:
                second_factor(db_session, organiser, request.form.get("code", ""), address, now())
            except InvalidInput as exc:
                error = str(exc)
            else:
                target = _safe_next(session.get(PENDING, {}).get("next")) or url_for("overview.home")
                _start(db_session, organiser)
        if target is not None:
            return redirect(target)
    status = 200 if error is None else 401
    return render_template("dashboard/login_code.html", error=error), status


def _start(db_session: Session, organiser: Organiser) -> None:
    """The session begins: a new cookie, nothing of what was in it before."""
    session.clear()
    session.permanent = True
    lasts = current_app.permanent_session_lifetime
    session["sid"] = start_session(db_session, organiser, now(), lasts)
    session["stamp"] = session_stamp(organiser)


def _await_code(organiser: Organiser, target: str | None) -> None:
    """The password was right: remember who, for 5 minutes, in the signed cookie (no session yet)."""
    session.clear()
    until = (now() + CODE_WAIT).timestamp()
    session[PENDING] = {"id": organiser.id, "stamp": session_stamp(organiser), "until": until, "next": target}


def _awaiting_code(db_session: Session) -> Organiser | None:
    """The organiser whose password was right within 5 minutes, if they have a second factor."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("id"), int):
        return None
    if float(pending.get("until") or 0) < now().timestamp():
        return None
    organiser = db_session.get(Organiser, pending["id"])
    if organiser is None or pending.get("stamp") != session_stamp(organiser):
        return None
    return organiser if two_factor.enabled(organiser) else None


@bp.post("/logout")
def logout():
    """Ends the session on the server too, so a copy of the cookie opens nothing afterwards."""
    with get_db().transaction() as db_session:
        end_session(db_session, session.get("sid"), now())
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


def signed_in(view: Callable) -> Callable:
    """The page needs a signed-in organiser (in g.organiser); changes made are theirs. An
    organiser whom a community requires to have a second factor, and who has none yet, is
    sent to set one up, and can open no other page until they have (`before_two_factor`)."""

    @wraps(view)
    def wrapper(**kwargs):
        with get_db().transaction() as db_session:
            organiser = organiser_of(db_session, session.get("sid"), now())
            if organiser is None or session.get("stamp") != session_stamp(organiser):
                session.pop("sid", None)  # not a sign-in waiting for its code (PENDING)
                session.pop("stamp", None)
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if two_factor.must_enrol(organiser) and not getattr(view, "before_two_factor", False):
                flash("A community you run requires two-factor sign-in: set it up to go on.")
                return redirect(url_for("two_factor.two_factor"))
            g.organiser = organiser
            g.db_session = db_session
            # A council officer reads and never changes anything: every form it could send is
            # refused here, whichever page it was meant for, but those about its own account.
            g.council = council_of(db_session, organiser)
            changes = request.method not in ("GET", "HEAD") and not getattr(view, "own_account", False)
            if g.council is not None and changes:
                abort(403)
            with audit.acting_as(organiser.email):
                response = view(**kwargs)
                db_session.flush()
        return response

    return wrapper


def own_account(view: Callable) -> Callable:
    """Under @signed_in: a page about the signed-in person's own account (their second factor),
    whose forms a council officer may send as well: they change nothing of a community's."""
    view.own_account = True  # type: ignore[attr-defined]
    return view


def before_two_factor(view: Callable) -> Callable:
    """Under @signed_in: a page an organiser who must set up a second factor may open."""
    view.before_two_factor = True  # type: ignore[attr-defined]
    return view


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
