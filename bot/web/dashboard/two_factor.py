"""Two-factor sign-in page: set up an authenticator app (a QR code, and the secret to type),
confirmed with a code from it before it counts; then ten recovery codes, shown once. Turning
it off needs a current code. The page is open to an organiser who must set it up first."""

import segno
from flask import g, make_response, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from bot.context import now
from bot.domain import two_factor
from bot.domain.organiser_sessions import end_sessions
from bot.domain.sign_ins import second_factor
from bot.errors import InvalidInput
from bot.web.dashboard import blueprint
from bot.web.dashboard.auth import before_two_factor, own_account, signed_in
from bot.web.dashboard.forms import Failure, attempt, text_in

bp = blueprint("two_factor", __name__)


@bp.get("/two-factor", endpoint="two_factor")
@signed_in
@own_account
@before_two_factor
def two_factor_page() -> ResponseReturnValue:
    """On: since when, recovery codes left, and turning it off. Off: setting it up."""
    return _page()


@bp.post("/two-factor/confirm")
@signed_in
@own_account
@before_two_factor
def confirm() -> ResponseReturnValue:
    """A code from the app turns it on; the recovery codes are shown this once."""
    codes = attempt(
        "confirm",
        lambda: two_factor.confirm(g.db_session, g.organiser, text_in(request.form, "code"), now()),
        field="code",
    )
    if isinstance(codes, Failure):
        return _page(codes), 400
    # A session opened elsewhere with the password alone (perhaps a stolen one) ends here: from
    # now on the account needs the code, and this one just gave it.
    end_sessions(g.db_session, g.organiser, now(), keep=session.get("sid"))
    response = make_response(render_template("dashboard/two_factor_codes.html", codes=codes))
    response.headers["Cache-Control"] = "no-store"  # never kept by the browser or a proxy
    return response


@bp.post("/two-factor/disable")
@signed_in
@own_account
def disable() -> ResponseReturnValue:
    """A current code (or a recovery code) turns it off. The code is checked as at sign-in, a
    wrong one counted as a failed sign-in, so a session left open is no way to guess codes."""
    try:
        code = text_in(request.form, "code")
        second_factor(g.db_session, g.organiser, code, request.remote_addr or "-", now())
    except InvalidInput as exc:
        return _page(Failure("disable", "code", str(exc))), 400
    done = attempt("disable", lambda: two_factor.disable(g.db_session, g.organiser, now()), field="code")
    if isinstance(done, Failure):
        return _page(done), 400
    return redirect(url_for("two_factor.two_factor", off=1))


def _page(failure: Failure | None = None) -> str:
    organiser = g.organiser
    if two_factor.enabled(organiser):
        left = two_factor.recovery_codes_left(g.db_session, organiser)
        return render_template(
            "dashboard/two_factor.html", on=True, left=left, failure=failure, required=_required()
        )
    secret = two_factor.pending_secret(organiser)
    uri = two_factor.provisioning_uri(organiser, secret)
    # A data: URI image, which the Content-Security-Policy's img-src already allows.
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")
    return render_template(
        "dashboard/two_factor.html",
        on=False,
        qr=qr,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        failure=failure,
        required=_required(),
        just_off=request.args.get("off") == "1",
    )


def _required() -> list[str]:
    """The names of the organiser's communities that require it."""
    return [c.name for c in g.organiser.communities if c.require_two_factor]
