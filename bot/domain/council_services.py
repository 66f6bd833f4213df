"""The council's services a community refers ideas to (highways, bins): a name and an email."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.emails import is_email
from bot.errors import InvalidInput, NotFound
from bot.text.organiser_text import plain, refuse_controls
from models import Community, CouncilService

MAX_NAME = 80


def services_of(session: Session, community: Community) -> list[CouncilService]:
    """The community's services that can be referred to, by name."""
    listed = session.scalars(
        select(CouncilService).where(
            CouncilService.community_id == community.id, CouncilService.active.is_(True)
        )
    )
    return sorted(listed, key=lambda s: s.name.casefold())


def add_service(session: Session, community: Community, name: str, email: str) -> CouncilService:
    """Add a service (or change the address of one already listed, or list a removed one again)."""
    name = plain(refuse_controls(name, "the name"))
    email = email.strip().lower()
    if not name:
        raise InvalidInput("give the service a name, like Highways", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"a service's name is at most {MAX_NAME} characters", field="name")
    if not is_email(email):
        raise InvalidInput(f"{email!r} is not an email address", field="email")
    service = _named(session, community, name)
    if service is None:
        service = CouncilService(community_id=community.id, name=name, email=email, active=True)
        session.add(service)
    else:
        service.name, service.email, service.active = name, email, True
    session.flush()
    return service


def service_by_name(session: Session, community: Community, name: str) -> CouncilService:
    """A listed service, its name in any case; NotFound naming those there are."""
    service = _named(session, community, name.strip())
    if service is None or not service.active:
        listed = ", ".join(s.name for s in services_of(session, community)) or "none yet"
        raise NotFound(f"no service {name.strip()!r} in {community.slug} (services: {listed})")
    return service


def remove_service(session: Session, community: Community, name: str) -> CouncilService:
    """Take a service off the list; referrals already made to it keep its name and link."""
    service = service_by_name(session, community, name)
    service.active = False
    return service


def _named(session: Session, community: Community, name: str) -> CouncilService | None:
    wanted = name.casefold()
    return next(
        (
            s
            for s in session.scalars(
                select(CouncilService).where(CouncilService.community_id == community.id)
            )
            if s.name.casefold() == wanted
        ),
        None,
    )
