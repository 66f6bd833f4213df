"""Residents and the identities they write from."""

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session, joinedload

from bot.domain.consent import consent_wording, record
from bot.domain.outbox import cancel_queued
from channels.messages import Address
from channels.registry import CHANNELS, default_channel, spec
from models import (
    Community,
    ConsentEvent,
    Conversation,
    Identity,
    InboundLog,
    OutboxMessage,
    Resident,
    utcnow,
)
from models.states import ConsentChange, IdentityKind, OutboxStatus, ResidentStatus, Unreachable


def identity_kind(channel: str) -> str:
    """Which kind of identity a channel's user id is: the console stands in for a phone."""
    return spec(channel).identity_kind


def find_identity(session: Session, community: Community, address: Address) -> Identity | None:
    return session.scalar(_IDENTITY, _identity_of(community, address))


def find_writer(session: Session, community: Community, address: Address) -> Identity | None:
    """The identity writing from `address`, with its resident, in one query; None if new."""
    return session.scalar(_WRITER, _identity_of(community, address))


# Built once: every inbound message looks its writer up.
_IDENTITY = select(Identity).where(
    Identity.community_id == bindparam("community_id"),
    Identity.kind == bindparam("kind"),
    Identity.value == bindparam("value"),
)
_WRITER = _IDENTITY.options(joinedload(Identity.resident))


def _identity_of(community: Community, address: Address) -> dict[str, Any]:
    return {"community_id": community.id, "kind": identity_kind(address.channel), "value": address.user_id}


def resident_for(
    session: Session,
    community: Community,
    address: Address,
    now: datetime,
    known: Identity | None = None,
    looked_up: bool = False,
) -> Resident:
    """The resident writing from `address` (through `known`, their identity, when it was
    already looked up: `looked_up` says a None there means nobody writes from it yet),
    created as pending on first contact."""
    identity = known if known is not None or looked_up else find_identity(session, community, address)
    if identity is not None:
        identity.last_channel, identity.last_seen_at = address.channel, now
        if identity.unreachable != Unreachable.INVALID:
            # They just wrote to us (a START at the carrier, an unblocked bot): reachable again.
            identity.unreachable = None
        return identity.resident
    resident = add_newcomer(session, community.id, address, now)
    session.flush()
    return resident


def add_newcomer(session: Session, community_id: int, address: Address, now: datetime) -> Resident:
    """A pending resident writing from `address` for the first time, with their identity: added
    to the session, written with its next flush."""
    resident = Resident(community_id=community_id, status=ResidentStatus.PENDING, created_at=now)
    resident.identities.append(
        Identity(
            community_id=community_id,
            kind=identity_kind(address.channel),
            value=address.user_id,
            last_channel=address.channel,
            last_seen_at=now,
            created_at=now,
        )
    )
    session.add(resident)
    return resident


def mark_unreachable(
    session: Session, community_id: int, address: Address, reason: str, now: datetime | None = None
) -> None:
    """A provider told us this address is dead ("opted_out", "blocked", "invalid"). An opt-out
    at the carrier goes on the resident's consent record, once until they are reachable again."""
    if reason == Unreachable.OPTED_OUT:
        newly = session.scalars(
            select(Resident)
            .join(Identity, Identity.resident_id == Resident.id)
            .where(
                Identity.community_id == community_id,
                Identity.kind == identity_kind(address.channel),
                Identity.value == address.user_id,
                or_(Identity.unreachable.is_(None), Identity.unreachable != Unreachable.OPTED_OUT),
            )
        ).all()
        for resident in newly:
            record(session, resident, ConsentChange.CARRIER_STOPPED, address.channel, now or utcnow())
    session.execute(
        update(Identity)
        .where(
            Identity.community_id == community_id,
            Identity.kind == identity_kind(address.channel),
            Identity.value == address.user_id,
        )
        .values(unreachable=reason)
    )
    # Nothing more goes to a dead address (a STOP at the carrier, a blocked bot).
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.community_id == community_id,
            OutboxMessage.channel == address.channel,
            OutboxMessage.address == address.user_id,
            OutboxMessage.status == OutboxStatus.QUEUED,
        )
        .values(status=OutboxStatus.CANCELLED, error_code=f"unreachable:{reason}")
        .execution_options(synchronize_session=False)
    )


def reach(resident: Resident, now: datetime, templated: bool = False) -> Address | None:
    """Where to send a message we start: the channel the resident chose (CHANNEL), else the
    one they last wrote on, with the reachable identity of its kind they used last; if that
    channel's window has closed (WhatsApp, 24 hours after their last message there), the
    identity's default channel (SMS), unless the message can go as a template (`templated`).
    A channel that carries no text (they last called the phone line) gives way to SMS too."""
    found = route(resident, now, templated)
    return found[0] if found is not None else None


def route(resident: Resident, now: datetime, templated: bool = False) -> tuple[Address, bool] | None:
    """reach(), and whether the message must go there as a template (outside the window)."""
    reachable = [i for i in resident.identities if i.unreachable is None]
    chosen = resident.channel if resident.channel in CHANNELS else None
    preferred = [i for i in reachable if chosen and i.kind == spec(chosen).identity_kind]
    latest = max(preferred or reachable, key=_recency, default=None)
    if latest is None:
        return None
    channel = chosen if preferred and chosen else latest.last_channel or default_channel(latest.kind)
    if not spec(channel).sends_text:  # they last called the phone line: we write by SMS
        return Address(default_channel(latest.kind), latest.value), False
    if within_window(channel, latest, now):
        return Address(channel, latest.value), False
    if templated and spec(channel).templates:
        return Address(channel, latest.value), True
    return Address(default_channel(latest.kind), latest.value), False


def _recency(identity: Identity) -> tuple[bool, datetime]:
    return identity.last_seen_at is not None, identity.last_seen_at or identity.created_at


def within_window(channel: str, identity: Identity, now: datetime) -> bool:
    """May a message we start go on `channel` as plain text to `identity`? Yes where the
    channel has no window; else only if they last wrote on it, within its window."""
    window = spec(channel).session_window
    if window is None:
        return True
    seen = identity.last_seen_at
    return identity.last_channel == channel and seen is not None and seen > now - window


def choose_channel(resident: Resident, channel: str | None) -> None:
    """The channel what we start goes on (CHANNEL SMS); None: the one they last wrote on."""
    resident.channel = channel


def conversation_for(session: Session, resident: Resident, now: datetime) -> Conversation:
    conversation = session.get(Conversation, resident.id)
    return conversation if conversation is not None else new_conversation(session, resident, now)


def new_conversation(session: Session, resident: Resident, now: datetime) -> Conversation:
    """A conversation in no step, for a resident who has none (a newcomer)."""
    conversation = Conversation(
        resident_id=resident.id, resident=resident, step=None, data={}, updated_at=now
    )  # `resident`: written after them when both are new
    session.add(conversation)
    return conversation


def set_language(resident: Resident, language: str | None) -> None:
    """The language this resident reads; the community's default when None."""
    resident.language = language


def language_of(resident: Resident, community: Community) -> str:
    """The language a resident reads: their choice, else the community's."""
    if resident.language and resident.language in (community.languages or ()):
        return resident.language
    return community.default_language


def consent(session: Session, resident: Resident, now: datetime, channel: str, language: str) -> None:
    """They agreed to join, on `channel`, to the words that asked them in `language`: on record."""
    resident.consent_at = now
    record(session, resident, ConsentChange.CONSENTED, channel, now, consent_wording(channel, language))


def start_verifying(resident: Resident) -> None:
    """Consented; the community's check (postcode, phone) comes before membership."""
    resident.status = ResidentStatus.VERIFYING


def admit(resident: Resident, postcode_district: str | None = None) -> None:
    """Make the resident a member (with the district their postcode was checked in)."""
    resident.status = ResidentStatus.ACTIVE
    if postcode_district is not None:
        resident.postcode_district = postcode_district


def opt_out(session: Session, resident: Resident, now: datetime, channel: str) -> None:
    """No more messages: what is still queued for them is withdrawn too. On record."""
    resident.opted_out = True
    resident.opted_out_at = now
    record(session, resident, ConsentChange.STOPPED, channel, now)
    session.flush()
    cancel_queued(session, resident.id, now, "opted_out")


def opt_in(session: Session, resident: Resident, now: datetime, channel: str) -> None:
    """Messages again after a STOP (on record); nothing changes for one who never stopped."""
    if resident.opted_out:
        record(session, resident, ConsentChange.STARTED, channel, now)
    resident.opted_out = False
    resident.opted_out_at = None


def has_phone(resident: Resident) -> bool:
    return any(identity.kind == IdentityKind.PHONE for identity in resident.identities)


def link_phone(session: Session, resident: Resident, phone: str, now: datetime) -> Resident:
    """Give `resident` their phone number. If another resident of the community already writes
    from it (by SMS), they are one person: this resident's identities move to that one, which
    is returned, and this one is deleted."""
    existing = session.scalar(
        select(Identity).where(
            Identity.community_id == resident.community_id,
            Identity.kind == IdentityKind.PHONE,
            Identity.value == phone,
        )
    )
    if existing is None:
        resident.identities.append(
            Identity(community_id=resident.community_id, kind=IdentityKind.PHONE, value=phone, created_at=now)
        )
        return resident
    person = existing.resident
    if person.id == resident.id:
        return resident
    # What this resident agreed to (on Telegram, before sharing the phone) is the person's now.
    session.execute(
        update(ConsentEvent).where(ConsentEvent.resident_id == resident.id).values(resident_id=person.id)
    )
    for identity in list(resident.identities):
        identity.resident = person
    session.execute(
        update(InboundLog).where(InboundLog.resident_id == resident.id).values(resident_id=person.id)
    )
    session.execute(
        update(OutboxMessage).where(OutboxMessage.resident_id == resident.id).values(resident_id=person.id)
    )
    conversation = session.get(Conversation, resident.id)
    if conversation is not None:
        session.delete(conversation)
    session.flush()
    session.delete(resident)
    return person
