"""The inbound spool: verified messages kept on local disk while the database cannot be reached.

Twilio never resends a message whose webhook failed, and Telegram resends only for a while,
so when the database is down we write each verified message to a file of its own (fsync'd,
then renamed into place), answer the provider 200, and replay the files in arrival order as
soon as the database answers again (courier's design). Replaying is safe to repeat and to run
in several processes at once: a process claims a file by renaming it before handling it (a
claim older than CLAIM_LEASE, left by a process that died, is taken back), and a message is
stored unique on its channel and provider id, so a file handled twice changes nothing.
"""

import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy.exc import DBAPIError, OperationalError

from channels.messages import InboundMessage, message_from_json, message_to_json

logger = logging.getLogger(__name__)

SUFFIX = ".json"
CLAIMED = ".claimed"
CLAIM_LEASE = 60.0  # seconds
RETRY_AFTER = 1.0  # seconds a process waits, after finding the database away, before trying again
_away_until = 0.0  # monotonic time before which this process does not try to replay


def is_outage(exc: BaseException) -> bool:
    """True when `exc` means the database cannot be reached (not that a statement was wrong)."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def write(folder: str | os.PathLike[str], message: InboundMessage) -> Path:
    """Keep `message` durably in `folder`; returns the file. Names sort in arrival order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}{SUFFIX}"
    temporary = folder / f".{name}.tmp"
    data = json.dumps(message_to_json(message), ensure_ascii=True).encode()
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, folder / name)
    _fsync_folder(folder)
    return folder / name


def waiting(folder: str | os.PathLike[str]) -> bool:
    """Whether any message waits in the spool (cheap: stops at the first)."""
    try:
        with os.scandir(folder) as entries:
            return any(e.name.endswith(SUFFIX) and not e.name.startswith(".") for e in entries)
    except FileNotFoundError:
        return False


def pending(folder: str | os.PathLike[str]) -> list[Path]:
    """Spooled files, oldest first (claims left by a process that died are taken back)."""
    try:
        paths = list(Path(folder).iterdir())
    except FileNotFoundError:
        return []
    for path in paths:
        if path.name.endswith(CLAIMED) and _age(path) > CLAIM_LEASE:
            _unclaim(path)
    return sorted(p for p in Path(folder).iterdir() if p.suffix == SUFFIX and not p.name.startswith("."))


def replay(
    folder: str | os.PathLike[str], receive: Callable[[InboundMessage], object], limit: int | None = None
) -> int:
    """Hand spooled messages to `receive` (at most `limit`), oldest first, deleting each once it
    is stored. Stops at the first outage (the database went away again) and leaves the rest
    for later; returns how many were replayed."""
    global _away_until
    if time.monotonic() < _away_until:
        return 0
    done = 0
    for path in pending(folder)[:limit]:
        claimed = _claim(path)
        if claimed is None:
            continue  # another process has it
        try:
            message = message_from_json(json.loads(claimed.read_bytes()))
        except (ValueError, KeyError, TypeError):
            logger.error("spooled file %s cannot be read; moved aside", path.name)
            claimed.replace(path.with_suffix(".unreadable"))
            continue
        try:
            receive(message)
        except Exception as exc:
            _unclaim(claimed)
            if is_outage(exc):
                if not _away_until:  # once an outage, not at every try
                    logger.warning("database still unavailable; spooled messages wait")
                _away_until = time.monotonic() + RETRY_AFTER
                return done
            raise
        claimed.unlink(missing_ok=True)
        _away_until = 0.0
        done += 1
    if done:
        logger.info("replayed %s spooled inbound messages", done)
    return done


def _claim(path: Path) -> Path | None:
    claimed = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}{CLAIMED}")
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        return None
    os.utime(claimed)  # the claim's age counts from now
    return claimed


def _unclaim(claimed: Path) -> None:
    original = claimed.name[1:].split(SUFFIX)[0] + SUFFIX
    with contextlib.suppress(FileNotFoundError):
        os.rename(claimed, claimed.with_name(original))


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _fsync_folder(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk too.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def folder_of(app: Flask) -> str:
    """The app's spool folder (COMMONPURSE_SPOOL_DIR, else instance/spool)."""
    return app.config.get("SPOOL_DIR") or os.path.join(app.instance_path, "spool")
