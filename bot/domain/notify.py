"""Messages we start (news of an idea, a round opening): to members who can hear them."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeGuard

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    String,
    case,
    cast,
    false,
    func,
    literal,
    null,
    select,
)
from sqlalchemy.orm import Session

from bot.domain.outbox import enqueue, insert_skipping_existing
from bot.domain.residents import language_of, reach
from bot.text.catalogue import render
from channels.messages import Address, Choice, choices_to_json
from channels.registry import CHANNELS, spec
from channels.segments import count_segments
from models import Community, Identity, OutboxMessage, Resident
from models.states import OutboxStatus, ResidentStatus

# What a broadcast sends in one language: a text, or a text and its choices.
Composed = str | tuple[str, Iterable[Choice]]
# Members sent different versions of one message (a ballot in their own order of the options):
# each member's version as SQL, and how many versions there are (0, 1, ... n - 1).
Versions = tuple[ColumnElement[int], int]


def can_hear(resident: Resident | None) -> TypeGuard[Resident]:
    """A member who consented and has not stopped messages."""
    return resident is not None and resident.status == ResidentStatus.ACTIVE and not resident.opted_out


def notify(
    session: Session,
    community: Community,
    resident: Resident | None,
    text_or_key: str,
    now: datetime,
    *,
    key: str | None = None,
    choices: Iterable[Choice] = (),
    rendered: bool = False,
    **values: object,
) -> OutboxMessage | None:
    """Queue one message to a resident, or nothing if they cannot hear it or already got it
    (`key` makes the message idempotent: the same key is never queued twice)."""
    if not can_hear(resident):
        return None
    address = reach(resident, now)
    if address is None:
        return None
    if (
        key is not None
        and session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)) is not None
    ):
        return None
    language = language_of(resident, community)
    values.setdefault("community", community.name)
    text = text_or_key if rendered else render(text_or_key, language, **values)
    return enqueue(
        session,
        address=address,
        text=text,
        now=now,
        community_id=community.id,
        resident_id=resident.id,
        choices=tuple(choices),
        idempotency_key=key,
        sender=sender_for(community, address),
    )


def sender_for(community: Community, address: Address) -> str | None:
    """Our side of the conversation: the community's number, where the channel sends from one."""
    return community.sms_number if spec(address.channel).sends_from_number else None


def members(session: Session, community: Community) -> list[Resident]:
    """Every member who can hear a broadcast."""
    return list(session.scalars(select(Resident).where(*_can_hear(community)).order_by(Resident.id)))


def member_count(session: Session, community: Community) -> int:
    return session.execute(
        select(func.count()).select_from(Resident).where(*_can_hear(community))
    ).scalar_one()


def _can_hear(community: Community) -> tuple[ColumnElement[bool], ...]:
    return (
        Resident.community_id == community.id,
        Resident.status == ResidentStatus.ACTIVE,
        Resident.opted_out.is_(False),
    )


def broadcast(
    session: Session,
    community: Community,
    # A key, or a function of the language (and, with `versions`, of the version too).
    text_or_key: str | Callable[..., Composed],
    now: datetime,
    *,
    key: str,
    unless: ColumnElement[bool] | None = None,
    versions: Versions | None = None,
    **values: object,
) -> int:
    """Queue one message to every member who can hear it, in a few statements; returns how
    many were queued. Each row's idempotency key is `key:resident-id` (what notify() is given
    for the same news), so a repeat queues nothing twice. The text is a catalogue key rendered
    with `values`, or a function of the language giving the text (and choices); it is made once
    per language. `unless` is a condition on Resident for members to leave out. With `versions`,
    the function is also given the version, and each version is made once per language and sent
    to the members whose version it is."""
    session.flush()  # the caller's changes (a STOP, an opt-in) count
    values.setdefault("community", community.name)
    # As language_of(): their choice while the community still offers it, else its default.
    offered = list(community.languages or [community.default_language])
    language = case(
        (Resident.language.in_(offered), Resident.language), else_=literal(community.default_language, String)
    )
    hearing = [*_can_hear(community)] + ([] if unless is None else [~unless])
    languages = session.scalars(select(language).where(*hearing).distinct()).all()
    queued = 0
    for lang in sorted(languages):
        for version in range(versions[1]) if versions else (None,):
            composed: Composed
            if not callable(text_or_key):
                composed = render(text_or_key, lang, **values)
            else:
                composed = text_or_key(lang) if version is None else text_or_key(lang, version)
            text, choices = composed if isinstance(composed, tuple) else (composed, ())
            which = [] if versions is None else [versions[0] == version]
            queued += insert_skipping_existing(
                session, _rows(community, text, tuple(choices), now, key, language == lang, *hearing, *which)
            )
    return queued


def _rows(
    community: Community,
    text: str,
    choices: tuple[Choice, ...],
    now: datetime,
    key: str,
    *where: ColumnElement[bool],
) -> Select[*tuple[Any, ...]]:
    """One outbox row for each member matching `where`, to the address reach() would choose."""
    default = case(
        {kind: default_channel for kind, default_channel in _default_channels().items()},
        value=Identity.kind,
    )
    # As reach(): a channel whose window closed (WhatsApp, 24 h after their last message) gives
    # way to the identity's default channel (SMS).
    closed = [
        (
            (Identity.last_channel == s.name)
            & (Identity.last_seen_at.is_(None) | (Identity.last_seen_at <= now - s.session_window)),
            default,
        )
        for s in CHANNELS.values()
        if s.session_window is not None
    ]
    last = func.coalesce(Identity.last_channel, default)
    channel = case(*closed, else_=last) if closed else last
    from_number = [s.name for s in CHANNELS.values() if s.sends_from_number]
    sender = (
        case((channel.in_(from_number), literal(community.sms_number, String)), else_=null())
        if community.sms_number
        else null()
    )
    choices_json = choices_to_json(choices)
    return (
        select(
            literal(community.id).label("community_id"),
            Resident.id.label("resident_id"),
            channel.label("channel"),
            Identity.value.label("address"),
            sender.label("sender"),
            literal(text, OutboxMessage.body.type).label("body"),
            (literal(choices_json, OutboxMessage.choices.type) if choices_json else null()).label("choices"),
            literal(count_segments(text).segments).label("segments"),
            (literal(f"{key}:", String) + cast(Resident.id, String)).label("idempotency_key"),
            false().label("erase_after_send"),
            literal(OutboxStatus.QUEUED, String).label("status"),
            literal(0).label("attempts"),
            literal(now, OutboxMessage.next_attempt_at.type).label("next_attempt_at"),
            literal(now, OutboxMessage.created_at.type).label("created_at"),
        )
        .join(Identity, (Identity.resident_id == Resident.id) & (Identity.id == reached()))
        .where(*where)
        .order_by(Resident.id)
    )


def reached() -> ScalarSelect[int]:
    """The id of the identity reach() chooses for the resident of the enclosing query: the
    reachable one used last (on a tie, the oldest). One index lookup per member, whatever the
    planner knows of the tables."""
    seen = case((Identity.last_seen_at.is_not(None), 1), else_=0)
    return (
        select(Identity.id)
        .where(Identity.resident_id == Resident.id, Identity.unreachable.is_(None))
        .order_by(seen.desc(), func.coalesce(Identity.last_seen_at, Identity.created_at).desc(), Identity.id)
        .limit(1)
        .correlate(Resident)
        .scalar_subquery()
    )


def _default_channels() -> dict[str, str]:
    """Identity kind -> the channel that reaches it when none was remembered (the first)."""
    kinds: dict[str, str] = {}
    for channel in CHANNELS.values():
        kinds.setdefault(channel.identity_kind, channel.name)
    return kinds
