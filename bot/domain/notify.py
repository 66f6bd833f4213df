"""Messages we start (news of an idea, a round opening): to members who can hear them."""
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.outbox import enqueue
from bot.domain.residents import language_of, reach
from bot.text.catalogue import render
from channels.messages import Address, Choice
from channels.registry import spec
from models import Community, OutboxMessage, Resident


def can_hear(resident: Resident | None) -> bool:
    """A member who consented and has not stopped messages."""
    return resident is not None and resident.status == "active" and not resident.opted_out


def notify(session: Session, community: Community, resident: Resident | None, text_or_key: str,
           now: datetime, *, key: str | None = None, choices: Iterable[Choice] = (),
           rendered: bool = False, **values) -> OutboxMessage | None:
    """Queue one message to a resident, or nothing if they cannot hear it or already got it
    (`key` makes the message idempotent: the same key is never queued twice)."""
    if not can_hear(resident):
        return None
    address = reach(resident)
    if address is None:
        return None
    if key is not None and session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)) is not None:
        return None
    language = language_of(resident, community)
    values.setdefault("community", community.name)
    text = text_or_key if rendered else render(text_or_key, language, **values)
    return enqueue(session, address=address, text=text, now=now, community_id=community.id,
                   resident_id=resident.id, choices=tuple(choices), idempotency_key=key,
                   sender=sender_for(community, address))


def sender_for(community: Community, address: Address) -> str | None:
    """Our side of the conversation: the community's number, where the channel sends from one."""
    return community.sms_number if spec(address.channel).sends_from_number else None


def members(session: Session, community: Community) -> list[Resident]:
    """Every member who can hear a broadcast."""
    return list(session.scalars(select(Resident).where(*_can_hear(community)).order_by(Resident.id)))


def member_count(session: Session, community: Community) -> int:
    return session.scalar(select(func.count()).select_from(Resident).where(*_can_hear(community)))


def _can_hear(community: Community) -> tuple:
    return (Resident.community_id == community.id, Resident.status == "active",
            Resident.opted_out.is_(False))
