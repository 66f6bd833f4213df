"""The signed link a council service answers a referral at, with no account.

The link carries the referral's id, its link version and its expiry, signed with the app's
secret (itsdangerous, as Flask signs its session). A changed character breaks the signature; a
link past its expiry, or one replaced by a newer link (sent again), is refused, each saying why."""

from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "commonpurse.referral-link"


class LinkRefused(Exception):
    """A link that cannot be answered at; the message says why, for the page."""


class LinkAltered(LinkRefused):
    """Not a link we made: changed, cut short, or made up."""


class LinkExpired(LinkRefused):
    """A link we made, but past its expiry or replaced by a newer one."""


@dataclass(frozen=True)
class LinkClaim:
    referral_id: int
    version: int
    expires_at: datetime


def sign(secret: str, referral_id: int, version: int, expires_at: datetime) -> str:
    """The token for the link's path."""
    return URLSafeSerializer(secret, salt=SALT).dumps([referral_id, version, int(expires_at.timestamp())])


def read(secret: str, token: str, now: datetime) -> LinkClaim:
    """What a token says, once its signature and expiry hold; LinkAltered or LinkExpired if not."""
    try:
        payload = URLSafeSerializer(secret, salt=SALT).loads(token)
    except BadSignature:
        raise LinkAltered("this link is not valid") from None
    if (
        not isinstance(payload, list)
        or len(payload) != 3
        or not all(isinstance(p, int) and not isinstance(p, bool) for p in payload)
    ):
        raise LinkAltered("this link is not valid")
    referral_id, version, expires = payload
    try:
        expires_at = datetime.fromtimestamp(expires, UTC)
    except (OverflowError, OSError, ValueError):
        raise LinkAltered("this link is not valid") from None
    if expires_at <= now:
        raise LinkExpired("this link has expired")
    return LinkClaim(referral_id, version, expires_at)
