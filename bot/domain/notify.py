"""Messages we start (news of an idea, a round opening): to members who can hear them."""

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
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
    or_,
    select,
)
from sqlalchemy.orm import Session

from bot.domain.outbox import enqueue, insert_skipping_existing
from bot.domain.quiet_hours import send_at
from bot.domain.residents import language_of, route
from bot.domain.whatsapp import Template, content_sid, number_for
from bot.text.catalogue import render
from bot.text.organiser_text import SmsCost
from channels.base import ChannelSpec
from channels.messages import Address, Choice, choices_to_json
from channels.registry import CHANNELS
from channels.segments import count_segments
from models import Community, Identity, OutboxMessage, Resident
from models.states import OutboxStatus, ResidentStatus

logger = logging.getLogger(__name__)

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
    template: Template | None = None,
    held: bool = True,
    **values: object,
) -> OutboxMessage | None:
    """Queue one message to a resident, or nothing if they cannot hear it or already got it
    (`key` makes the message idempotent: the same key is never queued twice). Outside
    WhatsApp's window it goes as `template` where the community registered one for it in the
    resident's language, else by SMS. News we start waits out the community's quiet hours;
    `held=False` for an answer to the resident (an organiser's reply from the inbox)."""
    if not can_hear(resident):
        return None
    at = send_at(community, now) if held else now
    language = language_of(resident, community)
    sid = content_sid(session, community, template.kind, language) if template else None
    # The channel and its window as they will be when it goes.
    found = route(resident, at, templated=sid is not None)
    if found is None:
        return None
    address, as_template = found
    if (
        key is not None
        and session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)) is not None
    ):
        return None
    values.setdefault("community", community.name)
    text = text_or_key if rendered else render(text_or_key, language, **values)
    if template is not None and not as_template and _outside_window(resident, address, at):
        logger.info(
            "%s: no %s template in %s: by %s", key or "news", template.kind, language, address.channel
        )
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
        content_sid=sid if as_template else None,
        content_variables=template.variables(language) if template and as_template else None,
        not_before=at,
        held=held,
    )


def _outside_window(resident: Resident, address: Address, now: datetime) -> bool:
    """Whether a message to `address` went by its default channel only because the channel
    they would have got it on was outside its window."""
    plain = route(resident, now)
    wanted = route(resident, now, templated=True)
    return plain is not None and wanted is not None and plain[0] != wanted[0]


def sender_for(community: Community, address: Address) -> str | None:
    """Our side of the conversation: the community's number (or WhatsApp's own sender), where
    the channel sends from one."""
    return number_for(community, address.channel)


def members(session: Session, community: Community) -> list[Resident]:
    """Every member who can hear a broadcast."""
    return list(session.scalars(select(Resident).where(*_can_hear(community)).order_by(Resident.id)))


def member_count(session: Session, community: Community, only: ColumnElement[bool] | None = None) -> int:
    """How many members can hear a broadcast (of those matching `only`, a condition on Resident)."""
    where = [*_can_hear(community)] + ([] if only is None else [only])
    return session.execute(select(func.count()).select_from(Resident).where(*where)).scalar_one()


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
    only: ColumnElement[bool] | None = None,
    template: Template | None = None,
    versions: Versions | None = None,
    held: bool = True,
    **values: object,
) -> int:
    """Queue one message to every member who can hear it, in a few statements; returns how
    many were queued. Each row's idempotency key is `key:resident-id` (what notify() is given
    for the same news), so a repeat queues nothing twice. The text is a catalogue key rendered
    with `values`, or a function of the language giving the text (and choices); it is made once
    per language. `unless` is a condition on Resident for members to leave out, `only` one for the members
    to send to (a segment: bot.domain.segments). Outside
    WhatsApp's window a member gets `template` where the community registered one in their
    language, else the text by SMS. With `versions`, the function is also given the version,
    and each version is made once per language and sent to the members whose version it is.
    During the community's quiet hours the rows wait in the outbox until they end (their
    channel and window chosen for then); `held=False` sends at once whatever the hour."""
    session.flush()  # the caller's changes (a STOP, an opt-in) count
    at = send_at(community, now) if held else now
    values.setdefault("community", community.name)
    language = reader_language(community)
    hearing = (
        [*_can_hear(community)] + ([] if unless is None else [~unless]) + ([] if only is None else [only])
    )
    languages = session.scalars(select(language).where(*hearing).distinct()).all()
    queued = 0
    for lang in sorted(languages):
        sid = content_sid(session, community, template.kind, lang) if template else None
        as_template = (sid, template.variables(lang)) if template and sid else None
        in_language = [language == lang, *hearing]
        if template is not None and sid is None:
            _report_gap(session, community, template.kind, lang, key, at, in_language)
        for version in range(versions[1]) if versions else (None,):
            composed: Composed
            if not callable(text_or_key):
                composed = render(text_or_key, lang, **values)
            else:
                composed = text_or_key(lang) if version is None else text_or_key(lang, version)
            text, choices = composed if isinstance(composed, tuple) else (composed, ())
            which = [] if versions is None else [versions[0] == version]
            rows = _rows(
                community, text, tuple(choices), now, at, key, as_template, held, *in_language, *which
            )
            queued += insert_skipping_existing(session, rows)
    return queued


def reader_language(community: Community) -> ColumnElement[str]:
    """As language_of(), in SQL over Resident: their choice while the community still offers
    it, else its default."""
    offered = list(community.languages or [community.default_language])
    return case(
        (Resident.language.in_(offered), Resident.language), else_=literal(community.default_language, String)
    )


def _report_gap(
    session: Session,
    community: Community,
    kind: str,
    language: str,
    key: str,
    now: datetime,
    where: list[ColumnElement[bool]],
) -> None:
    """Say how many members outside WhatsApp's window get a message by SMS for want of a template."""
    missing = outside_window_count(session, now, *where)
    if missing:
        logger.warning(
            "%s: %s member(s) outside the WhatsApp window get it by SMS: %s has no %s template in %s",
            key,
            missing,
            community.slug,
            kind,
            language,
        )


def outside_window_count(session: Session, now: datetime, *where: ColumnElement[bool]) -> int:
    """Members matching `where` whose message would go by a channel that is outside its window
    and needs a template (WhatsApp, 24 h after they last wrote there)."""
    closed = [cond for cond, s in _closed(now) if s.templates]
    if not closed:
        return 0
    query = (
        select(func.count())
        .select_from(Resident)
        .join(Identity, (Identity.resident_id == Resident.id) & (Identity.id == reached()))
        .where(*where, or_(*closed))
    )
    return session.execute(query).scalar_one()


def _wanted() -> ColumnElement[str]:
    """The channel the member would get a message on, their window aside: the one they chose
    (CHANNEL), where the identity reached is of its kind, else the one they last wrote on."""
    default = case(
        {kind: default_channel for kind, default_channel in _default_channels().items()},
        value=Identity.kind,
    )
    kind_of_choice = case({name: s.identity_kind for name, s in CHANNELS.items()}, value=Resident.channel)
    last = func.coalesce(Identity.last_channel, default)
    return case(
        (Resident.channel.is_not(None) & (kind_of_choice == Identity.kind), Resident.channel), else_=last
    )


def used_channel() -> ScalarSelect[str]:
    """The channel the resident of the enclosing query uses (chose, or last wrote on), their
    windows aside: "users of a channel" in a segment."""
    return (
        select(_wanted())
        .select_from(Identity)
        .where(Identity.id == reached())
        .correlate(Resident)
        .scalar_subquery()
    )


def _closed(now: datetime) -> list[tuple[ColumnElement[bool], ChannelSpec]]:
    """Per channel with a window: the condition that the member's wanted channel is it, and
    that they have not written on it within its window."""
    wanted = _wanted()
    found: list[tuple[ColumnElement[bool], ChannelSpec]] = []
    for s in CHANNELS.values():
        if s.session_window is None:
            continue
        # Written out, not negated: a NULL last_channel or last_seen_at is "not open".
        not_open = (
            Identity.last_channel.is_(None)
            | (Identity.last_channel != s.name)
            | Identity.last_seen_at.is_(None)
            | (Identity.last_seen_at <= now - s.session_window)
        )
        found.append(((wanted == s.name) & not_open, s))
    return found


def _rows(
    community: Community,
    text: str,
    choices: tuple[Choice, ...],
    now: datetime,
    at: datetime,
    key: str,
    template: tuple[str, dict[str, str]] | None,
    held: bool,
    *where: ColumnElement[bool],
) -> Select[*tuple[Any, ...]]:
    """One outbox row for each member matching `where`, created `now` and sent from `at`, to
    the address reach() would choose then: outside a window, as `template` (ContentSid,
    variables) on a channel that takes one, else by the identity's default channel."""
    channel, as_template = _channel_of(at, template is not None)
    senders = [
        (channel == s.name, literal(number_for(community, s.name), String))
        for s in CHANNELS.values()
        if s.sends_from_number and number_for(community, s.name)
    ]
    sender = case(*senders, else_=null()) if senders else null()
    sid, variables = template if template else (None, None)
    content_sid = (
        case((as_template, literal(sid, String)), else_=null()) if as_template is not None and sid else null()
    )
    content_variables = (
        case((as_template, literal(variables, OutboxMessage.content_variables.type)), else_=null())
        if as_template is not None and variables
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
            content_sid.label("content_sid"),
            content_variables.label("content_variables"),
            literal(count_segments(text).segments).label("segments"),
            (literal(f"{key}:", String) + cast(Resident.id, String)).label("idempotency_key"),
            false().label("erase_after_send"),
            literal(OutboxStatus.QUEUED, String).label("status"),
            literal(0).label("attempts"),
            literal(held).label("held"),
            literal(at, OutboxMessage.next_attempt_at.type).label("next_attempt_at"),
            literal(now, OutboxMessage.created_at.type).label("created_at"),
        )
        .join(Identity, (Identity.resident_id == Resident.id) & (Identity.id == reached()))
        .where(*where)
        .order_by(Resident.id)
    )


def _channel_of(now: datetime, templated: bool) -> tuple[ColumnElement[str], ColumnElement[bool] | None]:
    """The channel a member gets a message on, as reach() chooses it, and (when `templated`:
    a template is registered for it in their language) the condition that it goes there as a
    template, outside the channel's window."""
    default = case(
        {kind: default_channel for kind, default_channel in _default_channels().items()},
        value=Identity.kind,
    )
    closed = _closed(now)
    wanted = _wanted()
    # A channel that carries no text (the phone line) gives way to the default (SMS) too.
    silent = [(wanted == s.name, default) for s in CHANNELS.values() if not s.sends_text]
    to_default = silent + [(cond, default) for cond, s in closed if not (templated and s.templates)]
    as_template = [cond for cond, s in closed if templated and s.templates]
    channel = case(*to_default, else_=wanted) if to_default else wanted
    return channel, or_(*as_template) if as_template else None


def channel_split(
    session: Session,
    community: Community,
    now: datetime,
    kind: str | None = None,
    only: ColumnElement[bool] | None = None,
) -> dict[str, int]:
    """How many members (matching `only`) a broadcast sent now would reach on each channel
    ("sms", "whatsapp", ...), and as a template of `kind` ("whatsapp_template"): what it costs
    depends on it. Held for quiet hours, it is counted as it will go, at their end."""
    session.flush()
    now = send_at(community, now)
    language = reader_language(community)
    hearing = [*_can_hear(community)] + ([] if only is None else [only])
    counts: dict[str, int] = {}
    for lang in session.scalars(select(language).where(*hearing).distinct()).all():
        sid = content_sid(session, community, kind, lang) if kind else None
        channel, as_template = _channel_of(now, sid is not None)
        flag = case((as_template, 1), else_=0) if as_template is not None else literal(0)
        each = (
            select(channel.label("channel"), flag.label("template"))
            .select_from(Resident)
            .join(Identity, (Identity.resident_id == Resident.id) & (Identity.id == reached()))
            .where(language == lang, *hearing)
            .subquery()
        )
        rows = session.execute(
            select(each.c.channel, each.c.template, func.count()).group_by(each.c.channel, each.c.template)
        )
        for name, template, n in rows:
            key = f"{name}_template" if template else name
            counts[key] = counts.get(key, 0) + n
    return counts


def residents_split(
    session: Session,
    community: Community,
    residents: Iterable[Resident | None],
    now: datetime,
    kind: str | None = None,
) -> dict[str, int]:
    """channel_split() for news to a few residents (notify()'s way): how many who can hear it
    it reaches on each channel, and as a template of `kind` ("whatsapp_template")."""
    counts: dict[str, int] = {}
    for resident in residents:
        if not can_hear(resident):
            continue
        language = language_of(resident, community)
        sid = content_sid(session, community, kind, language) if kind else None
        found = route(resident, now, templated=sid is not None)
        if found is not None:
            key = f"{found[0].channel}_template" if found[1] else found[0].channel
            counts[key] = counts.get(key, 0) + 1
    return counts


def with_whatsapp(cost: SmsCost, split: dict[str, int]) -> SmsCost:
    """`cost` (counted as if all went by SMS) with those reached on WhatsApp taken out of its
    SMS recipients and counted beside them."""
    whatsapp, templates = split.get("whatsapp", 0), split.get("whatsapp_template", 0)
    return replace(
        cost,
        recipients=max(cost.recipients - whatsapp - templates, 0),
        whatsapp=whatsapp,
        whatsapp_templates=templates,
    )


def reached() -> ScalarSelect[int]:
    """The id of the identity reach() chooses for the resident of the enclosing query: the
    reachable one used last (on a tie, the oldest), of the chosen channel's kind if any is.
    One index lookup per member, whatever the planner knows of the tables."""
    kind_of_choice = case({name: s.identity_kind for name, s in CHANNELS.items()}, value=Resident.channel)
    # Two lookups, not one ordered by the choice: SQLite cannot read the enclosing row in an
    # ORDER BY of a subquery in a join's ON clause, and can in its WHERE.
    chosen = _latest(Identity.kind == kind_of_choice)
    return select(func.coalesce(chosen, _latest())).correlate(Resident).scalar_subquery()


def _latest(*where: ColumnElement[bool]) -> ScalarSelect[int]:
    """The reachable identity of the enclosing resident used last (matching `where`)."""
    seen = case((Identity.last_seen_at.is_not(None), 1), else_=0)
    return (
        select(Identity.id)
        .where(Identity.resident_id == Resident.id, Identity.unreachable.is_(None), *where)
        .order_by(seen.desc(), func.coalesce(Identity.last_seen_at, Identity.created_at).desc(), Identity.id)
        .limit(1)
        .correlate(Resident)
        .scalar_subquery()
    )


def _default_channels() -> dict[str, str]:
    """Identity kind -> the channel that reaches it when none was remembered (the first that
    carries text)."""
    kinds: dict[str, str] = {}
    for channel in CHANNELS.values():
        if channel.sends_text:
            kinds.setdefault(channel.identity_kind, channel.name)
    return kinds
