"""The residents' inbox: messages the bot could not place ("when is the next meeting?", "the
bench you funded is broken") join their author's thread, one per resident across channels, and
organisers answer them. Residents appear by a pseudonym; their number is shown only on request,
and each request is in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.orm import Session

from bot.domain.audit import current_actor
from bot.domain.notify import notify
from bot.errors import InvalidInput, NotFound
from bot.text.catalogue import PLACEHOLDER_MAX, render
from bot.text.organiser_text import SmsCost, cost_of, plain, refuse_controls
from channels.registry import CHANNELS, default_channel, spec
from models import AuditEntry, Community, Identity, InboxMessage, InboxThread, Resident
from models.states import Direction, ThreadStatus

LABEL_MAX = 60
# An unanswered thread older than this is counted in the council's digest.
SLOW = timedelta(hours=48)


@dataclass(frozen=True)
class ThreadView:
    thread: InboxThread
    who: str  # "Resident 41, SMS, RM9 area": never a number or a name
    last_text: str
    unanswered: bool


def receive(
    session: Session, community: Community, resident: Resident, text: str, channel: str, now: datetime
) -> InboxThread:
    """Put a message the bot could not place in its author's thread (opened again if closed)."""
    thread = session.scalar(select(InboxThread).where(InboxThread.resident_id == resident.id))
    if thread is None:
        thread = InboxThread(community_id=community.id, resident_id=resident.id, created_at=now, last_at=now)
        session.add(thread)
        session.flush()
    thread.status, thread.last_at, thread.last_in_at, thread.waiting = ThreadStatus.OPEN, now, now, True
    session.add(InboxMessage(thread_id=thread.id, direction=Direction.IN, channel=channel, text=text, at=now))
    return thread


def _unanswered() -> ColumnElement[bool]:
    return and_(InboxThread.status == ThreadStatus.OPEN, InboxThread.waiting.is_(True))


def unanswered_count(session: Session, community: Community, before: datetime | None = None) -> int:
    """Open threads whose resident's latest message has no reply (older than `before`, if given)."""
    query = select(func.count()).where(InboxThread.community_id == community.id, _unanswered())
    if before is not None:
        query = query.where(InboxThread.last_in_at < before)
    return session.execute(query).scalar_one()


def threads(session: Session, community: Community, status: str | None = None) -> list[ThreadView]:
    """The community's threads, newest first (all, or those open or closed)."""
    query = select(InboxThread).where(InboxThread.community_id == community.id)
    if status is not None:
        query = query.where(InboxThread.status == status)
    found = list(session.scalars(query.order_by(InboxThread.last_at.desc(), InboxThread.id.desc())))
    latest = _latest_messages(session, [t.id for t in found])
    return [ThreadView(t, pseudonym(session, t), latest.get(t.id, ""), _is_unanswered(t)) for t in found]


def _latest_messages(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    last = (
        select(InboxMessage.thread_id, func.max(InboxMessage.id).label("id"))
        .where(InboxMessage.thread_id.in_(ids))
        .group_by(InboxMessage.thread_id)
        .subquery()
    )
    rows = session.execute(
        select(InboxMessage.thread_id, InboxMessage.text).join(last, InboxMessage.id == last.c.id)
    ).all()
    return {thread_id: text for thread_id, text in rows}


def _is_unanswered(thread: InboxThread) -> bool:
    return thread.status == ThreadStatus.OPEN and thread.waiting


def get_thread(session: Session, community: Community, thread_id: int) -> ThreadView:
    thread = session.get(InboxThread, thread_id)
    if thread is None or thread.community_id != community.id:
        raise NotFound(f"no conversation {thread_id}")
    return ThreadView(thread, pseudonym(session, thread), "", _is_unanswered(thread))


def messages(session: Session, thread: InboxThread) -> list[InboxMessage]:
    return list(
        session.scalars(
            select(InboxMessage)
            .where(InboxMessage.thread_id == thread.id)
            .order_by(InboxMessage.at, InboxMessage.id)
        )
    )


def pseudonym(session: Session, thread: InboxThread) -> str:
    """How organisers see the resident: a stable number, their channel and their area."""
    resident = session.get_one(Resident, thread.resident_id)
    channel = session.scalar(
        select(InboxMessage.channel)
        .where(InboxMessage.thread_id == thread.id, InboxMessage.direction == Direction.IN)
        .order_by(InboxMessage.at.desc(), InboxMessage.id.desc())
        .limit(1)
    )
    parts = [f"Resident {resident.id}"]
    if channel in CHANNELS:
        shown = spec(channel)
        title = shown.title or spec(default_channel(shown.identity_kind)).title
        if title:
            parts.append(title)
    if resident.postcode_district:
        parts.append(f"{resident.postcode_district} area")
    return ", ".join(parts)


def reply_text(community: Community, text: str) -> str:
    """The organiser's reply as the resident will get it, or InvalidInput."""
    text = plain(refuse_controls(text, "the reply"))
    if not text:
        raise InvalidInput("write a reply first", field="text")
    if len(text) > PLACEHOLDER_MAX["reply"]:
        raise InvalidInput(
            f"a reply is at most {PLACEHOLDER_MAX['reply']} characters; this one has {len(text)}",
            field="text",
        )
    return text


def reply_cost(session: Session, community: Community, thread: InboxThread, text: str) -> SmsCost:
    """What the resident gets, and its SMS segments (a Telegram reply costs nothing)."""
    resident = session.get_one(Resident, thread.resident_id)
    language = resident.language or community.default_language
    words = reply_text(community, text)
    return cost_of(render("inbox_reply", language, community=community.name, reply=words), 1, words)


def reply(
    session: Session, community: Community, thread: InboxThread, text: str, now: datetime
) -> InboxMessage:
    """Send the organiser's reply on the resident's channel, through the outbox. A resident who
    sent STOP (or erased their data, or cannot be reached) gets nothing: STOP wins."""
    words = reply_text(community, text)
    resident = session.get_one(Resident, thread.resident_id)
    message = InboxMessage(
        thread_id=thread.id, direction=Direction.OUT, text=words, organiser_email=current_actor(), at=now
    )
    session.add(message)
    session.flush()
    # An answer to the resident's own question: never held for quiet hours (they asked).
    queued = notify(
        session,
        community,
        resident,
        "inbox_reply",
        now,
        key=f"inbox-reply:{message.id}",
        held=False,
        reply=words,
    )
    if queued is None:
        raise InvalidInput("this resident cannot get messages now (they sent STOP, or cannot be reached)")
    message.outbox_id, message.channel = queued.id, queued.channel
    thread.answered_at = thread.last_at = now
    thread.waiting = False
    return message


def set_label(thread: InboxThread, label: str) -> None:
    label = plain(refuse_controls(label, "the label"))
    if len(label) > LABEL_MAX:
        raise InvalidInput(f"a label is at most {LABEL_MAX} characters", field="label")
    thread.label = label or None


def set_status(thread: InboxThread, status: ThreadStatus) -> None:
    thread.status = status


def reveal(session: Session, community: Community, thread: InboxThread, now: datetime) -> list[str]:
    """The resident's addresses (phone numbers, Telegram ids), for an organiser who must call
    them back; the audit trail records who asked, and when."""
    addresses = list(
        session.scalars(
            select(Identity.value).where(Identity.resident_id == thread.resident_id).order_by(Identity.id)
        )
    )
    session.add(
        AuditEntry(
            community_id=community.id,
            actor=(current_actor() or "cli")[:200],
            subject=f"inbox {thread.id}",
            action="contact details shown",
            created_at=now,
        )
    )
    return addresses


def erase(session: Session, resident: Resident) -> None:
    """A resident who erases their data leaves no thread behind."""
    theirs = select(InboxThread.id).where(InboxThread.resident_id == resident.id)
    session.execute(delete(InboxMessage).where(InboxMessage.thread_id.in_(theirs)))
    session.execute(delete(InboxThread).where(InboxThread.resident_id == resident.id))
