"""The dispatcher: claims due outbox rows, sends them through their channel, records the result.

A claim is a lease: a row is "sending" since `claimed_at`, and once LEASE has passed any
dispatcher may take it over, so a worker that dies holds nothing for long and no scheduler is
needed to free its rows. Rows are claimed a batch at a time (SKIP LOCKED on PostgreSQL, a
guarded UPDATE on SQLite). Just before sending, rows are checked again (still ours, their
resident still wants messages) and their lease renewed, a few at a time: as many as were sent
in the last `window` seconds, and the sends accepted meanwhile are recorded in that same
transaction. So a STOP is honoured within `window`, and a crash can send twice only what the
provider accepted in the last `window` before it (one message, when sends are paced or slow).
"""
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, select, update

from bot.context import Database
from bot.domain.residents import mark_unreachable
from channels.base import Sender
from channels.errors import PermanentSendError, SendError, TransientSendError
from channels.messages import Address, OutboundMessage, choices_from_json
from channels.phone import mask
from channels.registry import CHANNELS
from models import Identity, OutboxMessage, Resident

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
Claim = tuple[int, datetime]  # an outbox id and the time we claimed (or renewed) it
_OUTBOX = OutboxMessage.__table__
_ERASE = _OUTBOX.c.erase_after_send
_MARK_SENT = (_OUTBOX.update()
              .where(_OUTBOX.c.id == bindparam("row_id"),
                     (_OUTBOX.c.status == "sending") | (_OUTBOX.c.status == "queued"))
              .values(status="sent", provider_id=bindparam("provider_id"), sent_at=bindparam("at"),
                      error_code=None, error_message=None,
                      body=case((_ERASE, None), else_=_OUTBOX.c.body),
                      address=case((_ERASE, None), else_=_OUTBOX.c.address),
                      choices=case((_ERASE, None), else_=_OUTBOX.c.choices)))


class Dispatcher:
    """Sends queued messages for the channels it was given; others are left for other workers."""

    def __init__(self, db: Database, channels: Mapping[str, Sender], clock: Callable[[], datetime],
                 max_attempts: int = 6, batch: int = 50, base_backoff: float = 5.0,
                 window: float = 0.1):
        self.db = db
        self.channels = dict(channels)
        self.clock = clock
        self.max_attempts = max_attempts
        self.batch = batch
        self.base_backoff = base_backoff
        self.window = window
        # Sends the provider accepted that we have not recorded yet: recorded with the next
        # check, or first thing on the next pass if the database went away meanwhile, before
        # their claims can lapse and they go twice.
        self.unrecorded: dict[int, tuple[str, datetime]] = {}

    def run_once(self, address: Address | None = None) -> int:
        """Send what is due now; returns how many rows were attempted."""
        self._record_unrecorded()
        claimed = self._claim(address)
        size, rest = 1, claimed
        while rest:
            chunk, rest = rest[:size], rest[size:]
            began = time.monotonic()
            for row_id, message in self._start_many(chunk):
                self._send(row_id, message)
            elapsed = time.monotonic() - began
            # As many as go out in `window`: one at a time when sends are slow or paced.
            size = min(self.batch, max(1, int(len(chunk) * self.window / elapsed))
                       if elapsed > 0 else self.batch)
        self._record_unrecorded()
        return len(claimed)

    def run_forever(self, stop: threading.Event, interval: float,
                    before_pass: Callable[[], object] | None = None) -> None:
        """Poll until `stop` is set; errors are logged, never fatal. `before_pass` runs first
        on every pass (inbound work: the spool's replay, answers left to a worker) and says how
        much it did; a pass that did anything is followed by another at once."""
        logger.info("dispatcher started for channels: %s", ", ".join(self.channels) or "none")
        while not stop.is_set():
            done = 0
            try:
                if before_pass is not None:
                    done += before_pass() or 0
                done += self.run_once()
            except Exception:
                logger.exception("dispatcher pass failed")
            if not done:
                stop.wait(interval)

    def _claim(self, address: Address | None) -> list[Claim]:
        """Take up to `batch` rows: lapsed claims first, then due rows, oldest first."""
        channels = [c for c in self.channels if address is None or c == address.channel]
        if not channels:
            return []
        now = self.clock()
        to = () if address is None else (OutboxMessage.address == address.user_id,)
        locking = self.db.engine.dialect.name == "postgresql"
        with self.db.transaction() as session:
            lapsed = _lock(select(OutboxMessage.id).where(
                OutboxMessage.status == "sending", OutboxMessage.channel.in_(channels),
                OutboxMessage.claimed_at < now - LEASE, *to)
                .order_by(OutboxMessage.id).limit(self.batch), locking)
            ids = _won(session, list(session.scalars(lapsed)), now,
                       (OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < now - LEASE))
            for row_id in ids:
                logger.warning("outbox %s: claim lapsed (a dispatcher stopped); taking it over", row_id)
            due = []
            for channel in channels:  # one index range each: (status, channel, next_attempt_at)
                due += session.execute(_lock(
                    select(OutboxMessage.next_attempt_at, OutboxMessage.id).where(
                        OutboxMessage.status == "queued", OutboxMessage.channel == channel,
                        OutboxMessage.next_attempt_at <= now, *to)
                    .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                    .limit(self.batch - len(ids)), locking)).all()
            due = [row_id for _, row_id in sorted(due)[:self.batch - len(ids)]]
            # The guard makes the claim safe where SKIP LOCKED does not exist (SQLite).
            ids += _won(session, due, now, OutboxMessage.status == "queued")
        return [(row_id, now) for row_id in ids]

    def _start(self, row_id: int, claimed_at: datetime) -> OutboundMessage | None:
        """Renew our claim and check the row may still go; the message to send, or None."""
        started = self._start_many([(row_id, claimed_at)])
        return started[0][1] if started else None

    def _start_many(self, claims: list[Claim]) -> list[tuple[int, OutboundMessage]]:
        """Record what was sent since the last check; then renew our claim on `claims` and
        check each may still go. The messages to send, in the order given."""
        if not claims:
            return []
        now = self.clock()
        ours = dict(claims)
        recording = dict(self.unrecorded)
        with self.db.transaction() as session:
            if recording:
                self._sent(session, recording)
            rows = session.execute(_checking([row_id for row_id, _ in claims])).all()
            go = []
            for row in rows:
                if row.status != "sending" or row.claimed_at != ours[row.id]:
                    continue  # our claim lapsed and another dispatcher has it
                reason = _withdrawn(row)
                if reason:
                    session.execute(update(OutboxMessage).where(
                        OutboxMessage.id == row.id, OutboxMessage.status == "sending")
                        .values(status="cancelled", error_code=reason)
                        .execution_options(synchronize_session=False))
                    logger.info("outbox %s to %s cancelled: %s", row.id, mask(row.address), reason)
                    continue
                go.append(row)
            renewed = set(session.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([row.id for row in go]), OutboxMessage.status == "sending",
                       OutboxMessage.claimed_at.in_({ours[row.id] for row in go}))
                .values(claimed_at=now, attempts=OutboxMessage.attempts + 1)
                .returning(OutboxMessage.id).execution_options(synchronize_session=False))) \
                if go else set()
        self._recorded(recording)
        order = {row_id: n for n, (row_id, _) in enumerate(claims)}
        return [(row.id, _outbound(row)) for row in sorted(go, key=lambda r: order[r.id])
                if row.id in renewed]

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

    def _record_unrecorded(self) -> None:
        """Record the sends not recorded yet; if the database is away this raises and the
        pass ends, the rest keeping their claims."""
        if self.unrecorded:
            recording = dict(self.unrecorded)
            with self.db.transaction() as session:
                self._sent(session, recording)
            self._recorded(recording)

    def _recorded(self, recording: Mapping[int, tuple[str, datetime]]) -> None:
        """Forget sends once the transaction recording them has committed."""
        for row_id in recording:
            self.unrecorded.pop(row_id, None)

    def _sent(self, session, sent: Mapping[int, tuple[str, datetime]]) -> None:
        """Mark rows sent, in one statement; a row recorded already (another dispatcher took
        it over meanwhile) is left alone. A final message is erased once sent."""
        try:
            session.connection().execute(_MARK_SENT, [
                {"row_id": row_id, "provider_id": provider_id, "at": at}
                for row_id, (provider_id, at) in sent.items()])
        except Exception:
            logger.warning("%s sent messages could not be recorded yet", len(sent))
            raise

    def _retry(self, row_id: int, exc: TransientSendError) -> None:
        with self.db.transaction() as session:
            row = session.get(OutboxMessage, row_id)
            row.error_code, row.error_message = exc.code, exc.message
            if row.attempts >= self.max_attempts:
                row.status = "failed"
                logger.warning("outbox %s failed after %s attempts: %s", row_id, row.attempts, exc.code)
                return
            delay = exc.retry_after or self.base_backoff * 2 ** (row.attempts - 1)
            row.status, row.next_attempt_at = "queued", self.clock() + timedelta(seconds=delay)
            logger.info("outbox %s: %s, retrying in %.0fs", row_id, exc.code, delay)

    def _fail(self, row_id: int, exc: SendError, unreachable: str | None) -> None:
        with self.db.transaction() as session:
            row = session.get(OutboxMessage, row_id)
            row.status, row.error_code, row.error_message = "failed", exc.code, exc.message
            logger.warning("outbox %s to %s failed: %s", row_id, mask(row.address), exc.code)
            if unreachable and row.address and row.community_id:
                mark_unreachable(session, row.community_id, Address(row.channel, row.address),
                                 unreachable)


def _lock(query, locking: bool):
    """Rows another dispatcher is claiming are skipped, not waited for (PostgreSQL)."""
    return query.with_for_update(skip_locked=True) if locking else query


def _won(session, ids: list[int], now: datetime, still) -> list[int]:
    """Claim `ids` where `still` holds (no other dispatcher took them meanwhile); the ones won."""
    if not ids:
        return []
    won = set(session.scalars(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids), still)
        .values(status="sending", claimed_at=now).returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)))
    return [row_id for row_id in ids if row_id in won]


def _checking(ids: list[int]):
    """The rows with what says whether they may still go: their resident, their address."""
    kind = case({name: s.identity_kind for name, s in CHANNELS.items()}, value=OutboxMessage.channel)
    return (select(*_OUTBOX.c, Resident.status.label("resident_status"), Resident.opted_out,
                   Resident.opted_out_at, Identity.unreachable)
            .outerjoin(Resident, Resident.id == OutboxMessage.resident_id)
            .outerjoin(Identity, and_(Identity.community_id == OutboxMessage.community_id,
                                      Identity.kind == kind, Identity.value == OutboxMessage.address))
            .where(OutboxMessage.id.in_(ids)))


def _withdrawn(row) -> str | None:
    """Why a row must not go any more: its resident stopped (after it was queued) or was
    erased, or its address is dead. Confirmations of a STOP or an erasure still go."""
    if row.resident_status == "erased" and not row.erase_after_send:
        return "erased"
    if row.opted_out and row.opted_out_at is not None and row.created_at < row.opted_out_at:
        return "opted_out"
    if row.unreachable and row.community_id is not None and row.address:
        return f"unreachable:{row.unreachable}"
    return None


def _outbound(row: OutboxMessage) -> OutboundMessage:
    return OutboundMessage(Address(row.channel, row.address or ""), row.body or "",
                           choices_from_json(row.choices), row.sender, str(row.id), row.segments)
