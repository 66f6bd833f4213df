"""Organisers' dashboard sessions, held server-side so that they can be ended.

The session cookie carries a random token; only its SHA-256 is stored. A session is good
while its row is neither ended nor expired: signing out ends it everywhere the cookie was
copied, a new password ends all of the organiser's, and `commonpurse organiser sessions
--revoke` ends them by command.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from models import Organiser, OrganiserSession


def start_session(session: Session, organiser: Organiser, now: datetime, lasts: timedelta) -> str:
    """A new session for `organiser`; returns the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        OrganiserSession(
            organiser_id=organiser.id, token_hash=_digest(token), created_at=now, expires_at=now + lasts
        )
    )
    return token


def organiser_of(session: Session, token: str | None, now: datetime) -> Organiser | None:
    """The organiser whose live session `token` is; None if it is unknown, ended or expired."""
    if not isinstance(token, str) or not token:
        return None
    row = session.scalar(select(OrganiserSession).where(OrganiserSession.token_hash == _digest(token)))
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    return session.get(Organiser, row.organiser_id)


def end_session(session: Session, token: str | None, now: datetime) -> None:
    """End the session `token` is (signing out); nothing if there is none."""
    if isinstance(token, str) and token:
        session.execute(
            update(OrganiserSession)
            .where(OrganiserSession.token_hash == _digest(token), OrganiserSession.ended_at.is_(None))
            .values(ended_at=now)
        )


def end_sessions(session: Session, organiser: Organiser, now: datetime, keep: str | None = None) -> int:
    """End every live session of `organiser` but the one `keep` is; how many there were."""
    live = _live(organiser, now)
    if keep:
        live = (*live, OrganiserSession.token_hash != _digest(keep))
    count = session.scalar(select(func.count()).select_from(OrganiserSession).where(*live)) or 0
    session.execute(update(OrganiserSession).where(*live).values(ended_at=now))
    return count


def live_sessions(session: Session, organiser: Organiser, now: datetime) -> list[OrganiserSession]:
    """The organiser's sessions still good now, oldest first."""
    return list(
        session.scalars(select(OrganiserSession).where(*_live(organiser, now)).order_by(OrganiserSession.id))
    )


def _live(organiser: Organiser, now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        OrganiserSession.organiser_id == organiser.id,
        OrganiserSession.ended_at.is_(None),
        OrganiserSession.expires_at > now,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
