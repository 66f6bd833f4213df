"""A resident's right to erasure: identities and message bodies go, anonymous counts stay (a
vote in a round still open is withdrawn)."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import QueryableAttribute, Session

from bot.domain import inbox
from bot.domain.outbox import cancel_queued
from channels.registry import CHANNELS
from models import (
    Ballot,
    Call,
    ConsentEvent,
    Conversation,
    Idea,
    Identity,
    InboundLog,
    OutboxMessage,
    PendingAnswer,
    Resident,
    Round,
    TelegramChat,
)
from models.states import IdentityKind, OutboxStatus, ResidentStatus, RoundStatus


def erase_resident(session: Session, resident: Resident, now: datetime) -> None:
    """Forget who the resident is. Their ideas stay, without an author."""
    addresses = [identity.value for identity in resident.identities]
    forget_pending(
        session,
        session.scalars(
            select(PendingAnswer.id).where(
                PendingAnswer.sender.in_(addresses),
                PendingAnswer.received_at <= now,
                # This community's, or not yet any community's (a chat before its join code):
                # the same phone's message to another community is that community's to answer.
                or_(
                    PendingAnswer.community_id == resident.community_id,
                    PendingAnswer.community_id.is_(None),
                ),
            )
        ).all(),
    )
    session.execute(
        update(InboundLog)
        .where(InboundLog.resident_id == resident.id)
        .values(sender=None, body=None, raw=None)
    )
    _forget_unclaimed(session, resident, now)
    # Nothing still queued goes out; what was sent loses its text and address.
    cancel_queued(session, resident.id, now, "erased")
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.resident_id == resident.id)
        .values(body=None, address=None, choices=None, content_variables=None)
    )
    # An idea left as a voice message is in the resident's own voice: the idea stays, with the
    # words an organiser typed, and its recording is forgotten.
    session.execute(
        update(Idea)
        .where(Idea.author_id == resident.id, Idea.recording_sid.is_not(None))
        .values(recording_sid=None, recording_seconds=None)
    )
    session.execute(update(Idea).where(Idea.author_id == resident.id).values(author_id=None))
    inbox.erase(session, resident)  # their questions to the organisers, and the replies
    session.execute(delete(Call).where(Call.resident_id == resident.id))  # calls in progress end
    # A vote in a round still open is withdrawn: kept, it would count beside the ballot the same
    # person casts after joining again (erase, rejoin, vote: any number of times). Counted
    # rounds keep their ballots, without anyone's name.
    session.execute(
        delete(Ballot).where(
            Ballot.resident_id == resident.id,
            Ballot.round_id.in_(select(Round.id).where(Round.status == RoundStatus.OPEN)),
        )
    )
    chats = [i.value for i in resident.identities if i.kind == IdentityKind.TELEGRAM]
    session.execute(
        delete(TelegramChat).where(
            TelegramChat.chat_id.in_(chats), TelegramChat.community_id == resident.community_id
        )
    )
    # Their consent record goes with them: it says when and how a person took part. The audit
    # trail keeps that a resident (by row number, now anonymous) consented or stopped.
    session.execute(delete(ConsentEvent).where(ConsentEvent.resident_id == resident.id))
    session.execute(delete(Identity).where(Identity.resident_id == resident.id))
    session.execute(delete(Conversation).where(Conversation.resident_id == resident.id))
    resident.status = ResidentStatus.ERASED
    resident.opted_out = True
    resident.language = None
    resident.postcode_district = None
    resident.erased_at = now
    session.expire(resident, ["identities"])


def _forget_unclaimed(session: Session, resident: Resident, now: datetime) -> None:
    """What was written from their addresses before it was anyone's, and our answers to it: a
    Telegram chat's first message, before it chose a community, is stored and answered ("send
    the join code") with no resident and no community, so only its address finds it."""
    mine = [
        (identity.value, [name for name, s in CHANNELS.items() if s.identity_kind == identity.kind])
        for identity in resident.identities
    ]
    if not mine:
        return

    def theirs(
        channel: QueryableAttribute[str], address: QueryableAttribute[str | None]
    ) -> ColumnElement[bool]:
        return or_(*(channel.in_(channels) & (address == value) for value, channels in mine))

    ours = or_(InboundLog.community_id.is_(None), InboundLog.community_id == resident.community_id)
    session.execute(
        update(InboundLog)
        .where(InboundLog.resident_id.is_(None), ours, theirs(InboundLog.channel, InboundLog.sender))
        .values(sender=None, body=None, raw=None)
        .execution_options(synchronize_session=False)
    )
    # Our answers to no resident are to no community either (the outbox has no index by address:
    # its community's leads the way).
    unclaimed = (
        OutboxMessage.community_id.is_(None),
        OutboxMessage.resident_id.is_(None),
        theirs(OutboxMessage.channel, OutboxMessage.address),
    )
    session.execute(
        update(OutboxMessage)
        .where(*unclaimed, OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.CANCELLED, error_code="erased", next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(OutboxMessage)
        .where(*unclaimed)
        .values(body=None, address=None, choices=None, content_variables=None)
        .execution_options(synchronize_session=False)
    )


def forget_pending(session: Session, pending_ids: Sequence[int]) -> None:
    """Drop messages left for a worker to answer, and what they said and who sent them (they
    were never answered, so nothing ties them to a resident for erasure to find later)."""
    if not pending_ids:
        return
    stored = select(PendingAnswer.id).where(PendingAnswer.id.in_(pending_ids))  # the messages' ids
    session.execute(
        update(InboundLog).where(InboundLog.id.in_(stored)).values(sender=None, body=None, raw=None)
    )
    session.execute(delete(PendingAnswer).where(PendingAnswer.id.in_(pending_ids)))
