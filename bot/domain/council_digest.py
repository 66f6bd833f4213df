"""The council's week: every community it follows on one line, as the week ended (counts and
money only, never who)."""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.domain.council_figures import council_lines
from bot.domain.digest import Week
from models import Council


def council_figures(session: Session, council: Council, week: Week, now: datetime) -> dict[str, Any]:
    """The lines the council digest shows and its CSV holds."""
    return {
        "council": council.name,
        "slug": council.slug,
        "week": week.iso,
        "from": week.monday.isoformat(),
        "generated_at": now.isoformat(),
        "communities": [line.as_json() for line in council_lines(session, council, now)],
    }
