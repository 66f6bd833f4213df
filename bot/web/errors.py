"""What a person sees when a page is not there or not theirs: the dashboard's style and a way
back, not Flask's bare page. The API answers in JSON; providers' webhooks keep the bare status."""

from flask import Flask, Response, g, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from bot.web import api

# The pages people open in a browser; anything else (webhooks, health) keeps the bare status.
PEOPLES_PAGES = ("/dashboard", "/c/")
HEADINGS = {
    403: "You can't open this page",
    404: "Page not found",
    405: "That can't be done from here",
}


def init_app(app: Flask) -> None:
    for code in HEADINGS:
        app.register_error_handler(code, _answer)


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
