"""Emailing a council service the link to answer a referral at: once per link, even if two
organisers press at once; a send that failed is kept with why, to be sent again."""

import logging
from datetime import datetime

from sqlalchemy import update

from bot.context import Database
from bot.domain import referral_links
from bot.domain.referrals import support, view_of
from bot.messaging.digest import in_words
from bot.messaging.mailer import MailSettings, send_email
from bot.messaging.referral_email import referral_email
from models import Community, Referral, rowcount

logger = logging.getLogger(__name__)

PATH = "/referrals/"


def link_for(secret: str, base_url: str, referral: Referral) -> str:
    token = referral_links.sign(secret, referral.id, referral.link_version, referral.link_expires_at)
    return base_url.rstrip("/") + PATH + token


def send_referral(
    db: Database, referral_id: int, now: datetime, mail: MailSettings, secret: str, base_url: str | None
) -> str:
    """Email the service its link; returns "sent", "already_sent" or "failed" (kept, with why)."""
    with db.transaction() as session:
        referral = session.get_one(Referral, referral_id)
        if referral.emailed_at is not None:
            return "already_sent"
        claimed = rowcount(
            session.execute(
                update(Referral)
                .where(
                    Referral.id == referral.id,
                    Referral.emailed_at.is_(None),
                    Referral.link_version == referral.link_version,
                )
                .values(emailed_at=now, email_error=None)
            )
        )
        if not claimed:
            return "already_sent"
        community = session.get_one(Community, referral.community_id)
        view = view_of(session, referral)
        message = None
        if base_url:
            message = referral_email(
                view,
                support(session, view.idea),
                community.name,
                community.timezone,
                link_for(secret, base_url, referral),
                mail.sender,
            )
        version = referral.link_version
    try:
        if message is None:
            raise _NoAddress()
        send_email(mail, message)
    except Exception as exc:  # SMTP down, refused, no address: kept, to send again
        why = "this service has no public address for the link: set COMMONPURSE_PUBLIC_URL"
        reason = why if isinstance(exc, _NoAddress) else in_words(exc)
        logger.warning("referral %s not emailed: %s", referral_id, type(exc).__name__)
        with db.transaction() as session:
            session.execute(
                update(Referral)
                .where(Referral.id == referral_id, Referral.link_version == version)
                .values(emailed_at=None, email_error=reason)
            )
        return "failed"
    logger.info("referral %s emailed to its service", referral_id)
    return "sent"


class _NoAddress(Exception):
    """No public address to build the link with."""
