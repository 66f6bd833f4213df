"""Receiving a message: store it, understand it, queue the replies, all in one transaction; or,
with INBOUND_ANSWER=worker, store it with a pending answer that a worker gives later (`keep`,
`answer_stored`)."""

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache, partial
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Executable,
    ScalarSelect,
    Table,
    and_,
    bindparam,
    func,
    insert,
    inspect,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from bot.context import Database
from bot.dialogue import Turn, handle
from bot.dialogue.engine import withdrawn_language
from bot.dialogue.keywords import parse
from bot.dialogue.shared import Shared
from bot.domain.ballots import Seen
from bot.domain.notify import sender_for
from bot.domain.outbox import enqueue, outbox_row
from bot.domain.residents import (
    add_newcomer,
    conversation_for,
    find_writer,
    identity_kind,
    new_conversation,
    resident_for,
)
from bot.messaging import routing
from bot.text.catalogue import render
from bot.text.clean import clean_raw, clean_text
from channels.base import CommunityBy
from channels.messages import Address, InboundMessage, message_to_json
from channels.phone import mask
from channels.registry import spec
from models import (
    Ballot,
    Community,
    Conversation,
    Identity,
    InboundLog,
    OutboxMessage,
    PendingAnswer,
    Resident,
    Round,
    TelegramChat,
    table_of,
)
from models.states import ResidentStatus, RoundStatus

logger = logging.getLogger(__name__)

MAX_TEXT = 2000  # longer than any concatenated SMS; anything beyond is noise
ALWAYS_ANSWERED = {"stop", "start", "delete"}
T = TypeVar("T")
# The INSERT ... ON CONFLICT of each database we run on.
_INSERTS: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


class Outcome(StrEnum):
    """What became of an inbound message."""

    HANDLED = "handled"
    QUEUED = "queued"  # stored for a worker to answer (INBOUND_ANSWER=worker)
    DUPLICATE = "duplicate"  # a provider's repeat of a message stored before
    UNKNOWN_RECIPIENT = "unknown_recipient"  # to a number (or slug) no community has
    UNANSWERABLE = "unanswerable"  # from no address a resident could have
    NEEDS_COMMUNITY = "needs_community"  # a Telegram chat with no community chosen yet: asked for a code


@dataclass(frozen=True)
class Receipt:
    """What became of an inbound message, and how many replies it queued."""

    outcome: Outcome
    replies: int = 0


ATTEMPTS = 3


@dataclass
class Stored:
    """The stored row of an inbound message, and what is still to change on it (written in one
    UPDATE at the end of the turn, if anything)."""

    id: int
    channel: str
    sender: str | None
    received_at: datetime
    resident_id: int | None = None
    changes: dict[str, object] = field(default_factory=dict)


def receive(
    db: Database,
    message: InboundMessage,
    now: datetime,
    per_minute: int | None = None,
    received_at: datetime | None = None,
) -> Receipt:
    """Store and handle one inbound message; a repeat of one already stored changes nothing.

    With `per_minute`, a sender's messages beyond it in a minute are stored but not answered
    (each reply costs money), except STOP, START and DELETE. `received_at` is when it really
    arrived, if that was earlier (a message replayed from the spool)."""
    message = _normalised(message)
    return retrying(
        lambda: _receive(db, message, now, per_minute, received_at or now),
        f"{message.address.channel} message {message.provider_message_id}",
    )


def retrying(turn: Callable[[], T], what: str) -> T:
    """Run `turn` (a whole transaction), again if it raced another turn for a number."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return turn()
        except IntegrityError:
            # A concurrent turn took a number we chose (an idea's #); the whole turn was rolled
            # back, so running it again is safe.
            if attempt == ATTEMPTS:
                raise
            logger.info("inbound %s raced another; retrying", what)
    raise AssertionError("unreachable")


def keep(db: Database, message: InboundMessage, received_at: datetime) -> Receipt:
    """Store a message and leave its answer to a worker (bot.messaging.pending): what webhooks
    do with INBOUND_ANSWER=worker, so a surge is acknowledged as fast as it is stored. A repeat
    changes nothing; a message to a number no community has is not kept."""
    message = _normalised(message)
    channel = spec(message.address.channel)
    if channel.community_by != CommunityBy.CHAT and message.recipient is None:
        return _unknown_recipient(message)
    row = dict(
        _columns(message, received_at),
        recipient=message.recipient,
        message=message_to_json(replace(message, raw={})),
    )  # raw is in the stored row
    store, then = _keeping(db.engine.dialect.name, channel.community_by, channel.own_sender)
    with _connection(db.engine, statements=1 if then is None else 2) as connection:  # Core alone
        kept = connection.execute(store, row).first()
        if kept is None:
            if (
                channel.community_by != CommunityBy.CHAT
                and routing.community_id_by_recipient(connection, channel, message.recipient) is None
            ):
                return _unknown_recipient(message)
            return _duplicate(message)
        if then is not None:
            connection.execute(
                then,
                _pending_row(
                    row, kept.id, kept.community_id, by_chat=channel.community_by == CommunityBy.CHAT
                ),
            )
    return Receipt(Outcome.QUEUED)


def _connection(engine: Engine, statements: int) -> AbstractContextManager[Connection]:
    """A transaction for `statements` statements; one statement is its own transaction
    (autocommit), which saves a webhook the round trips of BEGIN and COMMIT."""
    if statements == 1:
        return engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    return engine.begin()


_PENDING = insert(table_of(PendingAnswer))
_QUEUE = insert(table_of(OutboxMessage))


def _pending_row(
    row: dict[str, object], inbound_id: int, community_id: int | None, by_chat: bool = False
) -> dict[str, object]:
    """The pending answer's columns (its id the stored message's); by a chat, its statement
    looks the community up."""
    pending = dict(
        id=inbound_id,
        channel=row["channel"],
        sender=row["sender"],
        message=row["message"],
        received_at=row["received_at"],
        attempts=0,
        next_attempt_at=row["received_at"],
    )
    return dict(pending, chat_id=row["sender"]) if by_chat else dict(pending, community_id=community_id)


@cache
def _keeping(
    dialect: str, community_by: CommunityBy, own_sender: bool = False
) -> tuple[Executable, Executable | None]:
    """The statement that keeps a message, built once, and the INSERT of its pending answer
    that must follow it (None when the first statement does both). A row comes back only when
    the message was new (and, to a number or slug, written to a community).

    To a community's number (or slug), an INSERT ... SELECT stores the message with the
    community it was written to, skipping a repeat. To the one Telegram bot, the message is
    stored without a community and waits under the one its chat has chosen so far (a round
    waits for its votes; the turn may change it). On PostgreSQL a CTE inserts the pending
    answer in the same statement."""
    table, pending = table_of(InboundLog), table_of(PendingAnswer)
    names = ("channel", "provider_message_id", "sender", "body", "payload", "raw", "received_at")
    values = {name: bindparam(name, type_=table.c[name].type) for name in names}
    insert_into = _INSERTS[dialect](table)
    if community_by == CommunityBy.CHAT:
        store = insert_into.values(values)
    else:
        recipient = bindparam("recipient", type_=table_of(Community).c.slug.type)
        where = (
            Community.slug == recipient
            if community_by == CommunityBy.SLUG
            else routing.number_is(recipient, own_sender)
        )
        store = insert_into.from_select(
            [*names, "community_id"], select(*values.values(), Community.id).where(where)
        )
    keeping = store.on_conflict_do_nothing(
        index_elements=[table.c.channel, table.c.provider_message_id]
    ).returning(table.c.id, table.c.community_id)

    def chosen(chat_id: ColumnElement[Any]) -> ScalarSelect[int]:  # the chat's community so far
        return select(TelegramChat.community_id).where(TelegramChat.chat_id == chat_id).scalar_subquery()

    if dialect != "postgresql":
        if community_by != CommunityBy.CHAT:
            return keeping, _PENDING
        return keeping, _PENDING.values(community_id=chosen(bindparam("chat_id")))
    stored = keeping.returning(table.c.channel, table.c.sender, table.c.received_at).cte("stored")
    both = (
        insert(pending)
        .from_select(
            [
                "id",
                "community_id",
                "channel",
                "sender",
                "message",
                "received_at",
                "attempts",
                "next_attempt_at",
            ],
            select(
                stored.c.id,
                chosen(stored.c.sender) if community_by == CommunityBy.CHAT else stored.c.community_id,
                stored.c.channel,
                stored.c.sender,
                bindparam("message", type_=pending.c.message.type),
                stored.c.received_at,
                literal(0),
                stored.c.received_at,
            ),
        )
        .returning(pending.c.id, pending.c.community_id)
    )
    return both, None


def answer_stored(
    session: Session, message: InboundMessage, pending: PendingAnswer, per_minute: int | None
) -> Receipt:
    """Answer a message `keep` stored, as `receive` would have when it came: the turn's time
    is when it was received (a vote sent before the close counts, one sent after does not).
    Within a group (`Group.begin`), what the group read at its start serves the turn."""
    now = pending.received_at
    log = Stored(pending.id, pending.channel, pending.sender, now)
    group = Group.of(session)
    if spec(pending.channel).community_by == CommunityBy.CHAT:
        return _turn(session, message, log, None, now, per_minute, group=group)  # the chat's choice decides
    community = group.community(pending.community_id) if group else None
    if community is None:
        community = session.get(Community, pending.community_id)
    if community is None:  # `keep` stores a message to a number or slug only with its community
        raise LookupError(f"pending answer {pending.id} has no community")
    known = group.writer(community, message.address) if group else _UNREAD
    if isinstance(known, _Unread):
        known = find_writer(session, community, message.address)
    return _turn(session, message, log, community, now, per_minute, known, group)


class _Unread:
    """Not read by the group: look it up as usual."""


_UNREAD = _Unread()
_GROUP = "commonpurse.group"  # the key of a session's Group in session.info


# Built once: a group's communities, and who writes its messages (each row is matched on its
# community, kind and value after: the lists' cross product may find a few more).
_COMMUNITIES = select(Community).where(Community.id.in_(bindparam("ids", expanding=True)))
_OPEN_ROUND = (
    select(Round.id)
    .where(Round.community_id == Identity.community_id, Round.status == RoundStatus.OPEN)
    .order_by(Round.id)
    .limit(1)
    .correlate(Identity)
    .scalar_subquery()
)  # as current_round() finds it
_WRITERS = (
    select(Identity, Conversation, _OPEN_ROUND.label("round_id"), Ballot.id, Ballot.receipt)
    .options(joinedload(Identity.resident))
    .outerjoin(Conversation, Conversation.resident_id == Identity.resident_id)
    .outerjoin(Ballot, and_(Ballot.resident_id == Identity.resident_id, Ballot.round_id == _OPEN_ROUND))
    .where(
        # All three columns of identity's key (community, kind, value), so the key's index finds
        # the rows: without the kind between them it read every identity of the community (a
        # whole-table scan on PostgreSQL, for every group of answers).
        Identity.community_id.in_(bindparam("ids", expanding=True)),
        Identity.kind.in_(bindparam("kinds", expanding=True)),
        Identity.value.in_(bindparam("values", expanding=True)),
    )
)  # ... with their conversation, and their ballot in the open round (a vote is the common turn)


class Group:
    """What a worker's group of turns (one transaction, bot.messaging.pending) reads once: the
    communities, who writes each message (identity, resident, conversation and ballot in the
    open round, one query for the lot), the figures of `Shared`; and what it writes at its end
    instead of turn by turn: the replies (one INSERT) and the stored rows' changes. A turn whose
    resident an earlier turn of the group already had reads afresh (that turn may have joined,
    erased or moved them), and what the group still holds is written first (erasure and STOP
    read the stored rows and the outbox)."""

    def __init__(self, session: Session, pendings: list[PendingAnswer]) -> None:
        self.shared = Shared()
        self.stored: list[Stored] = []
        self.replies: list[dict[str, Any]] = []  # outbox rows
        self.touched: set[int] = set()  # residents an earlier turn of the group had
        self.pendings = pendings
        self.arrivals: dict[tuple[str, str | None], list[datetime]] | None = None  # at the first flood check
        by_community = [p for p in pendings if p.community_id is not None]
        ids = {p.community_id for p in by_community}
        self.communities = {c.id: c for c in session.scalars(_COMMUNITIES, {"ids": list(ids)})} if ids else {}
        self.writers: dict[tuple[int, str, str], Identity | None] = {}
        self.conversations: dict[int, Conversation | None] = {}
        keys = {
            (p.community_id, identity_kind(p.channel), p.sender)
            for p in by_community
            if p.community_id is not None and p.sender
        }
        if not keys:
            return
        self.writers = dict.fromkeys(keys)
        rows = session.execute(
            _WRITERS,
            {
                "ids": list({k[0] for k in keys}),
                "kinds": list({k[1] for k in keys}),
                "values": list({k[2] for k in keys}),
            },
        ).all()
        for identity, conversation, round_id, ballot_id, receipt in rows:
            key = (identity.community_id, identity.kind, identity.value)
            if key in self.writers:
                self.writers[key] = identity
                self.conversations[identity.resident_id] = conversation
                if round_id is not None:
                    self.shared.ballots[(round_id, identity.resident_id)] = Seen(ballot_id, receipt)
        self._make_newcomers(session, pendings)

    def _make_newcomers(self, session: Session, pendings: list[PendingAnswer]) -> None:
        """Whoever writes to a community's number for the first time is made now (pending, with
        their identity and an empty conversation, as each turn would make them), all in one
        flush: a few statements for the group, where each newcomer's turn took three and a flush
        of their own. Not a chat's writer (the chat's choice decides, when the turn comes), nor
        an address nobody can write from; and nobody in a group where a contact is shared, whose
        turn may link a phone to someone a newcomer's turn would then find."""
        if any((pending.message or {}).get("contact") for pending in pendings):
            return
        made: dict[tuple[int, str, str], tuple[Resident, Conversation]] = {}
        for pending in pendings:
            channel = spec(pending.channel)
            if pending.community_id is None or channel.community_by == CommunityBy.CHAT:
                continue
            if channel.normalise(pending.sender) is None:
                continue  # "VODAFONE": not answered, and nobody is made for it
            key = (pending.community_id, identity_kind(pending.channel), pending.sender)
            if key in made or key not in self.writers or self.writers[key] is not None:
                continue  # someone writes from it already
            address, now = Address(pending.channel, pending.sender), pending.received_at
            resident = add_newcomer(session, pending.community_id, address, now)
            made[key] = resident, new_conversation(session, resident, now)
        if not made:
            return
        session.flush()
        for key, (resident, conversation) in made.items():
            self.writers[key] = resident.identities[0]
            self.conversations[resident.id] = conversation

    @staticmethod
    def begin(session: Session, pendings: list[PendingAnswer]) -> "Group":
        """Read what the group's turns will need, and let answer_stored find it."""
        group = session.info[_GROUP] = Group(session, pendings)
        return group

    @staticmethod
    def of(session: Session) -> "Group | None":
        return session.info.get(_GROUP)

    def community(self, community_id: int | None) -> Community | None:
        return self.communities.get(community_id) if community_id is not None else None

    def writer(self, community: Community, address: Address) -> Identity | None | _Unread:
        """The identity writing from `address` as the group read it (None: nobody yet), or
        _UNREAD where that may no longer hold."""
        key = (community.id, identity_kind(address.channel), address.user_id)
        if key not in self.writers:
            return _UNREAD
        identity = self.writers[key]
        if identity is None:
            return None if not self.touched else _UNREAD  # an earlier turn may have made them
        if identity.resident_id in self.touched or inspect(identity).deleted or inspect(identity).detached:
            return _UNREAD
        return identity

    def conversation(self, session: Session, resident: Resident, now: datetime) -> Conversation:
        """The resident's conversation, as the group read it if no earlier turn had them."""
        if resident.id in self.touched or resident.id not in self.conversations:
            return conversation_for(session, resident, now)
        conversation = self.conversations[resident.id]
        return conversation if conversation is not None else new_conversation(session, resident, now)

    def recent(self, session: Session, log: Stored) -> int:
        """What `_recent` counts, from one read of when the group's senders wrote (a query and
        an autoflush each turn, a quarter of a worker's time under a surge of newcomers)."""
        if self.arrivals is None:
            self.arrivals = {}
            times = [p.received_at for p in self.pendings]
            rows = session.execute(
                _ARRIVALS,
                {
                    "channels": list({p.channel for p in self.pendings}),
                    "senders": list({p.sender for p in self.pendings}),
                    "since": min(times) - timedelta(minutes=1),
                    "until": max(times),
                },
            )
            for channel, sender, received_at in rows:
                self.arrivals.setdefault((channel, sender), []).append(received_at)
        since = log.received_at - timedelta(minutes=1)
        return sum(
            since < at <= log.received_at for at in self.arrivals.get((log.channel, log.sender or ""), [])
        )

    def write(self, log: Stored) -> None:
        """Keep the stored row's changes for the end of the group."""
        if log.changes:
            self.stored.append(log)

    def queue(self, **reply: Any) -> None:
        """Keep a reply (enqueue's arguments) for the group's one INSERT at its end."""
        self.replies.append(outbox_row(**reply))

    def finish_turn(self, *residents: int) -> None:
        """The turn of these residents is done: later turns of the group read them afresh."""
        self.touched.update(residents)

    def before_turn(self, session: Session, resident: Resident) -> None:
        """A resident the group had already: what earlier turns changed is written first."""
        if resident.id in self.touched:
            self.flush(session)

    def flush(self, session: Session) -> None:
        """Queue the replies (one INSERT for them all) and write the stored rows' changes (one
        statement for each set of columns changed)."""
        if self.replies:
            session.execute(_QUEUE, self.replies)
            self.replies = []
        by_columns: dict[tuple[str, ...], list[dict[str, object]]] = {}
        for log in self.stored:
            by_columns.setdefault(tuple(sorted(log.changes)), []).append({"stored_id": log.id, **log.changes})
        self.stored.clear()
        for rows in by_columns.values():
            session.execute(_UPDATE_STORED, rows)


def _receive(
    db: Database, message: InboundMessage, now: datetime, per_minute: int | None, received_at: datetime
) -> Receipt:
    channel = spec(message.address.channel)
    with db.transaction() as session:
        if channel.community_by == CommunityBy.CHAT:
            # One bot serves every community: the chat's choice, not the recipient, decides.
            log = _store(session, None, message, received_at)
            if log is None:
                return _duplicate(message)
            return _turn(session, message, log, None, now, per_minute)
        community = routing.by_recipient(session, channel, message.recipient)
        if community is None:
            return _unknown_recipient(message)
        # Who writes is looked up first, so the row is stored knowing them.
        known = find_writer(session, community, message.address)
        log = _store(session, community, message, received_at, known)
        if log is None:
            return _duplicate(message)
        return _turn(session, message, log, community, now, per_minute, known)


def _turn(
    session: Session,
    message: InboundMessage,
    log: Stored,
    community: Community | None,
    now: datetime,
    per_minute: int | None,
    known: Identity | None | _Unread = _UNREAD,
    group: Group | None = None,
) -> Receipt:
    """Answer a stored message: `community` is None when the chat's choice decides it; `known`
    is who writes, if looked up already (None: nobody yet)."""
    if spec(message.address.channel).normalise(message.address.user_id) is None:
        # "VODAFONE", a short code, "not-a-number": no resident writes from there, and a reply
        # would cost money and fail. The message stays stored, without its words.
        logger.warning(
            "inbound %s message from %s, not an address a resident has: not answered",
            message.address.channel,
            mask(message.address.user_id),
        )
        log.changes.update(body=None, raw=None)
        _write(session, log, group)
        return Receipt(Outcome.UNANSWERABLE)
    entry = False
    if community is None:
        route = routing.route(session, message, now)
        if route.community is None or route.bad_code:
            receipt = _ask_for_code(session, message, log, route, now)
            _write(session, log, group)
            return receipt
        community, entry = route.community, route.entry
        log.changes["community_id"] = community.id
    replies = _answer(session, community, message, log, now, entry, per_minute, known, group)
    _write(session, log, group)
    return Receipt(Outcome.HANDLED, replies)


def _unknown_recipient(message: InboundMessage) -> Receipt:
    logger.warning(
        "inbound %s message to unknown recipient %s ignored", message.address.channel, mask(message.recipient)
    )
    return Receipt(Outcome.UNKNOWN_RECIPIENT)


def _duplicate(message: InboundMessage) -> Receipt:
    logger.info("duplicate %s message %s ignored", message.address.channel, message.provider_message_id)
    return Receipt(Outcome.DUPLICATE)


def _ask_for_code(
    session: Session, message: InboundMessage, log: Stored, route: routing.Route, now: datetime
) -> Receipt:
    """A chat that has not chosen a community yet, or gave a code nobody has."""
    language = route.community.default_language if route.community else "en"
    key = "telegram_unknown_code" if route.bad_code else "telegram_ask_code"
    log.changes.update(body=None, raw=None)  # not a resident of anything yet: keep nothing said
    enqueue(session, address=message.address, text=render(key, language), now=now)
    return Receipt(Outcome.NEEDS_COMMUNITY, 1)


def _normalised(message: InboundMessage) -> InboundMessage:
    """Addresses in our canonical form (E.164 for phones), text and payload safe to store."""
    channel = spec(message.address.channel)
    user_id = channel.normalise(message.address.user_id) or message.address.user_id
    recipient = message.recipient
    if channel.community_by == CommunityBy.NUMBER and recipient:
        recipient = channel.normalise(recipient) or recipient
    return replace(
        message,
        address=Address(channel.name, user_id),
        recipient=recipient,
        text=clean_text(message.text) or "",  # text in, text out: `or` only narrows the type
        payload=clean_text(message.payload),
        raw=clean_raw(message.raw),
    )


def _store(
    session: Session | Connection,
    community: Community | None,
    message: InboundMessage,
    now: datetime,
    known: Identity | None = None,
) -> Stored | None:
    """Store the message in one statement; None if it was stored before (a provider's repeat),
    which the unique (channel, provider id) tells without a savepoint."""
    table = table_of(InboundLog)
    row_id = session.scalar(
        _INSERTS[_dialect(session)](table)
        .values(
            community_id=community.id if community else None,
            resident_id=known.resident_id if known else None,
            **_columns(message, now),
        )
        .on_conflict_do_nothing(index_elements=[table.c.channel, table.c.provider_message_id])
        .returning(table.c.id)
    )
    if row_id is None:
        return None
    return Stored(
        row_id, message.address.channel, message.address.user_id, now, known.resident_id if known else None
    )


def _columns(message: InboundMessage, received_at: datetime) -> dict[str, object]:
    """The stored row's columns that come from the message itself."""
    return dict(
        channel=message.address.channel,
        provider_message_id=message.provider_message_id,
        sender=message.address.user_id,
        body=message.text,
        payload=message.payload,
        raw=message.raw or None,
        received_at=received_at,
    )


def _dialect(executor: Session | Connection) -> str:
    """The name of the database behind a session or a connection ("postgresql", "sqlite")."""
    bind = executor if isinstance(executor, Connection) else executor.get_bind()
    return bind.dialect.name


def _write(session: Session, log: Stored, group: Group | None = None) -> None:
    """What the turn changed on the stored row, in one UPDATE (none when nothing did); in a
    group, with the group's others at its end."""
    if group is not None:
        group.write(log)
    elif log.changes:
        session.execute(_UPDATE_STORED, {"stored_id": log.id, **log.changes})


_UPDATE_STORED = update(table_of(InboundLog)).where(
    table_of(InboundLog).c.id == bindparam("stored_id")
)  # SET: the columns given


def _flooding(session: Session, log: Stored, per_minute: int, group: Group | None) -> bool:
    return _recent(session, log, group) > per_minute


def _recent(session: Session, log: Stored, group: Group | None = None) -> int:
    """Messages from this sender in the minute up to this one, this one included (by when
    they arrived, so messages replayed from the spool count as they were sent). In a group,
    from what the group read once for all its senders."""
    if group is not None:
        return group.recent(session, log)
    return session.execute(
        _RECENT,
        {
            "channel": log.channel,
            "sender": log.sender,
            "since": log.received_at - timedelta(minutes=1),
            "until": log.received_at,
        },
    ).scalar_one()


_ARRIVALS = select(InboundLog.channel, InboundLog.sender, InboundLog.received_at).where(
    InboundLog.channel.in_(bindparam("channels", expanding=True)),
    InboundLog.sender.in_(bindparam("senders", expanding=True)),
    InboundLog.received_at > bindparam("since"),
    InboundLog.received_at <= bindparam("until"),
)  # when a group's senders wrote, over the minutes its flood checks look at
_RECENT = (
    select(func.count())
    .select_from(InboundLog)
    .where(
        InboundLog.channel == bindparam("channel"),
        InboundLog.sender == bindparam("sender"),
        InboundLog.received_at > bindparam("since"),
        InboundLog.received_at <= bindparam("until"),
    )
)


def _answer(
    session: Session,
    community: Community,
    message: InboundMessage,
    log: Stored,
    now: datetime,
    entry: bool,
    per_minute: int | None,
    known: Identity | None | _Unread = _UNREAD,
    group: Group | None = None,
) -> int:
    looked_up = not isinstance(known, _Unread)
    identity = None if isinstance(known, _Unread) else known
    resident = resident_for(session, community, message.address, now, identity, looked_up=looked_up)
    if group is not None:
        group.before_turn(session, resident)
    writer = resident.id
    if (
        message.language
        and resident.language is None
        and resident.status == ResidentStatus.PENDING
        and message.language in (community.languages or ())
    ):
        resident.language = message.language  # a newcomer starts in their app's language
    if looked_up and identity is None:  # a newcomer, made just now: no conversation yet
        conversation = new_conversation(session, resident, now)
    elif group is not None:
        conversation = group.conversation(session, resident, now)
    else:
        conversation = conversation_for(session, resident, now)
    whole = message.payload or message.text or ""
    text, cut = whole[:MAX_TEXT], max(0, len(whole) - MAX_TEXT)
    if entry:  # /start or a join code: greet newcomers, show members the menu, rejoin the stopped
        text = "START" if resident.opted_out else "" if resident.status == ResidentStatus.PENDING else "HELP"
        cut = 0
    withdrawn = withdrawn_language(resident.language, community)  # its words still understood
    command = parse(text, (*(community.languages or ("en",)), *((withdrawn,) if withdrawn else ())))
    turn = Turn(
        session,
        community,
        resident,
        conversation,
        text,
        command,
        now,
        contact=message.contact,
        channel=message.address.channel,
        cut=cut,
        shared=group.shared if group is not None else Shared(),
    )
    if (
        per_minute is None
        or command.keyword in ALWAYS_ANSWERED
        or not _flooding(session, log, per_minute, group)
    ):
        replies = handle(turn)
    else:
        # Stored, not acted on; one "slow down" when the limit is first passed, except to
        # someone who sent STOP: after its confirmation nothing goes out but START's.
        first = _recent(session, log, group) == per_minute + 1
        replies = [turn.say("slow_down")] if first and not resident.opted_out else []
    resident = turn.resident  # sharing a phone number may have joined two residents into one
    if group is not None:
        group.finish_turn(writer, resident.id)
    if resident.id != log.resident_id:
        log.changes["resident_id"] = resident.id
    for reply in replies:
        (group.queue if group is not None else partial(enqueue, session))(
            address=message.address,
            text=reply.text,
            choices=reply.choices,
            community_id=community.id,
            resident_id=resident.id,
            now=now,
            sender=sender_for(community, message.address),
            erase_after_send=reply.final,
        )
    if resident.status in (ResidentStatus.PENDING, ResidentStatus.ERASED):
        # Nothing is kept about someone who has not consented, or who asked us to forget them.
        log.changes.update(body=None, raw=None)
        if resident.status == ResidentStatus.ERASED:
            log.changes["sender"] = None
    return len(replies)
