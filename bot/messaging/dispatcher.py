"""The dispatcher: claims due outbox rows, sends them through their channel, records the result.

A claim is a lease: a row is "sending" since `claimed_at`, and once LEASE has passed any
dispatcher may take it over, so a worker that dies holds nothing for long and no scheduler is
needed to free its rows. Just before sending, a row is checked again (still ours, its resident
still wants messages) and its lease renewed, so a crash can send at most the one message that
was between the provider's acceptance and our commit twice.
"""
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from bot.context import Database
from bot.domain.residents import mark_unreachable
from channels.base import Sender
from channels.errors import PermanentSendError, SendError, TransientSendError
from channels.messages import Address, OutboundMessage, choices_from_json
from channels.phone import mask
from channels.registry import spec
from models import Identity, OutboxMessage, Resident

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)


class Dispatcher:
    """Sends queued messages for the channels it was given; others are left for other workers."""

    def __init__(self, db: Database, channels: Mapping[str, Sender], clock: Callable[[], datetime],
                 max_attempts: int = 6, batch: int = 10, base_backoff: float = 5.0):
        self.db = db
        self.channels = dict(channels)
        self.clock = clock
        self.max_attempts = max_attempts
        self.batch = batch
        self.base_backoff = base_backoff
        # Sends the provider accepted but we could not yet record (the database went away):
        # recorded first thing on the next pass, before their claims can lapse and they go twice.
        self.unrecorded: dict[int, tuple[str, datetime]] = {}

    def run_once(self, address: Address | None = None) -> int:
        """Send what is due now; returns how many rows were attempted."""
        self._record_unrecorded()
        rows = self._claim(address)
        for row_id, claimed_at in rows:
            message = self._start(row_id, claimed_at)
            if message is not None:
                self._send(row_id, message)
        return len(rows)

    def run_forever(self, stop: threading.Event, interval: float,
                    before_pass: Callable[[], object] | None = None) -> None:
        """Poll until `stop` is set; errors are logged, never fatal. `before_pass` runs first
        on every pass (the inbound spool's replay)."""
        logger.info("dispatcher started for channels: %s", ", ".join(self.channels) or "none")
        while not stop.is_set():
            try:
                if before_pass is not None:
                    before_pass()
                sent = self.run_once()
            except Exception:
                logger.exception("dispatcher pass failed")
                sent = 0
            if not sent:
                stop.wait(interval)

    def _claim(self, address: Address | None) -> list[tuple[int, datetime]]:
        """Take up to `batch` due rows, and rows whose claim has lapsed; (id, our claim time)."""
        if not self.channels:
            return []
        now = self.clock()
        with self.db.transaction() as session:
            due = (OutboxMessage.status == "queued") & (OutboxMessage.next_attempt_at <= now)
            lapsed = (OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < now - LEASE)
            query = (select(OutboxMessage)
                     .where(or_(due, lapsed), OutboxMessage.channel.in_(self.channels))
                     .order_by(OutboxMessage.id).limit(self.batch))
            if address is not None:
                query = query.where(OutboxMessage.channel == address.channel,
                                    OutboxMessage.address == address.user_id)
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            claimed = []
            for row in session.scalars(query).all():
                if row.status == "sending":
                    logger.warning("outbox %s: claim lapsed (a dispatcher stopped); taking it over",
                                   row.id)
                # The guard makes the claim safe where SKIP LOCKED does not exist (SQLite).
                won = session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id, OutboxMessage.status == row.status,
                           _same_claim(row.claimed_at) if row.status == "sending" else True)
                    .values(status="sending", claimed_at=now)
                    .execution_options(synchronize_session=False)).rowcount
                if won:
                    claimed.append((row.id, now))
        return claimed

    def _start(self, row_id: int, claimed_at: datetime) -> OutboundMessage | None:
        """Renew our claim and check the row may still go; the message to send, or None."""
        now = self.clock()
        with self.db.transaction() as session:
            row = session.get(OutboxMessage, row_id)
            if row is None or row.status != "sending" or row.claimed_at != claimed_at:
                return None  # our claim lapsed and another dispatcher has it
            reason = _withdrawn(session, row)
            if reason:
                row.status, row.error_code = "cancelled", reason
                logger.info("outbox %s to %s cancelled: %s", row_id, mask(row.address), reason)
                return None
            row.claimed_at, row.attempts = now, row.attempts + 1
            return _outbound(row)

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
            sent_at = self.clock()
            try:
                self._sent(row_id, provider_id, sent_at)
            except Exception:
                self.unrecorded[row_id] = (provider_id, sent_at)
                logger.warning("outbox %s was sent but could not be recorded yet", row_id)
                raise  # the database is away: end this pass, the rest keep their claims

    def _record_unrecorded(self) -> None:
        for row_id, (provider_id, sent_at) in list(self.unrecorded.items()):
            self._sent(row_id, provider_id, sent_at)
            del self.unrecorded[row_id]

    def _sent(self, row_id: int, provider_id: str, sent_at: datetime) -> None:
        with self.db.transaction() as session:
            row = session.get(OutboxMessage, row_id)
            if row.status not in ("sending", "queued"):
                return  # recorded already (another dispatcher took it over meanwhile)
            row.status, row.provider_id, row.sent_at = "sent", provider_id, sent_at
            row.error_code = row.error_message = None
            if row.erase_after_send:
                row.body, row.address, row.choices = None, None, None

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


def _same_claim(claimed_at: datetime | None):
    return OutboxMessage.claimed_at.is_(None) if claimed_at is None else (
        OutboxMessage.claimed_at == claimed_at)


def _withdrawn(session, row: OutboxMessage) -> str | None:
    """Why a row must not go any more: its resident stopped (after it was queued) or was
    erased, or its address is dead. Confirmations of a STOP or an erasure still go."""
    if row.resident_id is not None:
        resident = session.get(Resident, row.resident_id)
        if resident is not None:
            if resident.status == "erased" and not row.erase_after_send:
                return "erased"
            if (resident.opted_out and resident.opted_out_at is not None
                    and row.created_at < resident.opted_out_at):
                return "opted_out"
    if row.community_id is not None and row.address:
        kind = spec(row.channel).identity_kind
        dead = session.scalar(select(Identity.unreachable).where(
            Identity.community_id == row.community_id, Identity.kind == kind,
            Identity.value == row.address))
        if dead:
            return f"unreachable:{dead}"
    return None


def _outbound(row: OutboxMessage) -> OutboundMessage:
    return OutboundMessage(Address(row.channel, row.address or ""), row.body or "",
                           choices_from_json(row.choices), row.sender, str(row.id), row.segments)
