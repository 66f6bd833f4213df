"""Who did what: every change organisers make to money, ideas and rounds, recorded as it is flushed.

The CLI, the API and the scheduler say who is acting (`acting_as`); while someone is, each
flush records what changed on the audited tables, field by field, in the same transaction.
Residents' own actions run with nobody acting and are not recorded here, and no entry ever
names a resident: author and resident columns are never part of an entry. Two kinds of entry
refer to a resident by their row's number alone ("resident 42"), never by an address: changes
of their consent (bot/domain/consent.py) and organisers' exports of their record
(bot/domain/subject_access.py); after erasure that number points at an anonymous row.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Protocol, TypeGuard

from sqlalchemy import event, select
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import instance_state

from bot.domain import chain  # noqa: F401  (links new entries into the record as they are flushed)
from bot.text.money import format_pence
from models import (
    Allocation,
    Announcement,
    AuditEntry,
    BudgetUpdate,
    Community,
    CouncilService,
    Idea,
    Project,
    ProjectUpdate,
    Referral,
    ReferralReply,
    Round,
    Spending,
    WhatsAppTemplate,
    utcnow,
)
from models.money import Correction

_actor: ContextVar[str | None] = ContextVar("audit_actor", default=None)

Audited = (
    Idea
    | Round
    | Allocation
    | Spending
    | Correction
    | BudgetUpdate
    | Announcement
    | Project
    | ProjectUpdate
    | Community
    | WhatsAppTemplate
    | CouncilService
    | Referral
    | ReferralReply
)

# What is audited, and which fields of it (never author or resident columns).
FIELDS: dict[type[Audited], tuple[str, ...]] = {
    Idea: ("status", "cost_pence", "reject_reason", "merged_into_id"),
    Round: (
        "title",
        "status",
        "method",
        "rule",
        "budget_pence",
        "max_choices",
        "opens_at",
        "closes_at",
        "remind_at",
        "reminded_at",
    ),
    Allocation: ("title", "amount_pence", "idea_id"),
    Spending: ("description", "amount_pence", "allocation_id", "spent_on", "over_allocation"),
    Correction: ("action", "reason"),
    BudgetUpdate: ("text", "audience"),
    Announcement: ("text", "audience"),
    Project: ("status", "recipient_org_id", "recipient_org_name"),
    ProjectUpdate: ("project_id", "status", "text"),
    Community: (
        "name",
        "join_code",
        "sms_number",
        "whatsapp_number",
        "budget_total_pence",
        "verification",
        "postcode_areas",
        "timezone",
        "languages",
        "digest_recipients",
        "digest_weekday",
        "digest_time",
        "quiet_start",
        "quiet_end",
        "public_page",
        "require_two_factor",
        "controller",
        "privacy_contact",
        "grant_prefix",
        "funder_org_id",
        "funder_org_name",
        "grant_licence",
    ),
    WhatsAppTemplate: ("content_sid",),
    CouncilService: ("name", "email", "active"),
    Referral: ("service_id", "link_version", "link_expires_at", "status"),
    ReferralReply: ("answer", "on_date", "reason"),
}


@contextmanager
def acting_as(actor: str | None) -> Iterator[None]:
    """Record changes made inside this block as `actor`'s (an email, "cli", "scheduler")."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> str | None:
    return _actor.get()


def note(
    session: Session, communities: Iterable[Community], subject: str, action: str, now: datetime
) -> None:
    """Record an action that is not a change to an audited row (an organiser's sign-in
    settings) in each of `communities`' trails, as whoever is acting ("cli" if nobody says)."""
    actor = (_actor.get() or "cli")[:200]
    for community in communities:
        session.add(
            AuditEntry(
                community_id=community.id, actor=actor, subject=subject[:60], action=action, created_at=now
            )
        )


def entries(session: Session, community: Community, limit: int | None = None) -> list[AuditEntry]:
    """The community's audit trail, oldest first (the newest `limit`, if given)."""
    query = select(AuditEntry).where(AuditEntry.community_id == community.id)
    if limit is None:
        return list(session.scalars(query.order_by(AuditEntry.id)))
    newest = session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))
    return sorted(newest, key=lambda entry: entry.id)


@event.listens_for(Session, "before_flush")
def _record(session: Session, _context: UOWTransaction, _instances: object) -> None:
    actor = _actor.get()
    if actor is None:
        return
    now = utcnow()
    with session.no_autoflush:
        for obj in list(session.new):
            if _audited(obj):
                _add(session, obj, actor, "created: " + _fields(obj, created=True), now)
        for obj in list(session.dirty):
            if _audited(obj) and session.is_modified(obj, include_collections=False):
                changes = _fields(obj, created=False)
                if changes:
                    _add(session, obj, actor, changes, now)


def _audited(obj: object) -> TypeGuard[Audited]:
    return type(obj) in FIELDS


def _add(session: Session, obj: Audited, actor: str, action: str, now: datetime) -> None:
    community_id = obj.id if isinstance(obj, Community) else obj.community_id
    session.add(
        AuditEntry(
            community_id=community_id, actor=actor[:200], subject=_subject(obj), action=action, created_at=now
        )
    )


def _subject(obj: Audited) -> str:
    name = {
        Idea: "idea",
        Round: "round",
        Allocation: "allocation",
        Spending: "spending",
        Correction: "correction",
        BudgetUpdate: "budget update",
        Announcement: "announcement",
        Community: "community",
        Project: "project",
        ProjectUpdate: "project update",
        WhatsAppTemplate: "WhatsApp template",
        CouncilService: "service",
        Referral: "referral",
        ReferralReply: "referral",
    }[type(obj)]
    if isinstance(obj, CouncilService):
        return f"service {obj.name}"[:60]
    if isinstance(obj, Referral | ReferralReply):
        return _referral_subject(obj)
    if isinstance(obj, Community):
        return f"community {obj.slug}"[:60]
    if isinstance(obj, WhatsAppTemplate):
        return f"WhatsApp template {obj.kind} {obj.language}"[:60]
    if isinstance(obj, Round):
        return f"round {obj.number}" if obj.number else f"round {obj.title}"[:60]
    number = getattr(obj, "number", None)
    return f"{name} {number}" if number is not None else name


class Numbered(Protocol):
    number: int  # the reference organisers use ("idea 3")


# Global ids shown as the numbers organisers know.
REFERENCES: dict[str, tuple[type[Numbered], str]] = {
    "merged_into_id": (Idea, "idea"),
    "idea_id": (Idea, "idea"),
    "allocation_id": (Allocation, "allocation"),
    "project_id": (Project, "project"),
}


def _referral_subject(obj: "Referral | ReferralReply") -> str:
    """A referral, or an answer to it, by the idea it is about: "referral of idea 12"."""
    session = instance_state(obj).session
    referral = (
        obj if isinstance(obj, Referral) else session.get(Referral, obj.referral_id) if session else None
    )
    idea = session.get(Idea, referral.idea_id) if session and referral else None
    return f"referral of idea {idea.number}" if idea else "referral"


def _fields(obj: Audited, created: bool) -> str:
    state = instance_state(obj)
    parts = []
    for field in FIELDS[type(obj)]:
        history = state.attrs[field].history
        if created:
            value = getattr(obj, field)
            if value not in (None, [], ""):
                parts.append(f"{_label(field)} {_shown(state.session, field, value)}")
        elif history.has_changes():
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before != after:
                parts.append(
                    f"{_label(field)}: {_shown(state.session, field, before)} -> "
                    f"{_shown(state.session, field, after)}"
                )
    return "; ".join(parts)


def _label(field: str) -> str:
    if field == "service_id":
        return "service"
    return REFERENCES[field][1] if field in REFERENCES else field.removesuffix("_pence")


def _shown(session: Session | None, field: str, value: object) -> str:
    if value is None:
        return "none"
    if field == "service_id":
        service = session.get(CouncilService, value) if session is not None else None
        return service.name if service is not None else "?"
    if field in REFERENCES:
        model, _name = REFERENCES[field]
        row = session.get(model, value) if session is not None else None
        return str(row.number) if row is not None else "?"
    if field.endswith("_pence") and isinstance(value, int):
        return format_pence(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "..."
