"""Organisers' second factor: a TOTP authenticator app (RFC 6238), and ten recovery codes.

Enrolling keeps a new secret on the organiser; it counts only once a code from the app has
confirmed it, and then ten recovery codes are made and shown once (only their scrypt hashes
are kept, as passwords are). A code is good for its 30-second step and one step either side
(clock drift), and only once: the step that last signed in is kept, and it and every earlier
step are refused. A recovery code signs in once in place of an app's code.
"""

import re
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from bot.domain import audit
from bot.domain.councils import council_of
from bot.domain.organiser_sessions import end_sessions
from bot.errors import InvalidInput
from models import Community, Organiser, RecoveryCode, rowcount

STEP_SECONDS = 30
DRIFT_STEPS = 1  # codes of the step before and after are good too: phones' clocks drift
RECOVERY_CODES = 10
ISSUER = "Common Purse"
WRONG_CODE = "That code is not right, or it was already used. Type the 6 digits your app shows now."

_APP_CODE = re.compile(r"^[0-9]{6}$")
_RECOVERY_CODE = re.compile(r"^[0-9a-f]{10}$")


def enabled(organiser: Organiser) -> bool:
    """The organiser signs in with a second factor."""
    return organiser.totp_enabled_at is not None and organiser.totp_secret is not None


def must_enrol(organiser: Organiser) -> bool:
    """A community they run requires a second factor, and they have none yet."""
    return not enabled(organiser) and any(c.require_two_factor for c in organiser.communities)


def pending_secret(organiser: Organiser) -> str:
    """The secret to show while enrolling: the one already shown, or a new one (so reloading
    the page does not change what the app was given)."""
    if enabled(organiser):
        raise InvalidInput("two-factor sign-in is already on: turn it off first to use another app")
    if not organiser.totp_secret:
        organiser.totp_secret = pyotp.random_base32()
    return organiser.totp_secret


def provisioning_uri(organiser: Organiser, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=organiser.email, issuer_name=ISSUER)


def confirm(session: Session, organiser: Organiser, code: str, now: datetime) -> list[str]:
    """Turn two-factor sign-in on once `code` comes from the app given the pending secret;
    returns the ten recovery codes, the only time they are ever seen."""
    secret = pending_secret(organiser)
    step = _matching_step(secret, _normal(code), now)
    if step is None:
        raise InvalidInput(
            "That code does not match: check the app's clock, and type the 6 digits it shows now",
            field="code",
        )
    organiser.totp_enabled_at = now
    organiser.totp_last_step = step  # the code that confirmed it cannot sign in too
    codes = new_recovery_codes(session, organiser, now)
    note(session, organiser, "two-factor sign-in turned on", now)
    return codes


def new_recovery_codes(session: Session, organiser: Organiser, now: datetime) -> list[str]:
    """Ten fresh recovery codes (the old ones stop working); shown as `a1b2c-3d4e5`."""
    _forget_recovery_codes(session, organiser)
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    session.add_all(
        RecoveryCode(organiser_id=organiser.id, code_hash=generate_password_hash(code), created_at=now)
        for code in codes
    )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def check(session: Session, organiser: Organiser, code: str, now: datetime) -> bool:
    """Whether `code` is a good second factor now: the app's code of this step or one either
    side, not used before; or a recovery code not used before, which is then used up."""
    if not enabled(organiser):
        return False
    typed = _normal(code)
    if _APP_CODE.match(typed):
        step = _matching_step(organiser.totp_secret or "", typed, now)
        return step is not None and _claim_step(session, organiser, step)
    if _RECOVERY_CODE.match(typed):
        return _use_recovery_code(session, organiser, typed, now)
    return False


def disable(session: Session, organiser: Organiser, now: datetime) -> None:
    """Turn two-factor sign-in off (the caller has checked a current code: sign_ins.second_factor)."""
    if not enabled(organiser):
        raise InvalidInput("two-factor sign-in is not on")
    _clear(session, organiser)
    note(session, organiser, "two-factor sign-in turned off", now)


def reset(session: Session, organiser: Organiser, now: datetime) -> int:
    """An administrator's reset (a lost phone and lost recovery codes): no second factor until
    they enrol again, and every session they have ends. Returns how many ended."""
    _clear(session, organiser)
    ended = end_sessions(session, organiser, now)
    note(session, organiser, f"two-factor sign-in reset; {ended} session(s) ended", now)
    return ended


def recovery_codes_left(session: Session, organiser: Organiser) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.organiser_id == organiser.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def set_required(community: Community, required: bool) -> None:
    """Require a second factor of every organiser of `community` (they enrol at next sign-in)."""
    community.require_two_factor = required


def note(session: Session, organiser: Organiser, action: str, now: datetime) -> None:
    """Into the audit trail of each community the organiser runs, or, for a council's officer
    (who runs none), of each community the council follows: the ones the account can read."""
    council = council_of(session, organiser)
    communities = council.communities if council is not None else organiser.communities
    subject = f"officer {organiser.email}" if council is not None else f"organiser {organiser.email}"
    audit.note(session, communities, subject, action, now)


def _normal(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()[:40]


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The step within the drift whose code `code` is, the latest first; None if none."""
    if not _APP_CODE.match(code):
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = _step(now)
    for step in range(current + DRIFT_STEPS, current - DRIFT_STEPS - 1, -1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(session: Session, organiser: Organiser, step: int) -> bool:
    """Record `step` as used, only if it is later than the last used: one guarded UPDATE, so
    two sign-ins racing with the same code cannot both pass."""
    claimed = rowcount(
        session.execute(
            update(Organiser)
            .where(
                Organiser.id == organiser.id,
                or_(Organiser.totp_last_step.is_(None), Organiser.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
    )
    if claimed:
        set_committed_value(organiser, "totp_last_step", step)
    return claimed == 1


def _use_recovery_code(session: Session, organiser: Organiser, code: str, now: datetime) -> bool:
    unused = session.scalars(
        select(RecoveryCode).where(RecoveryCode.organiser_id == organiser.id, RecoveryCode.used_at.is_(None))
    ).all()
    for row in unused:
        if check_password_hash(row.code_hash, code):
            used = session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if rowcount(used) == 1:
                set_committed_value(row, "used_at", now)
                note(session, organiser, "a recovery code used", now)
                return True
            return False
    return False


def _forget_recovery_codes(session: Session, organiser: Organiser) -> None:
    for row in session.scalars(select(RecoveryCode).where(RecoveryCode.organiser_id == organiser.id)):
        session.delete(row)


def _clear(session: Session, organiser: Organiser) -> None:
    organiser.totp_secret = None
    organiser.totp_enabled_at = None
    organiser.totp_last_step = None
    _forget_recovery_codes(session, organiser)
