"""Organiser accounts and API tokens."""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from bot.domain.communities import by_slug
from bot.domain.emails import is_email
from bot.errors import InvalidInput, NotFound
from models import ApiToken, Community, Organiser

TOKEN_PREFIX = "cp_"
MIN_PASSWORD = 12


def create_organiser(
    session: Session, *, email: str, name: str, password: str, community_slugs: list[str], now: datetime
) -> Organiser:
    email = email.strip().lower()
    if not is_email(email, 200):
        raise InvalidInput(f"{email!r} is not an email address (of at most 200 characters)")
    if session.scalar(select(Organiser.id).where(Organiser.email == email)) is not None:
        raise InvalidInput(f"an organiser with email {email} already exists")
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("an organiser needs a name")
    if len(name) > 120:
        raise InvalidInput(f"a name is at most 120 characters (this one has {len(name)})")
    _check_password(password)
    if not community_slugs:
        raise InvalidInput("give at least one community the organiser runs (--community)")
    organiser = Organiser(
        email=email,
        name=name,
        password_hash=generate_password_hash(password),
        created_at=now,
        communities=[by_slug(session, s) for s in community_slugs],
    )
    session.add(organiser)
    session.flush()
    return organiser


def _check_password(password: str) -> None:
    if len(password.strip()) < MIN_PASSWORD:  # twelve spaces are no password
        raise InvalidInput(
            f"the password must be at least {MIN_PASSWORD} characters, not counting spaces at either end"
        )


def set_password(session: Session, organiser: Organiser, password: str) -> None:
    """A new password (scrypt); sessions signed in with the old one end (see sign_ins)."""
    _check_password(password)
    organiser.password_hash = generate_password_hash(password)


def by_email(session: Session, email: str) -> Organiser:
    organiser = session.scalar(select(Organiser).where(Organiser.email == email.strip().lower()))
    if organiser is None:
        raise NotFound(f"no organiser with email {email!r}")
    return organiser


def create_token(session: Session, organiser: Organiser, name: str, now: datetime) -> str:
    """A new API token; the only time it is ever shown is now."""
    name = " ".join(name.split())
    if len(name) > 120:
        raise InvalidInput(f"a token's name is at most 120 characters (this one has {len(name)})")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            organiser_id=organiser.id,
            name=name.strip() or "token",
            token_hash=_digest(token),
            prefix=token[:10],
            created_at=now,
        )
    )
    return token


def revoke_token(session: Session, organiser: Organiser, prefix: str, now: datetime) -> int:
    tokens = session.scalars(
        select(ApiToken).where(
            ApiToken.organiser_id == organiser.id, ApiToken.prefix == prefix, ApiToken.revoked_at.is_(None)
        )
    ).all()
    if not tokens:
        raise NotFound(f"no active token starting {prefix!r} for {organiser.email}")
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


def authenticate(session: Session, token: str, now: datetime) -> Organiser | None:
    """The organiser a bearer token belongs to, if it is valid and not revoked."""
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None:
        return None
    row.last_used_at = now
    return row.organiser


def may_run(organiser: Organiser, community: Community) -> bool:
    return any(c.id == community.id for c in organiser.communities)


def _digest(token: str) -> str:
    # Tokens are long and random, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()
