"""The dispatcher: claims due outbox rows, sends them through their channel, records the result."""
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update

from bot.context import Database
from bot.domain.residents import mark_unreachable
from channels.errors import PermanentSendError, SendError, TransientSendError
from channels.messages import Address, Choice, OutboundMessage
from channels.phone import mask
from models import OutboxMessage

logger = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    def send(self, message: OutboundMessage) -> str: ...


class Dispatcher:
    """Sends queued messages for the channels it was given; others are left for other workers."""

    def __init__(self, db: Database, channels: Mapping[str, Channel], clock: Callable[[], datetime],
                 max_attempts: int = 6, batch: int = 50, base_backoff: float = 5.0):
        self.db = db
        self.channels = dict(channels)
        self.clock = clock
        self.max_attempts = max_attempts
        self.batch = batch
        self.base_backoff = base_backoff

    def run_once(self, address: Address | None = None) -> int:
        """Send what is due now; returns how many rows were attempted."""
        rows = self._claim(address)
        for row_id, message in rows:
            self._send(row_id, message)
        return len(rows)

    def run_forever(self, stop: threading.Event, interval: float) -> None:
        """Poll until `stop` is set; errors are logged, never fatal."""
        logger.info("dispatcher started for channels: %s", ", ".join(self.channels) or "none")
        while not stop.is_set():
            try:
                sent = self.run_once()
            except Exception:
                logger.exception("dispatcher pass failed")
                sent = 0
            if not sent:
                stop.wait(interval)

    def _claim(self, address: Address | None) -> list[tuple[int, OutboundMessage]]:
        if not self.channels:
            return []
        now = self.clock()
        with self.db.transaction() as session:
            query = (select(OutboxMessage)
                     .where(OutboxMessage.status == "queued",
                            OutboxMessage.channel.in_(self.channels),
                            OutboxMessage.next_attempt_at <= now)
                     .order_by(OutboxMessage.id).limit(self.batch))
            if address is not None:
                query = query.where(OutboxMessage.channel == address.channel,
                                    OutboxMessage.address == address.user_id)
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            claimed = []
            for row in session.scalars(query).all():
                # The guard makes the claim safe where SKIP LOCKED does not exist (SQLite).
                won = session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id, OutboxMessage.status == "queued")
                    .values(status="sending", attempts=OutboxMessage.attempts + 1, claimed_at=now)
                    .execution_options(synchronize_session=False)).rowcount
                if won:
                    claimed.append((row.id, _outbound(row)))
        return claimed

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
            self._sent(row_id, provider_id)

    def _sent(self, row_id: int, provider_id: str) -> None:
        with self.db.transaction() as session:
            row = session.get(OutboxMessage, row_id)
            row.status, row.provider_id, row.sent_at = "sent", provider_id, self.clock()
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


def _outbound(row: OutboxMessage) -> OutboundMessage:
    choices = tuple(Choice(c["label"], c["payload"], c.get("request_contact", False))
                    for c in row.choices or ())
    return OutboundMessage(Address(row.channel, row.address or ""), row.body or "", choices,
                           row.sender, str(row.id))
