"""The organisers' dashboard: sign in, then run a community from the browser.

Every page calls the same services as the CLI and the API; forms are CSRF-protected and
server-validated, and pages work without JavaScript (only live counters use it)."""
from flask import Blueprint, Flask

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates",
               static_folder="static", static_url_path="/static")


# The pages of a community, in the order of the menu; a page adds itself when it exists.
PAGES: list[tuple[str, str]] = []


@bp.context_processor
def menu() -> dict:
    return {"nav_pages": PAGES, "community": None}


def init_app(app: Flask) -> None:
    from bot.web.dashboard import auth, filters, overview  # noqa: F401  (they add to bp)
    app.register_blueprint(bp)
