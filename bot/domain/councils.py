"""Councils: which communities a council follows, its officers, and what an officer may read.

An officer is an organiser account with a council_officer row and no community of its own, so
the organisers' pages and API (which look only at `organiser.communities`) refuse it as they
refuse a stranger, and it signs in with the same form, lockout and revocable sessions. What an
officer may read is decided here alone: `officer_community` for one community, and nothing of
it changes anything. Every change is in the audit trail of each community it concerns."""

import re
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.domain import audit
from bot.domain.emails import is_email
from bot.domain.organisers import set_password
from bot.errors import InvalidInput, NotFound
from models import Community, Council, CouncilOfficer, Organiser

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def slug_of(name: str) -> str:
    """ "North Borough Council" -> "north-borough-council"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")


def create_council(
    session: Session, *, name: str, emails: list[str], now: datetime, weekday: int = 0, at: str = "09:00"
) -> Council:
    """A council; `emails` get its weekly digest (on `weekday` at `at`, London time)."""
    name = " ".join(name.split())
    if not 2 <= len(name) <= 120:
        raise InvalidInput("a council's name must be 2 to 120 characters")
    slug = slug_of(name)
    if len(slug) < 2:
        raise InvalidInput(f"{name!r} needs at least two letters or digits to name its pages")
    if session.scalar(select(Council.id).where((Council.name == name) | (Council.slug == slug))) is not None:
        raise InvalidInput(f"a council named {name!r} already exists")
    council = Council(name=name, slug=slug, created_at=now)
    session.add(council)
    set_council_digest(council, recipients=emails, weekday=weekday, at=at)
    session.flush()
    return council


def set_council_digest(
    council: Council,
    *,
    recipients: list[str] | None = None,
    weekday: int | None = None,
    at: str | None = None,
) -> None:
    """Who gets the council digest and when; only what is given changes."""
    if recipients is not None:
        cleaned = [a.strip().lower() for a in recipients]  # a blank one is refused, not dropped
        for address in cleaned:
            if not is_email(address, 200):
                raise InvalidInput(f"{address!r} is not an email address")
        council.digest_recipients = cleaned
    if weekday is not None:
        if not 0 <= weekday <= 6:
            raise InvalidInput("the digest's weekday is 0 (Monday) to 6 (Sunday)")
        council.digest_weekday = weekday
    if at is not None:
        if not _TIME.match(at):
            raise InvalidInput(f"{at!r} is not a time like 09:00")
        council.digest_time = at


def councils(session: Session) -> list[Council]:
    return list(session.scalars(select(Council).order_by(Council.slug)))


def council_by_slug(session: Session, slug: str) -> Council:
    council = session.scalar(select(Council).where(Council.slug == slug.strip().lower()))
    if council is None:
        raise NotFound(f"no council {slug!r}")
    return council


def add_community(session: Session, council: Council, community: Community, now: datetime) -> bool:
    """The council follows `community` from now on; False if it already did."""
    if any(c.id == community.id for c in council.communities):
        return False
    council.communities.append(community)
    audit.note(
        session, [community], f"council {council.slug}", "community added: its officers read its pages", now
    )
    return True


def remove_community(session: Session, council: Council, community: Community, now: datetime) -> None:
    if not any(c.id == community.id for c in council.communities):
        raise NotFound(f"council {council.slug} does not follow {community.slug}")
    council.communities.remove(community)
    audit.note(session, [community], f"council {council.slug}", "community removed", now)


def create_officer(
    session: Session, council: Council, *, email: str, name: str, password: str, now: datetime
) -> Organiser:
    """An officer of `council`: an organiser account that runs no community and reads the
    council's communities only."""
    officer = _organiser_without_communities(session, email=email, name=name, password=password, now=now)
    session.add(CouncilOfficer(organiser_id=officer.id, council_id=council.id, created_at=now))
    audit.note(
        session, council.communities, f"council {council.slug}", f"officer {officer.email} created", now
    )
    session.flush()
    return officer


def _organiser_without_communities(
    session: Session, *, email: str, name: str, password: str, now: datetime
) -> Organiser:
    email = email.strip().lower()
    if not is_email(email, 200):
        raise InvalidInput(f"{email!r} is not an email address (of at most 200 characters)")
    if session.scalar(select(Organiser.id).where(Organiser.email == email)) is not None:
        raise InvalidInput(f"an account with email {email} already exists")
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise InvalidInput("an officer needs a name of at most 120 characters")
    officer = Organiser(email=email, name=name, password_hash="", created_at=now, communities=[])
    set_password(session, officer, password)  # checked and hashed as an organiser's
    session.add(officer)
    session.flush()
    return officer


def officers(session: Session, council: Council) -> list[Organiser]:
    return list(
        session.scalars(
            select(Organiser)
            .join(CouncilOfficer, CouncilOfficer.organiser_id == Organiser.id)
            .where(CouncilOfficer.council_id == council.id)
            .order_by(Organiser.email)
        )
    )


def remove_officer(session: Session, council: Council, email: str, now: datetime) -> None:
    """The officer's account goes, and with it every session and token it had."""
    officer = next((o for o in officers(session, council) if o.email == email.strip().lower()), None)
    if officer is None:
        raise NotFound(f"no officer {email!r} of council {council.slug}")
    audit.note(
        session, council.communities, f"council {council.slug}", f"officer {officer.email} removed", now
    )
    session.execute(delete(CouncilOfficer).where(CouncilOfficer.organiser_id == officer.id))
    session.delete(officer)
    session.flush()


def council_of(session: Session, organiser: Organiser) -> Council | None:
    """The council `organiser` is an officer of; None for an organiser of communities."""
    row = session.get(CouncilOfficer, organiser.id)
    return row.council if row is not None else None


def officer_community(council: Council, slug: str) -> Community:
    """One of the council's communities, for its officer to read; NotFound for any other,
    as for none at all."""
    community = next((c for c in council.communities if c.slug == slug), None)
    if community is None:
        raise NotFound(f"no community {slug!r} in council {council.slug}")
    return community
