"""Answering the messages webhooks stored and left to a worker (INBOUND_ANSWER=worker).

Answers are committed in groups (GROUP): one transaction holds the turns' changes, their
replies in the outbox and the pending rows' deletion (turns run community by community, so
workers take community locks in one order), so a crash before the commit leaves the
messages to be answered again and one after it never answers twice. A turn that fails undoes
its group; the worker then answers one message a transaction, and a failing one is tried again
later (ATTEMPTS). A sender's messages are answered in the order they came: one is
taken only when none of theirs is older, whichever worker holds that one (SKIP LOCKED on
PostgreSQL lets several workers share the queue; SQLite takes one writer at a time anyway).
"""

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, delete, exists, func, inspect, select, update
from sqlalchemy.orm import aliased

from bot.context import Database
from bot.domain.erasure import forget_pending
from bot.messaging import spool
from bot.messaging.inbound import Group, Receipt, answer_stored, retrying
from channels.messages import message_from_json
from models import InboundLog, PendingAnswer, table_of

logger = logging.getLogger(__name__)

BATCH = 50  # answers a pass takes before the dispatcher sends what they queued
GROUP = 10  # answers committed together (one commit, the community and its round read once)
ATTEMPTS = 3  # a message whose turn fails this often is left unanswered (and logged)
BACKOFF = timedelta(seconds=5)
PROBE = 0.002  # seconds a busy worker on SQLite steps aside to see whether webhooks are waiting
FLOOD = 5  # a busy worker on SQLite holds the lock at most a fifth of its share in a flood...
FLOOD_GAP = 0.002  # ...of messages stored faster than one each 2 ms while it stands aside (a
# surge of 200 a second stores 15-25 in the 90 ms a group of 30 ms stands aside for: not a flood)


def answer_pending(
    db: Database,
    clock: Callable[[], datetime],
    per_minute: int | None,
    limit: int = BATCH,
    lock_share: float = 1.0,
    pause: Callable[[float], None] = time.sleep,
    timer: Callable[[], float] = time.monotonic,
) -> int:
    """Answer up to `limit` waiting messages, oldest first; returns how many were taken.

    On SQLite a group holds the database's one write lock from its start to its commit, and
    webhooks wait for it: after a full group the worker steps aside for a moment (PROBE), and
    if messages were stored since it last looked, it stands aside long enough that it holds the
    lock at most `lock_share` of the time (1: it never stands aside), and longer while a flood
    lasts (_stand_aside). Once they stop coming it answers what is left at full speed. (While a
    group holds the lock nothing can be stored, so the moment aside is what lets webhooks
    waiting for it show themselves.)"""
    taken, held, busy = 0, 0.0, False
    newest = _newest(db) if lock_share < 1 else 0
    while taken < limit:
        if busy and lock_share < 1:  # the last group was full: is anyone waiting to store more?
            newest = _stand_aside(db, newest, held, lock_share, pause)
        started, most = timer(), min(GROUP, limit - taken)
        answered = _answer_group(db, clock(), per_minute, most)
        held, busy = timer() - started, answered == most
        if answered is None:  # a turn of the group failed: the next are answered one by one
            answered = 0
            while answered < min(GROUP, limit - taken) and _answer_next(db, clock(), per_minute):
                answered += 1
        if not answered:
            break
        taken += answered
    return taken


def _stand_aside(
    db: Database, newest: int, held: float, lock_share: float, pause: Callable[[float], None]
) -> int:
    """After a full group that held the lock `held` seconds: step aside a moment (PROBE), and if
    webhooks stored messages meanwhile, stand aside so that the group held at most `lock_share`
    of the time. If they stored them faster than one each FLOOD_GAP while it stood aside (a
    flood: all the lock's time is wanted to store what arrives), stand aside as long again, and
    so on while the flood lasts, down to a fifth of that share (FLOOD). Returns the newest
    stored message seen."""
    pause(PROBE)
    latest = _newest(db)
    if latest == newest:
        return latest  # nobody was waiting
    aside, longest = held * (1 / lock_share - 1), held * (FLOOD / lock_share - 1)
    # Each wait at least a moment, so that a flood can be told apart after a short group too.
    window, waited = max(PROBE, aside - PROBE), PROBE
    while True:
        pause(window)  # the time asked for: a worker that oversleeps stands aside longer
        waited += window
        newest = _newest(db)
        if newest - latest < window / FLOOD_GAP or waited >= longest:
            return newest
        latest, window = newest, max(PROBE, min(aside, longest - waited))


def _newest(db: Database) -> int:
    """The newest stored message's number: it grows while webhooks store messages (a read, which
    waits for no lock)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.execute(_NEWEST).scalar() or 0


_NEWEST = select(func.max(table_of(InboundLog).c.id))


def _answer_group(db: Database, now: datetime, per_minute: int | None, most: int) -> int | None:
    """Answer up to `most` messages that may go now in one transaction (one commit for the lot,
    the community and its round read once): how many, or None if a turn failed, when nothing of
    the group is kept and each is tried again alone (so one bad message fails only itself)."""
    group: Sequence[PendingAnswer] = ()
    try:
        with db.transaction() as session:
            group = session.scalars(*_next(now, most)).all()
            read = Group.begin(session, list(group))  # who writes, their community: one read for all
            for pending in sorted(group, key=_lock_order):
                if _forgotten(pending):  # an earlier turn erased its sender (DELETE)
                    continue
                answer_stored(session, message_from_json(pending.message), pending, per_minute)
            read.flush(session)
            if group:
                session.execute(_ANSWERED, {"ids": [pending.id for pending in group]})
            return len(group)
    except Exception as exc:
        if spool.is_outage(exc) and not _reachable(db):
            raise
        logger.warning(
            "a group of %s answers was undone (%s); answering one by one", len(group), type(exc).__name__
        )
        return None


_ANSWERED = delete(table_of(PendingAnswer)).where(
    table_of(PendingAnswer).c.id.in_(bindparam("ids", expanding=True))
)  # built once; on the table: no object of the session needs to learn of it


def _lock_order(pending: PendingAnswer) -> tuple[int, int]:
    """The order a group's turns run in: by community, then as they came. A turn may lock its
    community's row (an idea's number, the money left) until the group commits; taking those
    locks in one order keeps two workers' groups from waiting on each other in a cycle. A group
    holds one message per sender, so each sender's messages still go in the order they came."""
    return pending.community_id or 0, pending.id


def _forgotten(pending: PendingAnswer) -> bool:
    """Whether the pending row was deleted by an earlier turn of the same transaction (erasure
    drops the messages its resident's addresses left waiting)."""
    state = inspect(pending)
    return state.was_deleted or state.detached


def _answer_next(db: Database, now: datetime, per_minute: int | None) -> bool:
    """Answer the next message that may go now; False when there is none."""
    taken: list[int] = []

    def turn() -> Receipt | None:
        taken.clear()
        with db.transaction() as session:
            pending = session.scalar(*_next(now))
            if pending is None:
                return None
            taken.append(pending.id)
            message = message_from_json(pending.message)
            receipt = answer_stored(session, message, pending, per_minute)
            session.execute(delete(PendingAnswer).where(PendingAnswer.id == pending.id))
            return receipt

    try:
        return retrying(turn, "pending message") is not None
    except Exception as exc:
        if not taken or (spool.is_outage(exc) and not _reachable(db)):
            raise  # the database is away: everything waits for it, nothing is counted as tried
        logger.exception("answering inbound message (pending %s) failed", taken[0])
        _failed(db, taken[0], now)
        return True


def _reachable(db: Database) -> bool:
    """Whether the database answers now: an OperationalError of a turn (a statement timeout,
    a deadlock) is that turn's failure, not an outage, if it does."""
    try:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return True
    except Exception:
        return False


def _next(now: datetime, most: int = 1) -> tuple[Select[PendingAnswer], dict[str, datetime]]:
    """The oldest `most` messages due whose senders have no older one waiting, locked for this
    worker: the statement (built once for each `most`) and its parameters."""
    return _taking(most), {"now": now}


@cache
def _taking(most: int) -> Select[PendingAnswer]:
    older = aliased(PendingAnswer)
    return (
        select(PendingAnswer)
        .where(
            PendingAnswer.next_attempt_at <= bindparam("now"),
            ~exists().where(
                older.channel == PendingAnswer.channel,
                older.sender == PendingAnswer.sender,
                older.id < PendingAnswer.id,
            ),
        )
        .order_by(PendingAnswer.id)
        .limit(most)
        .with_for_update(skip_locked=True)
    )


def _failed(db: Database, pending_id: int, now: datetime) -> None:
    """Try a failed turn again later; after ATTEMPTS, give up on answering it (the message stays
    stored, and the sender's later messages go on)."""
    with db.transaction() as session:
        attempts = session.scalar(select(PendingAnswer.attempts).where(PendingAnswer.id == pending_id))
        if attempts is None:
            return
        if attempts + 1 >= ATTEMPTS:
            forget_pending(session, [pending_id])
            logger.error(
                "inbound message (pending %s) left unanswered after %s attempts; its "
                "text and sender are erased",
                pending_id,
                ATTEMPTS,
            )
            return
        session.execute(
            update(PendingAnswer)
            .where(PendingAnswer.id == pending_id)
            .values(attempts=attempts + 1, next_attempt_at=now + BACKOFF * (attempts + 1))
        )
