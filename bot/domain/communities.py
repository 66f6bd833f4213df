"""Communities: created by organisers, found by the number or slug residents write to."""

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from bot.domain.emails import is_email
from bot.domain.postcode import normalise_area
from bot.errors import InvalidInput, NotFound
from bot.text.catalogue import shipped_languages
from channels.phone import normalise_phone
from models import VERIFICATION_RULES, Allocation, Community, Round, Spending
from models.states import Verification

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
# /dashboard/council/ is the councils' pages, not a community's overview.
RESERVED_SLUGS = frozenset({"council"})
_JOIN_CODE = re.compile(r"^[A-Z0-9]{4,20}$")


def create_community(
    session: Session,
    *,
    name: str,
    slug: str,
    budget_total_pence: int,
    join_code: str,
    now: datetime,
    sms_number: str | None = None,
    verification: str = Verification.NONE,
    postcode_areas: Sequence[str] = (),
    timezone: str = "Europe/London",
    languages: Sequence[str] = ("en",),
) -> Community:
    """Validate and create a community; every refusal names the field at fault."""
    name = " ".join(name.split())
    if not 2 <= len(name) <= 120:
        raise InvalidInput("name must be 2 to 120 characters")
    if not _SLUG.match(slug):
        raise InvalidInput("slug must be 2-40 lowercase letters, digits or hyphens")
    if slug in RESERVED_SLUGS:
        raise InvalidInput(f"slug {slug!r} is taken by the dashboard's own pages: choose another")
    join_code = join_code.strip().upper()
    if not _JOIN_CODE.match(join_code):
        raise InvalidInput("join code must be 4-20 letters or digits")
    if budget_total_pence < 0:
        raise InvalidInput("budget must not be negative")
    if verification not in VERIFICATION_RULES:
        raise InvalidInput(f"verification must be one of: {', '.join(VERIFICATION_RULES)}")
    areas = []
    for area in postcode_areas:
        normal = normalise_area(area)
        if normal is None:
            raise InvalidInput(f"postcode area {area!r} is not like E1 or E1 6")
        areas.append(normal)
    if verification == Verification.POSTCODE and not areas:
        raise InvalidInput("postcode verification needs at least one postcode area")
    if areas and verification != Verification.POSTCODE:  # they would check nobody: say so, not store them
        raise InvalidInput("postcode areas are checked only with postcode verification")
    number = None
    if sms_number:
        number = normalise_phone(sms_number)
        if number is None:
            raise InvalidInput(f"SMS number {sms_number!r} is not a phone number")
    languages = _check_languages(languages)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown timezone {timezone!r}") from None
    clash = session.scalar(
        select(Community).where(
            or_(
                Community.slug == slug,
                Community.join_code == join_code,
                Community.sms_number == number if number else false(),
                # another's WhatsApp sender: a message to it would find two communities
                Community.whatsapp_number == number if number else false(),
            )
        )
    )
    if clash is not None:
        field = (
            "slug"
            if clash.slug == slug
            else "join code"
            if clash.join_code == join_code
            else "SMS number"
            if clash.sms_number == number
            else "WhatsApp sender"
        )
        raise InvalidInput(f"{field} already used by community {clash.slug}")
    community = Community(
        name=name,
        slug=slug,
        join_code=join_code,
        sms_number=number,
        budget_total_pence=budget_total_pence,
        verification=verification,
        postcode_areas=areas,
        timezone=timezone,
        languages=list(languages),
        created_at=now,
    )
    session.add(community)
    session.flush()
    return community


def by_slug(session: Session, slug: str) -> Community:
    community = session.scalar(select(Community).where(Community.slug == slug))
    if community is None:
        raise NotFound(f"no community with slug {slug!r}")
    return community


def all_communities(session: Session) -> list[Community]:
    return list(session.scalars(select(Community).order_by(Community.slug)))


def set_digest(
    session: Session,
    community: Community,
    *,
    recipients: list[str] | None = None,
    weekday: int | None = None,
    at: str | None = None,
) -> Community:
    """Who gets the weekly digest and when; only what is given changes."""
    if recipients is not None:
        cleaned = [a.strip().lower() for a in recipients]
        for address in cleaned:
            if not is_email(address):
                raise InvalidInput(f"{address!r} is not an email address")
        community.digest_recipients = cleaned
    if weekday is not None:
        community.digest_weekday = weekday
    if at is not None:
        if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", at):
            raise InvalidInput(f"{at!r} is not a time like 09:00")
        community.digest_time = at
    return community


def lock_community(session: Session, community: Community | int) -> None:
    """Hold the community until this transaction ends, for a read-then-write that must not
    race (what is left of the budget, the next idea number).

    PostgreSQL locks the community's row (NO KEY, so rows that merely refer to the community are
    not held up); SQLite ignores FOR UPDATE, but its write transactions begin IMMEDIATE
    (models.engine), which already lets one writer in at a time."""
    community_id = community if isinstance(community, int) else community.id
    session.execute(select(Community.id).where(Community.id == community_id).with_for_update(key_share=True))


def set_languages(community: Community, languages: list[str]) -> None:
    """The languages a community offers residents; the first is its default."""
    community.languages = _check_languages(languages)


def _check_languages(languages: Iterable[str]) -> list[str]:
    codes = [code.strip().lower() for code in languages]
    shipped = shipped_languages()
    unknown = [code for code in codes if code not in shipped]
    if unknown:
        raise InvalidInput(f"no translation for {', '.join(unknown)}: choose from {', '.join(shipped)}")
    if not codes or len(set(codes)) != len(codes):
        raise InvalidInput("give each language once, the default first, e.g. en cy")
    return codes


def set_public_page(community: Community, on: bool) -> None:
    """Show or hide the community's public page (/c/<slug>)."""
    community.public_page = on


MAX_NUMBER = 2**31 - 1  # numbers are 32-bit columns: beyond this no row can match
# The rows organisers know by a number counted per community.
_Numbered = TypeVar("_Numbered", Round, Allocation, Spending)


def by_number(
    session: Session, model: type[_Numbered], community: Community, number: int, name: str
) -> _Numbered:
    """The community's `model` row numbered `number` (1, 2, 3... in each community);
    NotFound, naming it `name`, if there is none."""
    found = None
    if number <= MAX_NUMBER:
        found = session.scalar(
            select(model).where(model.community_id == community.id, model.number == number)
        )
    if found is None:
        raise NotFound(f"no {name} {number} in {community.slug}")
    return found
