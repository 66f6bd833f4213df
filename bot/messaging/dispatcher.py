"""The dispatcher: claims due outbox rows, sends them through their channel, records the result.

A claim is a lease: a row is "sending" since `claimed_at`, and once LEASE has passed any
dispatcher may take it over, so a worker that dies holds nothing for long and no scheduler is
needed to free its rows. Rows are claimed a batch at a time (SKIP LOCKED on PostgreSQL, a
guarded UPDATE on SQLite). Just before sending, rows are checked again (still ours, their
resident still wants messages) and their lease renewed, a few at a time: as many as were sent
in the last `window` seconds, and the sends accepted meanwhile are recorded in that same
transaction. So a STOP is honoured within `window`, and a crash can send twice only what the
provider accepted in the last `window` before it (one message, when sends are paced or slow).

News we start (a held row) never goes inside its community's quiet hours: one that reaches its
check in them (retried after an error, or paced past the start of the hours) is put back until
they end, its attempt given back. Answers due are claimed before news that waited (for the end
of quiet hours, or to be retried), so a resident who writes at 08:01 is not answered after a
morning's held ballots; otherwise rows go in the order they fell due.

A pass keeps one connection and speaks Core: the claim and the check of its first row are one
transaction, and each later check (record, renew, check) is one UPDATE ... RETURNING.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import (
    ARRAY,
    Column,
    ColumnClause,
    ColumnElement,
    CompoundSelect,
    Connection,
    Integer,
    Row,
    ScalarSelect,
    Select,
    any_,
    bindparam,
    case,
    literal,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.sql.dml import ReturningUpdate

from bot.context import Database
from bot.domain.outbox import resend_outside_window
from bot.domain.quiet_hours import quiet_until_in, send_at
from bot.domain.residents import mark_unreachable
from bot.messaging.spool import is_outage
from channels.base import Sender
from channels.errors import PermanentSendError, SendError, TransientSendError
from channels.messages import Address, OutboundMessage, choices_from_json
from channels.phone import mask
from channels.registry import CHANNELS, spec
from models import Community, Identity, OutboxMessage, Resident, table_of
from models.states import OutboxStatus, ResidentStatus

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
Claim = tuple[int, datetime]  # an outbox id and the time we claimed (or renewed) it
Ready = tuple[int, OutboundMessage]  # an outbox id, checked and renewed, and what to send
T = TypeVar("T")
Ts = TypeVarTuple("Ts")
_OUTBOX = table_of(OutboxMessage)
_ERASE = _OUTBOX.c.erase_after_send
_MARK_SENT = (
    _OUTBOX.update()
    .where(
        _OUTBOX.c.id == bindparam("row_id"),
        (_OUTBOX.c.status == OutboxStatus.SENDING) | (_OUTBOX.c.status == OutboxStatus.QUEUED),
    )
    .values(
        status=OutboxStatus.SENT,
        provider_id=bindparam("provider_id"),
        sent_at=bindparam("at"),
        error_code=None,
        error_message=None,
        body=case((_ERASE, None), else_=_OUTBOX.c.body),
        address=case((_ERASE, None), else_=_OUTBOX.c.address),
        choices=case((_ERASE, None), else_=_OUTBOX.c.choices),
        content_variables=case((_ERASE, None), else_=_OUTBOX.c.content_variables),
    )
)
# A row withdrawn at its check: the attempt the check counted is given back.
_CANCEL = (
    _OUTBOX.update()
    .where(_OUTBOX.c.id == bindparam("row_id"), _OUTBOX.c.status == OutboxStatus.SENDING)
    .values(status=OutboxStatus.CANCELLED, error_code=bindparam("reason"), attempts=_OUTBOX.c.attempts - 1)
)
# A held row that reached its check inside quiet hours: queued again for their end, the
# attempt given back (it was never tried).
_HOLD = (
    _OUTBOX.update()
    .where(_OUTBOX.c.id == bindparam("row_id"), _OUTBOX.c.status == OutboxStatus.SENDING)
    .values(
        status=OutboxStatus.QUEUED,
        next_attempt_at=bindparam("until"),
        claimed_at=None,
        attempts=_OUTBOX.c.attempts - 1,
    )
)


class Dispatcher:
    """Sends queued messages for the channels it was given; others are left for other workers."""

    def __init__(
        self,
        db: Database,
        channels: Mapping[str, Sender],
        clock: Callable[[], datetime],
        max_attempts: int = 6,
        batch: int = 50,
        base_backoff: float = 5.0,
        window: float = 0.1,
    ):
        self.db = db
        self.channels = dict(channels)
        self.clock = clock
        self.max_attempts = max_attempts
        self.batch = batch
        self.base_backoff = base_backoff
        self.window = window
        self.postgres = db.engine.dialect.name == "postgresql"
        # Sends the provider accepted that we have not recorded yet: recorded with the next
        # check, or first thing on the next pass if the database went away meanwhile, before
        # their claims can lapse and they go twice.
        self.unrecorded: dict[int, tuple[str, datetime]] = {}

    def run_once(self, address: Address | None = None) -> int:
        """Send what is due now; returns how many rows were attempted."""
        with self.db.engine.connect() as connection:
            claimed, ready = self._claim_and_start(connection, address)
            rest = claimed[1:]
            while True:
                began = time.monotonic()
                for row_id, message in ready:
                    self._send(row_id, message)
                if not rest:
                    break
                size = self._next_size(len(ready), time.monotonic() - began)
                ready = self._start_many(rest[:size], connection)
                rest = rest[size:]
            self._record_unrecorded(connection)
        return len(claimed)

    def _next_size(self, sent: int, elapsed: float) -> int:
        """As many as go out in `window`, at the pace `sent` sends took `elapsed` seconds: one
        at a time when sends are slow or paced, or when none went (no pace to go by)."""
        if not sent:
            return 1
        if elapsed <= 0:
            return self.batch
        return min(self.batch, max(1, int(sent * self.window / elapsed)))

    def run_forever(
        self, stop: threading.Event, interval: float, before_pass: Callable[[], int] | None = None
    ) -> None:
        """Poll until `stop` is set; errors are logged, never fatal. `before_pass` runs first
        on every pass (inbound work: the spool's replay, answers left to a worker) and says how
        much it did; a pass that did anything is followed by another at once."""
        logger.info("dispatcher started for channels: %s", ", ".join(self.channels) or "none")
        away: float | None = None  # when the database was found away; one line says so, one that it is back
        while not stop.is_set():
            done = 0
            try:
                if before_pass is not None:
                    done += before_pass() or 0
                done += self.run_once()
                if away is not None:
                    logger.warning("database back after %.0f s: dispatching again", time.monotonic() - away)
                    away = None
            except Exception as exc:
                if not is_outage(exc):
                    logger.exception("dispatcher pass failed")
                elif away is None:
                    away = time.monotonic()
                    logger.warning("database unavailable (%s): dispatching waits for it", type(exc).__name__)
            if not done:
                stop.wait(interval)

    def _claim_and_start(
        self, connection: Connection, address: Address | None
    ) -> tuple[list[Claim], list[Ready]]:
        """One transaction: record what was sent since the last check, claim a batch, and
        check and renew its first row. The claims, and the first row if it may go."""
        recording = dict(self.unrecorded)
        if not recording and not self._channels_for(address):
            return [], []
        with connection.begin():
            if recording:
                self._sent(connection, recording)
            claimed = self._claiming(connection, address)
            ready = self._starting(connection, claimed[:1])
        self._recorded(recording)
        return claimed, ready

    def _claim(self, address: Address | None) -> list[Claim]:
        """Claim a batch in a transaction of its own (without starting any of it)."""
        with self.db.engine.begin() as connection:
            return self._claiming(connection, address)

    def _channels_for(self, address: Address | None) -> tuple[str, ...]:
        return tuple(c for c in self.channels if address is None or c == address.channel)

    def _claiming(self, connection: Connection, address: Address | None) -> list[Claim]:
        """Take up to `batch` rows: lapsed claims first, then due rows, oldest first. One
        SELECT finds them (locking them on PostgreSQL), one guarded UPDATE takes them."""
        channels = self._channels_for(address)
        if not channels:
            return []
        now = self.clock()
        lapse = now - LEASE
        found = connection.execute(
            _claimable(channels, address is not None, self.batch, self.postgres),
            {"now": now, "lapse": lapse, "to": address.user_id if address else None},
        ).all()
        found = sorted(found, key=_claim_order)[: self.batch]
        if not found:
            return []
        # The guard makes the claim safe where SKIP LOCKED does not exist (SQLite).
        won = set(
            connection.scalars(
                _claiming_update(self.postgres),
                {"ids": [row.id for row in found], "now": now, "lapse": lapse},
            )
        )
        for row in found:
            if row.lapsed and row.id in won:
                logger.warning("outbox %s: claim lapsed (a dispatcher stopped); taking it over", row.id)
        return [(row.id, now) for row in found if row.id in won]

    def _start(self, row_id: int, claimed_at: datetime) -> OutboundMessage | None:
        """Renew our claim and check the row may still go; the message to send, or None."""
        started = self._start_many([(row_id, claimed_at)])
        return started[0][1] if started else None

    def _start_many(self, claims: list[Claim], connection: Connection | None = None) -> list[Ready]:
        """Record what was sent since the last check; then renew our claim on `claims` and
        check each may still go. The messages to send, in the order given."""
        if not claims:
            return []
        recording = dict(self.unrecorded)
        with self._transaction(connection) as connection:
            if recording:
                self._sent(connection, recording)
            ready = self._starting(connection, claims)
        self._recorded(recording)
        return ready

    def _starting(self, connection: Connection, claims: list[Claim]) -> list[Ready]:
        """Renew our claim on `claims` (where it is still ours) and count the attempt, in one
        UPDATE that returns what the check needs; withdrawn rows are cancelled."""
        if not claims:
            return []
        now = self.clock()
        rows: list[Row[*tuple[Any, ...]]] = []
        for claimed_at, ids in _by_claim(claims).items():
            rows += connection.execute(
                _renewing(self.postgres), {"ids": ids, "was": claimed_at, "now": now}
            ).all()
        go = []
        for row in rows:
            reason = _withdrawn(row)
            until = _quiet_until(row, now)
            if reason:
                connection.execute(_CANCEL, {"row_id": row.id, "reason": reason})
                logger.info("outbox %s to %s cancelled: %s", row.id, mask(row.address), reason)
            elif until is not None:
                connection.execute(_HOLD, {"row_id": row.id, "until": until})
                logger.info("outbox %s held: quiet hours until %s", row.id, until.isoformat())
            else:
                go.append(row)
        order = {row_id: n for n, (row_id, _) in enumerate(claims)}
        return [(row.id, _outbound(row)) for row in sorted(go, key=lambda r: order[r.id])]

    @contextmanager
    def _transaction(self, connection: Connection | None) -> Iterator[Connection]:
        """A transaction on the pass's connection, or on one of its own."""
        if connection is None:
            with self.db.engine.begin() as connection:
                yield connection
        else:
            with connection.begin():
                yield connection

    def _send(self, row_id: int, message: OutboundMessage) -> None:
        channel = self.channels[message.address.channel]
        try:
            provider_id = channel.send(message)
        except TransientSendError as exc:
            self._retry(row_id, exc)
        except PermanentSendError as exc:
            self._fail(row_id, exc, exc.unreachable)
        except SendError as exc:
            self._fail(row_id, exc, None)
        except Exception as exc:  # an adapter bug must not lose the row
            logger.exception("outbox %s: unexpected error from %s", row_id, channel.name)
            self._retry(row_id, TransientSendError("internal", type(exc).__name__))
        else:
            self.unrecorded[row_id] = (provider_id, self.clock())

    def _record_unrecorded(self, connection: Connection | None = None) -> None:
        """Record the sends not recorded yet; if the database is away this raises and the
        pass ends, the rest keeping their claims."""
        if self.unrecorded:
            recording = dict(self.unrecorded)
            with self._transaction(connection) as connection:
                self._sent(connection, recording)
            self._recorded(recording)

    def _recorded(self, recording: Mapping[int, tuple[str, datetime]]) -> None:
        """Forget sends once the transaction recording them has committed."""
        for row_id in recording:
            self.unrecorded.pop(row_id, None)

    def _sent(self, connection: Connection, sent: Mapping[int, tuple[str, datetime]]) -> None:
        """Mark rows sent, in one statement; a row recorded already (another dispatcher took
        it over meanwhile) is left alone. A final message is erased once sent."""
        try:
            connection.execute(
                _MARK_SENT,
                [
                    {"row_id": row_id, "provider_id": provider_id, "at": at}
                    for row_id, (provider_id, at) in sent.items()
                ],
            )
        except Exception:
            logger.warning("%s sent messages could not be recorded yet", len(sent))
            raise

    def _retry(self, row_id: int, exc: TransientSendError) -> None:
        with self.db.transaction() as session:
            row = session.get_one(OutboxMessage, row_id)
            row.error_code, row.error_message = exc.code, exc.message
            if row.attempts >= self.max_attempts:
                row.status = OutboxStatus.FAILED
                logger.warning("outbox %s failed after %s attempts: %s", row_id, row.attempts, exc.code)
                return
            delay = exc.retry_after or self.base_backoff * 2 ** (row.attempts - 1)
            at = self.clock() + timedelta(seconds=delay)
            community = session.get(Community, row.community_id) if row.held and row.community_id else None
            # News retried into quiet hours waits for their end (the check would hold it anyway).
            row.status, row.next_attempt_at = OutboxStatus.QUEUED, send_at(community, at) if community else at
            logger.info("outbox %s: %s, retrying in %.0fs", row_id, exc.code, delay)

    def _fail(self, row_id: int, exc: SendError, unreachable: str | None) -> None:
        with self.db.transaction() as session:
            row = session.get_one(OutboxMessage, row_id)
            row.status, row.error_code, row.error_message = OutboxStatus.FAILED, exc.code, exc.message
            logger.warning("outbox %s to %s failed: %s", row_id, mask(row.address), exc.code)
            if unreachable and row.address and row.community_id:
                mark_unreachable(
                    session, row.community_id, Address(row.channel, row.address), unreachable, self.clock()
                )
            if exc.code in spec(row.channel).outside_window and resend_outside_window(
                session, row, self.clock()
            ):
                logger.info(
                    "outbox %s: outside the %s window, sent again by another channel", row_id, row.channel
                )


def _lock(query: Select[*Ts], locking: bool) -> Select[*Ts]:
    """Rows another dispatcher is claiming are skipped, not waited for (PostgreSQL)."""
    return query.with_for_update(skip_locked=True) if locking else query


def _among(column: ColumnElement[int], name: str, postgres: bool) -> ColumnElement[bool]:
    """`column` is in the list bound as `name`: one array parameter on PostgreSQL (the same
    statement text whatever the count, so it is prepared once), an expanding IN elsewhere."""
    if postgres:
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))


@cache
def _claimable(
    channels: tuple[str, ...], by_address: bool, batch: int, postgres: bool
) -> CompoundSelect[bool, bool, datetime, datetime, int]:
    """Up to `batch` lapsed claims, and of each channel up to `batch` due answers and up to
    `batch` due held rows (one index range each: status, channel, held, next_attempt_at), in
    one statement: (lapsed, held, created_at, next_attempt_at, id). Binds `now`, `lapse` and, if
    `by_address`, `to`."""
    c = _OUTBOX.c
    to = (c.address == bindparam("to"),) if by_address else ()
    lapsed = (
        select(literal(True).label("lapsed"), c.held, c.created_at, c.next_attempt_at, c.id)
        .where(
            c.status == OutboxStatus.SENDING, c.channel.in_(channels), c.claimed_at < bindparam("lapse"), *to
        )
        .order_by(c.id)
        .limit(batch)
    )
    due = [
        select(literal(False).label("lapsed"), c.held, c.created_at, c.next_attempt_at, c.id)
        .where(
            c.status == OutboxStatus.QUEUED,
            c.channel == channel,
            c.held.is_(held),
            c.next_attempt_at <= bindparam("now"),
            *to,
        )
        .order_by(c.next_attempt_at, c.id)
        .limit(batch)
        for channel in channels
        for held in (False, True)
    ]
    parts = [_lock(query, postgres).cte(f"claimable_{n}") for n, query in enumerate([lapsed, *due])]
    return union_all(*(select(part) for part in parts))


def _claim_order(
    row: Row[bool, bool, datetime, datetime, int],
) -> tuple[int, int] | tuple[int, datetime, int]:
    """Lapsed claims first (by id); then due rows by when they became due, except that news
    which waited (held for quiet hours, or retried) comes after the answers."""
    if row.lapsed:
        return (0, row.id)
    waited = row.held and row.next_attempt_at > row.created_at
    return (2 if waited else 1, row.next_attempt_at, row.id)


@cache
def _claiming_update(postgres: bool) -> ReturningUpdate[int]:
    """Claim the rows bound as `ids` that are still claimable at `now`; returns their ids."""
    c = _OUTBOX.c
    claimable = ((c.status == OutboxStatus.QUEUED) & (c.next_attempt_at <= bindparam("now"))) | (
        (c.status == OutboxStatus.SENDING) & (c.claimed_at < bindparam("lapse"))
    )
    return (
        update(_OUTBOX)
        .where(_among(c.id, "ids", postgres), claimable)
        .values(status=OutboxStatus.SENDING, claimed_at=bindparam("now"))
        .returning(c.id)
    )


@cache
def _renewing(postgres: bool) -> ReturningUpdate[*tuple[Any, ...]]:
    """Renew the claims on the rows bound as `ids` still claimed at `was`, to `now`, counting
    an attempt; returns each row with what says whether it may still go: its resident's
    status and opt-out, its address's reachability."""
    c = _OUTBOX.c
    residents, identities, communities = table_of(Resident), table_of(Identity), table_of(Community)
    kind = case({name: s.identity_kind for name, s in CHANNELS.items()}, value=_outer(c.channel))

    def of_resident(column: Column[T]) -> ScalarSelect[T]:
        return select(column).where(residents.c.id == _outer(c.resident_id)).scalar_subquery()

    def of_community(column: Column[T]) -> ScalarSelect[T]:
        return select(column).where(communities.c.id == _outer(c.community_id)).scalar_subquery()

    unreachable = (
        select(identities.c.unreachable)
        .where(
            identities.c.community_id == _outer(c.community_id),
            identities.c.kind == kind,
            identities.c.value == _outer(c.address),
        )
        .scalar_subquery()
    )
    return (
        update(_OUTBOX)
        .where(
            _among(c.id, "ids", postgres), c.status == OutboxStatus.SENDING, c.claimed_at == bindparam("was")
        )
        .values(claimed_at=bindparam("now"), attempts=c.attempts + 1)
        .returning(
            *c,
            of_resident(residents.c.status).label("resident_status"),
            of_resident(residents.c.opted_out).label("opted_out"),
            of_resident(residents.c.opted_out_at).label("opted_out_at"),
            unreachable.label("unreachable"),
            of_community(communities.c.quiet_start).label("quiet_start"),
            of_community(communities.c.quiet_end).label("quiet_end"),
            of_community(communities.c.timezone).label("timezone"),
        )
    )


def _outer(column: Column[T]) -> ColumnClause[T]:
    """The updated row's `column` inside a subquery of RETURNING, named with its table: for
    SQLite, SQLAlchemy names columns in RETURNING without their table, subqueries included,
    and a bare `community_id` there would be the subquery's own."""
    return literal_column(f"{_OUTBOX.name}.{column.name}", type_=column.type)


def _by_claim(claims: list[Claim]) -> dict[datetime, list[int]]:
    """The ids claimed at each time (one time, unless claims of several passes are mixed)."""
    grouped: dict[datetime, list[int]] = {}
    for row_id, claimed_at in claims:
        grouped.setdefault(claimed_at, []).append(row_id)
    return grouped


def _withdrawn(row: Row[*tuple[Any, ...]]) -> str | None:
    """Why a row must not go any more: its resident stopped (after it was queued) or was
    erased, or its address is dead. Confirmations of a STOP or an erasure still go."""
    if row.resident_status == ResidentStatus.ERASED and not row.erase_after_send:
        return "erased"
    if row.opted_out and row.opted_out_at is not None and row.created_at < row.opted_out_at:
        return "opted_out"
    if row.unreachable and row.community_id is not None and row.address:
        return f"unreachable:{row.unreachable}"
    return None


def _quiet_until(row: Row[*tuple[Any, ...]], now: datetime) -> datetime | None:
    """When the quiet hours a held row reached its check in end; None if it may go now."""
    if not row.held or row.quiet_start is None:
        return None
    return quiet_until_in(row.quiet_start, row.quiet_end, row.timezone, now)


def _outbound(row: Row[*tuple[Any, ...]]) -> OutboundMessage:
    return OutboundMessage(
        Address(row.channel, row.address or ""),
        row.body or "",
        choices_from_json(row.choices),
        row.sender,
        str(row.id),
        row.segments,
        row.content_sid,
        row.content_variables,
    )
