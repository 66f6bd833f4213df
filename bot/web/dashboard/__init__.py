"""The organisers' dashboard: sign in, then run a community from the browser.

Every page calls the same services as the CLI and the API; forms are CSRF-protected and
server-validated, and pages work without JavaScript (only live counters use it). Each page is
a module of this package that adds its routes to `bp` and, if it belongs in a community's
menu, calls `page(...)`; every module here is loaded."""

import importlib
import pkgutil

from flask import Blueprint, Flask

from models.states import IdeaStatus, RoundStatus

bp = Blueprint(
    "dashboard",
    __name__,
    url_prefix="/dashboard",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# A community's pages in the menu: (position, endpoint, label).
_PAGES: list[tuple[int, str, str]] = []


def page(position: int, endpoint: str, label: str) -> None:
    """Put a community page in the menu, at `position` (Overview is 0)."""
    _PAGES.append((position, endpoint, label))
    _PAGES.sort()


@bp.context_processor
def menu() -> dict:
    return {"nav_pages": [(endpoint, label) for _, endpoint, label in _PAGES], "community": None}


@bp.context_processor
def states() -> dict[str, type]:
    """The states templates compare rows with, as in code: a typo fails instead of never matching."""
    return {"IdeaStatus": IdeaStatus, "RoundStatus": RoundStatus}


def init_app(app: Flask) -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    app.register_blueprint(bp)
