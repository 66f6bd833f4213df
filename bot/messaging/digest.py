"""Sending the council's weekly digest: written once per community and ISO week, then emailed."""

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.context import Database
from bot.domain.digest import Week, digest_due, figures, last_completed
from bot.errors import InvalidInput
from bot.messaging.mailer import MailNotConfigured, MailSettings, send_email
from bot.text.digest import email, text
from models import Community, CouncilDigest, Digest, rowcount

logger = logging.getLogger(__name__)


def send_week(db: Database, community_id: int, week: Week, now: datetime, mail: MailSettings) -> str:
    """Write and send one week's digest, exactly once; returns "sent", "already_sent",
    "no_recipients" or "failed". A week that has not ended is refused: sent now, it would
    be partial, and the complete one would then never go."""
    if week.end > now:
        raise InvalidInput(
            f"week {week.iso} has not ended yet: its digest can be sent from "
            f"{week.end:%Y-%m-%d} (preview shows it so far)"
        )
    with db.transaction() as session:
        community = session.get_one(Community, community_id)
        if not community.digest_recipients:
            return "no_recipients"
        row = _row(session, community, week)
        if row is None:
            try:
                with session.begin_nested():
                    f = figures(session, community, week, now)
                    row = Digest(
                        community_id=community.id,
                        iso_week=week.iso,
                        figures=f,
                        text=text(f),
                        recipients=list(community.digest_recipients),
                        created_at=now,
                    )
                    session.add(row)
            except IntegrityError:  # written meanwhile by another sender: theirs is there
                row = session.scalars(_of_week(community, week)).one()
        if not claim(session, Digest, row, now):
            return "already_sent"
        row_id, figures_, recipients = row.id, row.figures, row.recipients
    result = send_claimed(db, Digest, row_id, lambda: email(figures_, mail.sender, recipients), mail)
    if result == "sent":
        logger.info(
            "digest %s for community %s sent to %s recipients", week.iso, community_id, len(recipients)
        )
    else:
        logger.warning("digest %s for community %s not sent: %s", week.iso, community_id, result)
    return "sent" if result == "sent" else "failed"


def claim(
    session: Session, table: type[Digest] | type[CouncilDigest], row: Digest | CouncilDigest, now: datetime
) -> bool:
    """Claim a written digest for sending, in the transaction that found it: of two senders at
    once, only one gets past this; False if it went already."""
    if row.sent_at is not None:
        return False
    return bool(
        rowcount(
            session.execute(
                update(table)
                .where(table.id == row.id, table.sent_at.is_(None))
                .values(sent_at=now, error=None)
            )
        )
    )


def send_claimed(
    db: Database,
    table: type[Digest] | type[CouncilDigest],
    row_id: int,
    build: Callable[[], EmailMessage],
    mail: MailSettings,
) -> str:
    """Send a claimed digest; "sent", or why not (logged without the server's words) with the
    claim given back, so the next chance tries again."""
    try:
        send_email(mail, build())
    except Exception as exc:  # SMTP down, refused: try again at the next chance
        with db.transaction() as session:
            session.execute(update(table).where(table.id == row_id).values(sent_at=None, error=in_words(exc)))
        return _reason(exc)
    return "sent"


def due(session: Session, now: datetime) -> list[tuple[int, Week]]:
    """Communities whose last completed week's digest is due and not yet sent."""
    found = []
    for community in session.scalars(select(Community).order_by(Community.id)):
        if not community.digest_recipients:
            continue
        week = last_completed(now, community.timezone)
        if now < digest_due(week, community.digest_weekday, community.digest_time, community.timezone):
            continue  # its slot has not come yet (a digest missed longer ago is not sent late)
        if week.end <= community.created_at:
            continue  # the community did not exist that week
        row = _row(session, community, week)
        if row is None or row.sent_at is None:
            found.append((community.id, week))
    return found


def _row(session: Session, community: Community, week: Week) -> Digest | None:
    return session.scalar(_of_week(community, week))


def _of_week(community: Community, week: Week) -> Select[Digest]:
    return select(Digest).where(Digest.community_id == community.id, Digest.iso_week == week.iso)


def in_words(exc: Exception) -> str:
    """Why a digest did not go, as the organiser who pressed Send reads it: what happened and who
    can put it right, not an exception's name."""
    if isinstance(exc, MailNotConfigured):
        return "no mail server is set up for this service yet: whoever runs it sets COMMONPURSE_SMTP_HOST"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the mail server refused the recipients' addresses: check them above"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "the mail server refused our user name or password: whoever runs this service can fix it"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the mail server refused it (its code {exc.smtp_code})"
    if isinstance(exc, OSError):  # refused, timed out, disconnected (SMTPServerDisconnected too)
        return "the mail server could not be reached"
    return "something went wrong while sending: the service's log says what"


def _reason(exc: Exception) -> str:
    """Why a digest did not go, without the server's words (they may echo addresses)."""
    if isinstance(exc, MailNotConfigured):
        return str(exc)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} (SMTP {exc.smtp_code})"
    return type(exc).__name__
