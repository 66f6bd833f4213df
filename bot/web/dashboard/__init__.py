"""The organisers' dashboard: sign in, then run a community from the browser.

Every page calls the same services as the CLI and the API; forms are CSRF-protected and
server-validated, and pages work without JavaScript (only live counters use it). Each page is
a module of this package with its own blueprint, made by `blueprint`; the app factory registers
them, and this package's `bp`, which serves the templates and static files they share."""

from flask import Blueprint, g

from bot.domain.inbox import unanswered_count
from models import Community
from models.states import AllocationStatus, IdeaStatus, RoundStatus

bp = Blueprint(
    "dashboard",
    __name__,
    url_prefix="/dashboard",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# A community's pages in the menu, after its Overview: (endpoint, label).
MENU = (
    ("inbox.inbox", "Inbox"),
    ("ideas.ideas", "Ideas"),
    ("rounds.rounds", "Rounds"),
    ("money.money", "Money"),
    ("projects.projects", "Projects"),
    ("digest.digest", "Digest"),
    ("whatsapp.whatsapp", "WhatsApp"),
)


def blueprint(name: str, import_name: str) -> Blueprint:
    """A page's blueprint, under /dashboard; its templates get the menu and the states."""
    page = Blueprint(name, import_name, url_prefix="/dashboard")
    page.context_processor(_menu)
    page.context_processor(_states)
    return page


def _menu() -> dict[str, object]:
    return {"nav_pages": MENU, "community": None, "waiting": _waiting}


def _waiting(community: Community) -> int:
    """Inbox conversations waiting for a reply, counted in the menu."""
    return unanswered_count(g.db_session, community)


def _states() -> dict[str, object]:
    """The states templates compare rows with, as code does: a typo fails instead of never matching."""
    return {"AllocationStatus": AllocationStatus, "IdeaStatus": IdeaStatus, "RoundStatus": RoundStatus}
