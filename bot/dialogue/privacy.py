"""MY DATA: the right of access. What we keep about the resident and for how long, how to get
a full copy, and where the privacy notice is."""

from bot.dialogue.turn import Reply, Result, Turn
from bot.domain.privacy import retention_days
from bot.text.catalogue import PLACEHOLDER_MAX
from bot.text.links import privacy_page


def my_data(turn: Turn) -> Result:
    """A summary of what is held, then the privacy notice's address where there is one."""
    contact = turn.community.privacy_contact
    if contact and len(contact) <= PLACEHOLDER_MAX["contact"]:
        replies = [turn.say("my_data", days=retention_days(), contact=contact)]
    else:
        replies = [turn.say("my_data_ask", days=retention_days())]
    return Result([*replies, *privacy_link(turn)])


def privacy_link(turn: Turn) -> list[Reply]:
    """The privacy notice's address, as a reply of its own; none without a public address (or
    with one too long to send whole)."""
    link = privacy_page(turn.community)
    if link is None or len(link) > PLACEHOLDER_MAX["link"]:
        return []
    return [turn.say("privacy_link", link=link)]
