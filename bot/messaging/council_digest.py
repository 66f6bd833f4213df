"""Sending the weekly council digest with the community digest's machinery: written once per
council and ISO week (a UNIQUE row), claimed, sent, recorded; a failure gives the claim back."""

import logging
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.context import Database
from bot.domain.council_digest import council_figures
from bot.domain.digest import Week, digest_due, last_completed
from bot.errors import InvalidInput
from bot.messaging.digest import claim, send_claimed
from bot.messaging.mailer import MailSettings
from bot.text.council_digest import email, text
from models import Council, CouncilDigest

logger = logging.getLogger(__name__)


def send_council_week(db: Database, council_id: int, week: Week, now: datetime, mail: MailSettings) -> str:
    """Write and send one week's council digest, exactly once: "sent", "already_sent",
    "no_recipients" or "failed". A week that has not ended is refused."""
    if week.end > now:
        raise InvalidInput(
            f"week {week.iso} has not ended yet: its council digest can go from {week.end:%Y-%m-%d}"
        )
    with db.transaction() as session:
        council = session.get_one(Council, council_id)
        if not council.digest_recipients:
            return "no_recipients"
        row = _row(session, council, week)
        if row is None:
            try:
                with session.begin_nested():
                    f = council_figures(session, council, week, now)
                    row = CouncilDigest(
                        council_id=council.id,
                        iso_week=week.iso,
                        figures=f,
                        text=text(f),
                        recipients=list(council.digest_recipients),
                        created_at=now,
                    )
                    session.add(row)
            except IntegrityError:  # written meanwhile by another sender: theirs is there
                row = session.scalars(_of_week(council, week)).one()
        if not claim(session, CouncilDigest, row, now):
            return "already_sent"
        row_id, figures_, recipients = row.id, row.figures, row.recipients
    result = send_claimed(db, CouncilDigest, row_id, lambda: email(figures_, mail.sender, recipients), mail)
    if result != "sent":
        logger.warning("council digest %s for council %s not sent: %s", week.iso, council_id, result)
        return "failed"
    logger.info(
        "council digest %s for council %s sent to %s recipients", week.iso, council_id, len(recipients)
    )
    return "sent"


def due_councils(session: Session, now: datetime) -> list[tuple[int, Week]]:
    """Councils whose last completed week's digest is due and not yet sent."""
    found = []
    for council in session.scalars(select(Council).order_by(Council.id)):
        if not council.digest_recipients:
            continue
        week = last_completed(now, council.timezone)
        if now < digest_due(week, council.digest_weekday, council.digest_time, council.timezone):
            continue
        if week.end <= council.created_at:
            continue  # the council did not exist that week
        row = _row(session, council, week)
        if row is None or row.sent_at is None:
            found.append((council.id, week))
    return found


def _row(session: Session, council: Council, week: Week) -> CouncilDigest | None:
    return session.scalar(_of_week(council, week))


def _of_week(council: Council, week: Week) -> Select[CouncilDigest]:
    return select(CouncilDigest).where(
        CouncilDigest.council_id == council.id, CouncilDigest.iso_week == week.iso
    )
