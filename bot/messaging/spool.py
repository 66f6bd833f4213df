"""The inbound spool: verified messages kept on local disk while the database cannot be reached.

Twilio never resends a message whose webhook failed, and Telegram resends only for a while,
so when the database is down we write each verified message to a file of its own (fsync'd,
then renamed into place), answer the provider 200, and replay the files in arrival order as
soon as the database answers again (courier's design). Replaying is safe to repeat and to run
in several processes at once: a message is stored unique on its channel and provider id, so a
second replay of the same file is a duplicate and changes nothing.
"""
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError, OperationalError

from channels.messages import Address, InboundMessage, SharedContact

logger = logging.getLogger(__name__)

SUFFIX = ".json"


def is_outage(exc: BaseException) -> bool:
    """True when `exc` means the database cannot be reached (not that a statement was wrong)."""
    return isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


def write(folder: str | os.PathLike, message: InboundMessage) -> Path:
    """Keep `message` durably in `folder`; returns the file. Names sort in arrival order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}{SUFFIX}"
    temporary = folder / f".{name}.tmp"
    data = json.dumps(_to_json(message), ensure_ascii=True).encode()
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, folder / name)
    _fsync_folder(folder)
    return folder / name


def pending(folder: str | os.PathLike) -> list[Path]:
    """Spooled files, oldest first."""
    try:
        return sorted(p for p in Path(folder).iterdir()
                      if p.suffix == SUFFIX and not p.name.startswith("."))
    except FileNotFoundError:
        return []


def replay(folder: str | os.PathLike, receive: Callable[[InboundMessage], object]) -> int:
    """Hand every spooled message to `receive`, oldest first, deleting each once it is stored.

    Stops at the first outage (the database went away again) and leaves the rest for later;
    returns how many were replayed."""
    done = 0
    for path in pending(folder):
        try:
            message = _from_json(json.loads(path.read_bytes()))
        except FileNotFoundError:
            continue  # another process replayed it first
        except (ValueError, KeyError, TypeError):
            logger.error("spooled file %s cannot be read; moved aside", path.name)
            path.replace(path.with_suffix(".unreadable"))
            continue
        try:
            receive(message)
        except Exception as exc:
            if is_outage(exc):
                logger.warning("database still unavailable; %s spooled messages wait",
                               len(pending(folder)))
                return done
            raise
        path.unlink(missing_ok=True)
        done += 1
    if done:
        logger.info("replayed %s spooled inbound messages", done)
    return done


def _to_json(message: InboundMessage) -> dict:
    data = asdict(message)
    data["received_at"] = message.received_at.isoformat()
    return data


def _from_json(data: dict) -> InboundMessage:
    contact = data.get("contact")
    return InboundMessage(
        address=Address(**data["address"]), text=data["text"],
        provider_message_id=data["provider_message_id"],
        received_at=datetime.fromisoformat(data["received_at"]), recipient=data.get("recipient"),
        payload=data.get("payload"), raw=data.get("raw") or {},
        contact=SharedContact(**contact) if contact else None)


def _fsync_folder(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk too.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def folder_of(app) -> str:
    """The app's spool folder (COMMONPURSE_SPOOL_DIR, else instance/spool)."""
    return app.config.get("SPOOL_DIR") or os.path.join(app.instance_path, "spool")
