"""What a person sees when a page is not there or not theirs: the dashboard's style and a way
back, not Flask's bare page. The API answers in JSON; providers' webhooks keep the bare status."""

from urllib.parse import urlsplit

from flask import Flask, Response, g, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from bot.web import api

# The pages people open in a browser; anything else (webhooks, health) keeps the bare status.
PEOPLES_PAGES = ("/dashboard", "/c/")
HEADINGS = {
    403: "You can't open this page",
    404: "Page not found",
    405: "That can't be done from here",
}


# A dashboard form refused for its CSRF token: left open past the token's hour, sent after
# signing out, or sent from another site. Flask-WTF's own answer is a bare 400.
EXPIRED_FORM = (
    "Nothing was changed: this form had expired (a form lasts an hour, and signing out ends it). "
    "Go back, reload the page and send it again."
)


def init_app(app: Flask) -> None:
    for code in HEADINGS:
        app.register_error_handler(code, _answer)
    app.register_error_handler(CSRFError, _expired_form)


def _expired_form(exc: CSRFError) -> tuple[str, int]:
    g.pop("organiser", None)
    page = render_template(
        "dashboard/error.html", heading="This form can't be sent", explanation=EXPIRED_FORM, home=_back()
    )
    return page, 400


def _back() -> tuple[str, str]:
    """The page the form was on, when the browser says and it is ours; else as _home()."""
    came_from = urlsplit(request.referrer or "")
    if came_from.netloc == request.host and came_from.path.startswith(PEOPLES_PAGES):
        return came_from.path, "Back to the form"
    return _home()


def _answer(exc: HTTPException) -> tuple[Response | str, int] | HTTPException:
    if request.path.startswith(api.PREFIX):
        return api.unknown_url(exc)
    if not request.path.startswith(PEOPLES_PAGES):
        return exc
    code = exc.code or 404
    # The organiser's session closed with the request that failed: the page shows no menu.
    g.pop("organiser", None)
    return render_template("dashboard/error.html", heading=HEADINGS[code], home=_home()), code


def _home() -> tuple[str, str]:
    """Where to go instead: a community's public page from one of its pages, else the dashboard."""
    if request.path.startswith("/c/"):
        slug, _, rest = request.path.removeprefix("/c/").partition("/")
        if slug and rest.strip("/"):  # a page under a community's page: back to that page
            return url_for("public.page", slug=slug), "Back to the community's page"
        return url_for("health.index"), "Back to the start"
    return url_for("overview.home"), "Back to the dashboard"
