"""A resident's whole record, for a subject access request: who they are to us, their language,
membership and consent, ideas, ballots with receipts, messages both ways (what retention has
not yet erased) and inbox threads. Producing it is audited ("resident 42", never a number),
and the CLI and the JSON API (to organisers of the community) are the only ways out."""

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.audit import current_actor
from bot.domain.consent import events_of
from bot.domain.privacy import retention_days
from bot.errors import InvalidInput, NotFound
from channels.phone import normalise_phone
from models import (
    AuditEntry,
    Ballot,
    Community,
    Conversation,
    Idea,
    Identity,
    InboundLog,
    InboxMessage,
    InboxThread,
    OutboxMessage,
    Resident,
    Round,
)
from models.states import IdentityKind

logger = logging.getLogger(__name__)


def find_resident(
    session: Session, community: Community, phone: str | None = None, telegram: str | None = None
) -> Resident:
    """The community's resident with this phone number (any format) or Telegram chat id."""
    if (phone is None) == (telegram is None):
        raise InvalidInput("give a phone number or a Telegram chat id (one of them)")
    if phone is not None:
        kind, value = IdentityKind.PHONE, normalise_phone(phone[:40])
        if value is None:
            raise InvalidInput(f"{phone[:40]!r} is not a phone number")
    else:
        kind, value = IdentityKind.TELEGRAM, (telegram or "").strip()
        if not value.lstrip("-").isdigit() or len(value) > 20:
            raise InvalidInput(f"{value[:40]!r} is not a Telegram chat id")
    identity = session.scalar(
        select(Identity).where(
            Identity.community_id == community.id, Identity.kind == kind, Identity.value == value
        )
    )
    if identity is None:
        raise NotFound(f"no resident of {community.slug} with that {'number' if phone else 'chat id'}")
    return identity.resident


def export_record(
    session: Session, community: Community, resident: Resident, now: datetime
) -> dict[str, Any]:
    """The resident's record, with the export written to the audit trail."""
    actor = current_actor() or "cli"
    session.add(
        AuditEntry(
            community_id=community.id,
            actor=actor[:200],
            subject=f"resident {resident.id}",
            action="record exported (subject access request)",
            created_at=now,
        )
    )
    logger.info("the record of resident %s of %s was exported by %s", resident.id, community.slug, actor)
    return record_of(session, community, resident, now)


def record_of(session: Session, community: Community, resident: Resident, now: datetime) -> dict[str, Any]:
    """Everything held about the resident, as JSON-ready data."""
    conversation = session.get(Conversation, resident.id)
    return {
        "community": {"slug": community.slug, "name": community.name},
        "exported_at": _at(now),
        "retention_days": retention_days(),
        "resident": {
            "id": resident.id,
            "status": resident.status,
            "language": resident.language,
            "channel": resident.channel,
            "postcode_district": resident.postcode_district,
            "created_at": _at(resident.created_at),
            "consent_at": _at(resident.consent_at),
            "opted_out": resident.opted_out,
            "opted_out_at": _at(resident.opted_out_at),
            "conversation_step": conversation.step if conversation else None,
        },
        "identities": [
            {
                "kind": i.kind,
                "value": i.value,
                "last_channel": i.last_channel,
                "last_seen_at": _at(i.last_seen_at),
                "unreachable": i.unreachable,
                "created_at": _at(i.created_at),
            }
            for i in resident.identities
        ],
        "consent": [
            {"change": e.change, "channel": e.channel, "wording": e.wording, "at": _at(e.at)}
            for e in events_of(session, resident)
        ],
        "ideas": [
            {
                "number": i.number,
                "text": i.text,
                "status": i.status,
                "cost_pence": i.cost_pence,
                "created_at": _at(i.created_at),
            }
            for i in session.scalars(select(Idea).where(Idea.author_id == resident.id).order_by(Idea.number))
        ],
        "ballots": [
            {
                "round": number,
                "title": title,
                "choices": b.choices,
                "channel": b.channel,
                "receipt": b.receipt,
                "cast_at": _at(b.cast_at),
                "changed_at": _at(b.changed_at),
            }
            for b, number, title in session.execute(
                select(Ballot, Round.number, Round.title)
                .join(Round, Round.id == Ballot.round_id)
                .where(Ballot.resident_id == resident.id)
                .order_by(Ballot.id)
            )
        ],
        "messages_in": [
            {"channel": m.channel, "received_at": _at(m.received_at), "text": m.body}
            for m in session.scalars(
                select(InboundLog).where(InboundLog.resident_id == resident.id).order_by(InboundLog.id)
            )
        ],
        "messages_out": [
            {"channel": m.channel, "created_at": _at(m.created_at), "status": m.status, "text": m.body}
            for m in session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.resident_id == resident.id)
                .order_by(OutboxMessage.id)
            )
        ],
        "inbox": [
            {
                "direction": m.direction,
                "channel": m.channel,
                "text": m.text,
                "at": _at(m.at),
                "status": status,
                "label": label,
            }
            for m, status, label in session.execute(
                select(InboxMessage, InboxThread.status, InboxThread.label)
                .join(InboxThread, InboxThread.id == InboxMessage.thread_id)
                .where(InboxThread.resident_id == resident.id)
                .order_by(InboxMessage.at, InboxMessage.id)
            )
        ],
    }


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
