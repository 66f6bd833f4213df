"""Which community an inbound message is for: the number written to, the slug given, or,
on a channel where one bot serves every community (Telegram), the chat's choice."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, select
from sqlalchemy.orm import Session

from channels.base import ChannelSpec, CommunityBy
from channels.messages import InboundMessage
from models import Community, TelegramChat


def by_recipient(session: Session, channel: ChannelSpec, recipient: str | None) -> Community | None:
    """The community a message was written to: by its number, or by slug on the console."""
    if recipient is None:
        return None
    return session.scalar(select(Community).where(written_to(channel, recipient)))


def community_id_by_recipient(
    connection: Connection, channel: ChannelSpec, recipient: str | None
) -> int | None:
    """`by_recipient` in Core, on a connection: the id of the community written to."""
    if recipient is None:
        return None
    return connection.scalar(select(Community.id).where(written_to(channel, recipient)))


def written_to(channel: ChannelSpec, recipient: str) -> ColumnElement[bool]:
    """The condition a community meets when `recipient` is its number (its slug on the console)."""
    if channel.community_by == CommunityBy.SLUG:
        return Community.slug == recipient
    return number_is(recipient, channel.own_sender)


def number_is(recipient: ColumnElement[str] | str, own_sender: bool) -> ColumnElement[bool]:
    """The community's number is `recipient`: its SMS number, or, on a channel that may have a
    sender of its own (WhatsApp), that sender too."""
    if own_sender:
        return (Community.whatsapp_number == recipient) | (Community.sms_number == recipient)
    return Community.sms_number == recipient


def start_code(text: str) -> str | None:
    """The join code in "/start CODE" (a t.me/<bot>?start=CODE link); "" for a bare /start."""
    words = text.strip().split()
    if not words or words[0].split("@")[0].lower() != "/start":
        return None
    return words[1].upper() if len(words) > 1 else ""


def by_join_code(session: Session, code: str) -> Community | None:
    return session.scalar(select(Community).where(Community.join_code == code.strip().upper()))


@dataclass(frozen=True)
class Route:
    community: Community | None
    entry: bool = False  # this message chose the community (/start, a link, a join code)
    bad_code: bool = False  # /start with a code no community has


def route(session: Session, message: InboundMessage, now: datetime) -> Route:
    """The community a Telegram message is for; a valid join code switches the chat to it."""
    chat_id = message.address.user_id
    chat = session.get(TelegramChat, chat_id)
    current = session.get(Community, chat.community_id) if chat is not None else None
    code = start_code(message.text)
    if code is None and chat is None and message.text.strip():
        code = message.text.strip()  # perhaps a join code typed after a bare /start
    if not code:
        return Route(current, entry=code == "" and current is not None)
    community = by_join_code(session, code)
    if community is None:
        is_start = start_code(message.text) is not None
        return Route(None if is_start else current, bad_code=is_start)
    if chat is None:
        session.add(TelegramChat(chat_id=chat_id, community_id=community.id, updated_at=now))
    else:
        chat.community_id, chat.updated_at = community.id, now
    return Route(community, entry=True)
