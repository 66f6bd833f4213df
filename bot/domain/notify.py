"""Messages we start (news of an idea, a round opening): to members who can hear them."""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeGuard

from sqlalchemy import (
    ColumnElement,
    Integer,
    ScalarSelect,
    Select,
    String,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import Null

from bot.domain.outbox import enqueue, insert_skipping_existing, queued_from
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
    # The members' languages, and whether any of them was sent this already (one statement).
    found = session.execute(select(language, queued_from(f"{key}:")).where(*hearing).distinct()).all()
    if not found:
        return 0
    languages, repeat = sorted({lang for lang, _ in found}), any(again for _, again in found)
    # Each text is made once per language (and version), and one statement queues them all:
    # the member's language and version pick theirs in SQL.
    groups: dict[str, dict[int | None, Composed]] = {}
    sids: dict[str, tuple[str, dict[str, str]]] = {}
    for lang in languages:
        sid = content_sid(session, community, template.kind, lang) if template else None
        if template is not None and sid:
            sids[lang] = (sid, template.variables(lang))
        if template is not None and sid is None:
            _report_gap(session, community, template.kind, lang, key, at, [language == lang, *hearing])
        groups[lang] = {
            version: (
                render(text_or_key, lang, **values)
                if not callable(text_or_key)
                else text_or_key(lang)
                if version is None
                else text_or_key(lang, version)
            )
            for version in (range(versions[1]) if versions else (None,))
        }
    texts = _Texts(language, groups, sids, versions[0] if versions else None)
    rows = _rows(community, texts, now, at, key, held, *hearing)
    return insert_skipping_existing(session, rows, first=not repeat)


@dataclass(frozen=True)
class _Texts:
    """What each member of a broadcast gets, by their language (and version): the texts made
    once each, and the template registered (ContentSid, variables) in each language that has one."""

    language: ColumnElement[str]
    groups: dict[str, dict[int | None, Composed]]
    templates: dict[str, tuple[str, dict[str, str]]]
    version: ColumnElement[int] | None

    def pick(self, of: Callable[[str, int | None], Any], type_: Any) -> ColumnElement[Any]:
        """The value `of(language, version)` for each member: one literal when all get the same,
        else CASE on their language, then on their version."""
        made = {lang: {v: of(lang, v) for v in versions} for lang, versions in self.groups.items()}
        if len({repr(value) for values in made.values() for value in values.values()}) == 1:
            return _literal(next(iter(next(iter(made.values())).values())), type_)
        by_language: dict[str, ColumnElement[Any]] = {}
        for lang, values in made.items():
            if len({repr(value) for value in values.values()}) == 1 or self.version is None:
                by_language[lang] = _literal(next(iter(values.values())), type_)
            else:
                by_language[lang] = case(
                    {v: _literal(value, type_) for v, value in values.items()}, value=self.version
                )
        if len(by_language) == 1:
            return next(iter(by_language.values()))
        return case(by_language, value=self.language)

    def part(self, lang: str, version: int | None) -> tuple[str, tuple[Choice, ...]]:
        composed = self.groups[lang][version]
        text, choices = composed if isinstance(composed, tuple) else (composed, ())
        return text, tuple(choices)


def _literal(value: Any, type_: Any) -> ColumnElement[Any]:
    return null() if value is None else literal(value, type_)


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
        select(func.count()).select_from(Resident).join(Identity, reached_by()).where(*where, or_(*closed))
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
    return select(_wanted()).select_from(Identity).where(reached_by()).correlate(Resident).scalar_subquery()


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
    texts: _Texts,
    now: datetime,
    at: datetime,
    key: str,
    held: bool,
    *where: ColumnElement[bool],
) -> Select[*tuple[Any, ...]]:
    """One outbox row for each member matching `where`, created `now` and sent from `at`
    (`held`: news we start, which waits out quiet hours even when sent late), to
    the address reach() would choose then, with the text of their language and version:
    outside a window, as their language's template (ContentSid, variables) on a channel that
    takes one, else by the identity's default channel."""
    templated: ColumnElement[bool] | bool = False
    if texts.templates:
        templated = True if len(texts.templates) == len(texts.groups) else texts.language.in_(texts.templates)
    channel, as_template = _channel_of(at, templated)
    senders = [
        (channel == s.name, literal(number_for(community, s.name), String))
        for s in CHANNELS.values()
        if s.sends_from_number and number_for(community, s.name)
    ]
    sender = case(*senders, else_=null()) if senders else null()

    def template_part(i: int, type_: Any) -> ColumnElement[Any]:
        if as_template is None:
            return null()
        value = texts.pick(
            lambda lang, v: texts.templates[lang][i] if lang in texts.templates else None, type_
        )
        return case((as_template, value), else_=null())

    def text_of(lang: str, version: int | None) -> str:
        return texts.part(lang, version)[0]

    def choices_of(lang: str, version: int | None) -> list[dict[str, Any]] | None:
        return choices_to_json(texts.part(lang, version)[1]) or None

    # Choices are stored only for the channels that show them (SMS does not).
    shown = [s.name for s in CHANNELS.values() if s.buttons]
    choices = texts.pick(choices_of, OutboxMessage.choices.type)
    if shown and not isinstance(choices, Null):
        choices = case((channel.in_(shown), choices), else_=null())

    return (
        select(
            literal(community.id).label("community_id"),
            Resident.id.label("resident_id"),
            channel.label("channel"),
            Identity.value.label("address"),
            sender.label("sender"),
            texts.pick(text_of, OutboxMessage.body.type).label("body"),
            choices.label("choices"),
            template_part(0, String).label("content_sid"),
            template_part(1, OutboxMessage.content_variables.type).label("content_variables"),
            texts.pick(lambda lang, v: count_segments(text_of(lang, v)).segments, Integer).label("segments"),
            (literal(f"{key}:", String) + cast(Resident.id, String)).label("idempotency_key"),
            false().label("erase_after_send"),
            literal(OutboxStatus.QUEUED, String).label("status"),
            literal(0).label("attempts"),
            literal(held).label("held"),
            literal(at, OutboxMessage.next_attempt_at.type).label("next_attempt_at"),
            literal(now, OutboxMessage.created_at.type).label("created_at"),
        )
        .join(Identity, reached_by())
        .where(*where)
        .order_by(Resident.id)
    )


def _channel_of(
    now: datetime, templated: bool | ColumnElement[bool]
) -> tuple[ColumnElement[str], ColumnElement[bool] | None]:
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
    if isinstance(templated, bool):
        to_default = silent + [(cond, default) for cond, s in closed if not (templated and s.templates)]
        as_template = [cond for cond, s in closed if templated and s.templates]
    else:  # a template in some of the members' languages: `templated` says whose
        to_default = silent + [(cond & ~templated if s.templates else cond, default) for cond, s in closed]
        as_template = [cond & templated for cond, s in closed if s.templates]
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
            .join(Identity, reached_by())
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
        by_channel=tuple(sorted(split.items())),
    )


def reached_by() -> ColumnElement[bool]:
    """That the Identity is the one reach() chooses for the Resident, as a join condition: a
    reachable identity of theirs, with none better (of the chosen channel's kind if any is,
    then used last, then on a tie the oldest). The anti-join is one hash join on PostgreSQL
    over the whole community, and one index lookup per member on SQLite."""
    other = aliased(Identity)
    better = exists().where(
        other.resident_id == Identity.resident_id,
        other.unreachable.is_(None),
        other.id != Identity.id,
        _rank(other) > _rank(Identity),
    )
    return (Identity.resident_id == Resident.id) & Identity.unreachable.is_(None) & ~better


def _rank(identity: Any) -> Any:
    """How much reach() prefers an identity of the enclosing resident (a row value: higher first)."""
    kind_of_choice = case({name: s.identity_kind for name, s in CHANNELS.items()}, value=Resident.channel)
    return tuple_(
        case((identity.kind == kind_of_choice, 1), else_=0),
        case((identity.last_seen_at.is_not(None), 1), else_=0),
        func.coalesce(identity.last_seen_at, identity.created_at),
        -identity.id,
    )


def _default_channels() -> dict[str, str]:
    """Identity kind -> the channel that reaches it when none was remembered (the first that
    carries text)."""
    kinds: dict[str, str] = {}
    for channel in CHANNELS.values():
        if channel.sends_text:
            kinds.setdefault(channel.identity_kind, channel.name)
    return kinds
