"""A resident's right to erasure: identities and message bodies go, anonymous counts stay."""
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from bot.domain.outbox import cancel_queued
from models import (
    Conversation,
    Idea,
    Identity,
    InboundLog,
    OutboxMessage,
    Resident,
    TelegramChat,
)


def erase_resident(session: Session, resident: Resident, now: datetime) -> None:
    """Forget who the resident is. Their ideas stay, without an author."""
    session.execute(update(InboundLog).where(InboundLog.resident_id == resident.id)
                    .values(sender=None, body=None, raw=None))
    # Nothing still queued goes out; what was sent loses its text and address.
    cancel_queued(session, resident.id, now, "erased")
    session.execute(update(OutboxMessage).where(OutboxMessage.resident_id == resident.id)
                    .values(body=None, address=None, choices=None))
    session.execute(update(Idea).where(Idea.author_id == resident.id).values(author_id=None))
    chats = [i.value for i in resident.identities if i.kind == "telegram"]
    session.execute(delete(TelegramChat).where(TelegramChat.chat_id.in_(chats),
                                               TelegramChat.community_id == resident.community_id))
    session.execute(delete(Identity).where(Identity.resident_id == resident.id))
    session.execute(delete(Conversation).where(Conversation.resident_id == resident.id))
    resident.status = "erased"
    resident.opted_out = True
    resident.language = None
    resident.postcode_district = None
    resident.erased_at = now
    session.expire(resident, ["identities"])
