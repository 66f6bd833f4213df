"""Organisers signing in with a password: checked, and throttled against guessing.

Failures are counted over a window. Past a few for an account (from anywhere) or an address,
each further try waits a little longer. Past the limit for an account *from one address*, or
for an address whatever the accounts, sign-in from there is refused until the window has
passed, whether or not the password is right (so guessing learns nothing). An account is never
refused everywhere: whoever knows an organiser's email could otherwise keep them out for good.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from bot.errors import InvalidInput
from models import Organiser, SignInAttempt

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5  # failures for one account from one address within WINDOW
ADDRESS_LIMIT = 20  # failures from one address within WINDOW


class SignInRefused(InvalidInput):
    """Too many failed sign-ins: refused for a while."""

    def __init__(self, minutes: int):
        super().__init__(
            f"Too many failed sign-ins. Try again in {minutes} minute{'' if minutes == 1 else 's'}."
        )
        self.minutes = minutes


@dataclass(frozen=True)
class Throttle:
    failures: int  # recent failures, the larger of account and address
    refused_until: datetime | None


def throttle(session: Session, email: str, address: str, now: datetime) -> Throttle:
    """How many recent failures there are for this account or address, and any refusal."""
    since = now - WINDOW
    email = email.strip().lower()
    by_account = _failures(session, SignInAttempt.email == email, since)
    by_address = _failures(session, SignInAttempt.address == address, since)
    from_here = [at for at, who in by_address if who == email]
    refused = None
    for failures, limit in ((from_here, ACCOUNT_LIMIT), ([at for at, _ in by_address], ADDRESS_LIMIT)):
        if len(failures) >= limit:
            until = failures[-limit] + WINDOW  # when the oldest counted failure leaves the window
            refused = max(refused or until, until)
    return Throttle(max(len(by_account), len(by_address)), refused)


def sign_in(session: Session, email: str, password: str, address: str, now: datetime) -> Organiser:
    """The organiser whose email and password these are; InvalidInput (one message for a wrong
    email or a wrong password) or SignInRefused otherwise. Every attempt is recorded."""
    email = email.strip().lower()[:200]
    state = throttle(session, email, address, now)
    if state.refused_until is not None and state.refused_until > now:
        raise SignInRefused(max(1, -(-int((state.refused_until - now).total_seconds()) // 60)))
    organiser = session.scalar(select(Organiser).where(Organiser.email == email))
    good = check_password_hash(organiser.password_hash if organiser else _dummy_hash(), password)
    session.add(SignInAttempt(email=email, address=address[:64], succeeded=bool(organiser and good), at=now))
    if organiser is None or not good:
        raise InvalidInput("That email and password do not match an organiser account.")
    return organiser


def session_stamp(organiser: Organiser) -> str:
    """Changes when the password does, so sessions signed in before a change end with it."""
    return hashlib.sha256(organiser.password_hash.encode()).hexdigest()[:16]


def _failures(session: Session, where: ColumnElement[bool], since: datetime) -> list[tuple[datetime, str]]:
    """Failed attempts since `since` matching `where`, oldest first: when, and for which email."""
    rows = session.execute(
        select(SignInAttempt.at, SignInAttempt.email)
        .where(where, SignInAttempt.succeeded.is_(False), SignInAttempt.at > since)
        .order_by(SignInAttempt.at)
    )
    return [(at, email) for at, email in rows]


@cache
def _dummy_hash() -> str:
    # Checked when the email is unknown, so a wrong email takes as long as a wrong password.
    return generate_password_hash(secrets.token_hex(16))
