"""The community's privacy settings (who is responsible for residents' data, and where to
write) and how long messages are kept, as the privacy notice and MY DATA tell residents."""

from bot.domain.emails import is_email
from bot.errors import InvalidInput
from models import Community

DEFAULT_RETENTION_DAYS = 365
_retention_days = DEFAULT_RETENTION_DAYS


def set_retention_days(days: int) -> None:
    """Set once by the app factory from COMMONPURSE_RETENTION_DAYS, which the scheduler's
    retention job applies: what residents are told is what is done."""
    global _retention_days
    _retention_days = int(days)


def retention_days() -> int:
    return _retention_days


def set_privacy(community: Community, controller: str | None, contact: str | None) -> None:
    """Name the data controller and the email residents write to; "" clears one, None keeps it."""
    if controller is not None:
        controller = " ".join(controller.split())
        if len(controller) > 200:
            raise InvalidInput("the controller's name is longer than 200 characters")
        community.controller = controller or None
    if contact is not None:
        contact = contact.strip()
        if contact and not is_email(contact):
            raise InvalidInput(f"{contact!r} is not an email address")
        community.privacy_contact = contact or None
