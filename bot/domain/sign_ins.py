"""Organisers signing in with a password: checked, and throttled against guessing.

Failures are counted over a window. Past a few for an account (from anywhere) or an address,
each further try waits a little longer. Past the limit for an account *from one address*, or
for an address whatever the accounts, sign-in from there is refused until the window has
passed, whether or not the password is right (so guessing learns nothing). An account is never
refused everywhere: whoever knows an organiser's email could otherwise keep them out for good.

An organiser with two-factor sign-in gives a code after the password. A wrong code counts as
a failure like a wrong password. While an address is refused, the right password *with* a good
code (from the app, or a recovery code), given together, still signs in: the lock is there
against guessing passwords, and the real organiser has what a guesser lacks. Anything less
gets the same refusal, so the lock still teaches a guesser nothing. Wrong codes are also
counted for the account from anywhere: past CODE_LIMIT, codes are refused everywhere until the
window has passed, since whoever is typing them knows the password.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from bot.domain import two_factor
from bot.errors import InvalidInput
from models import Organiser, SignInAttempt

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5  # failures for one account from one address within WINDOW
ADDRESS_LIMIT = 20  # failures from one address within WINDOW
CODE_LIMIT = 10  # wrong second-factor codes for one account, from anywhere, within WINDOW


class SignInRefused(InvalidInput):
    """Too many failed sign-ins: refused for a while."""

    def __init__(self, minutes: int, why: str = "Too many failed sign-ins."):
        super().__init__(f"{why} Try again in {minutes} minute{'' if minutes == 1 else 's'}.")
        self.minutes = minutes


class CodesRefused(SignInRefused):
    """Too many wrong second-factor codes for an account: refused everywhere for a while."""

    def __init__(self, minutes: int):
        super().__init__(minutes, "Too many wrong codes for this account.")


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


def sign_in(
    session: Session, email: str, password: str, address: str, now: datetime, code: str = ""
) -> Organiser:
    """The organiser whose email and password these are; InvalidInput (one message for a wrong
    email or a wrong password) or SignInRefused otherwise. Every attempt is recorded, but not
    those refused: they are not checked, unless a second factor's `code` comes with them.

    An organiser with two-factor sign-in still has to give a code (`second_factor`) unless
    `code` was given here, as it is only while the address is refused."""
    email = email.strip().lower()[:200]
    state = throttle(session, email, address, now)
    refused = _minutes_left(state.refused_until, now)
    if refused and not code:
        raise SignInRefused(refused)
    organiser = session.scalar(select(Organiser).where(Organiser.email == email))
    good = check_password_hash(organiser.password_hash if organiser else _dummy_hash(), password)
    if refused:
        if organiser is None or not good or not two_factor.enabled(organiser):
            raise SignInRefused(refused)
        try:
            second_factor(session, organiser, code, address, now)
        except InvalidInput:
            raise SignInRefused(refused) from None  # the same answer: was the password right?
        return organiser
    session.add(SignInAttempt(email=email, address=address[:64], succeeded=bool(organiser and good), at=now))
    if organiser is None or not good:
        raise InvalidInput("That email and password do not match an organiser account.")
    if code and two_factor.enabled(organiser):
        second_factor(session, organiser, code, address, now)
    return organiser


def second_factor(session: Session, organiser: Organiser, code: str, address: str, now: datetime) -> None:
    """Check the code of an organiser whose password was right: from their app, or a recovery
    code. A wrong one is recorded as a failure from `address` and refused with InvalidInput;
    CodesRefused past CODE_LIMIT wrong codes for the account. A right one passes the address
    locks (see above)."""
    since = now - WINDOW
    wrong = _failures(
        session, and_(SignInAttempt.email == organiser.email, SignInAttempt.second_factor.is_(True)), since
    )
    if len(wrong) >= CODE_LIMIT:
        raise CodesRefused(_minutes_left(wrong[-CODE_LIMIT][0] + WINDOW, now) or 1)
    good = two_factor.check(session, organiser, code, now)
    session.add(
        SignInAttempt(email=organiser.email, address=address[:64], succeeded=good, second_factor=True, at=now)
    )
    if not good:
        raise InvalidInput(two_factor.WRONG_CODE, field="code")


def refused_minutes(session: Session, email: str, address: str, now: datetime) -> int:
    """Minutes left of a refusal of sign-in for this account from this address (0: none)."""
    return _minutes_left(throttle(session, email.strip().lower(), address, now).refused_until, now)


def _minutes_left(until: datetime | None, now: datetime) -> int:
    if until is None or until <= now:
        return 0
    return max(1, -(-int((until - now).total_seconds()) // 60))


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
