"""One scheduler per database: a lease row, renewed while the holder runs."""

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.context import Database
from models import SchedulerLease

NAME = "scheduler"
TTL = timedelta(seconds=90)


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(db: Database, holder: str, now: datetime, ttl: timedelta = TTL) -> SchedulerLease | None:
    """Take or renew the lease; None (and the current holder unchanged) if someone else holds it."""
    try:
        with db.transaction() as session:
            lease = session.get(SchedulerLease, NAME, with_for_update=True)
            if lease is None:
                session.add(SchedulerLease(name=NAME, holder=holder, expires_at=now + ttl))
                return SchedulerLease(name=NAME, holder=holder, expires_at=now + ttl)
            if lease.holder != holder and lease.expires_at > now and not gone(lease.holder):
                return None
            lease.holder, lease.expires_at = holder, now + ttl
            return SchedulerLease(name=NAME, holder=holder, expires_at=lease.expires_at)
    except IntegrityError:  # another scheduler created the row at the same moment
        return None


def gone(holder: str) -> bool:
    """Whether `holder` was a process of this machine that no longer runs (killed with kill -9,
    it never released its lease): its lease need not be waited out. A holder on another
    machine, or one we cannot tell about, is taken to be alive."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # it exists, and is someone else's
        return False
    return False


def current(db: Database) -> SchedulerLease | None:
    with db.transaction() as session:
        lease = session.get(SchedulerLease, NAME)
        return SchedulerLease(name=NAME, holder=lease.holder, expires_at=lease.expires_at) if lease else None


def release(db: Database, holder: str) -> None:
    with db.transaction() as session:
        lease = session.get(SchedulerLease, NAME)
        if lease is not None and lease.holder == holder:
            session.delete(lease)
