"""The order in which a message is understood: the row of the transition table (table.py)
for who is writing and their step."""

from bot.dialogue import language
from bot.dialogue.table import Row, row_for
from bot.dialogue.turn import Reply, Result, Turn
from models import Community, Conversation
from models.states import ResidentStatus, Step


def handle(turn: Turn) -> list[Reply]:
    """Answer one message; the conversation's next step is saved on the turn."""
    withdrawn = withdrawn_language(turn.resident.language, turn.community)
    result = route(row_for(turn.resident, saved_step(turn.conversation)), turn)
    replies = result.replies
    if turn.resident.status != ResidentStatus.ERASED:
        turn.conversation.step = result.step
        turn.conversation.data = result.data
        turn.conversation.updated_at = turn.now
        if withdrawn and turn.resident.language == withdrawn and replies:
            replies = [language.withdrawn(turn, withdrawn), *replies]
    return replies


def saved_step(conversation: Conversation) -> Step | None:
    """The step the conversation was left in; None for none, or for one no longer known (read as
    no step, as before steps were an enum)."""
    try:
        return Step(conversation.step) if conversation.step else None
    except ValueError:
        return None


def route(row: Row, turn: Turn) -> Result:
    """The row's keyword, else its step's handler if it takes the message, else its fallback."""
    answer = row.keywords.get(turn.command.keyword or "")
    if answer is not None:
        return answer(turn)
    if row.step is not None and (result := row.step(turn)) is not None:
        return result
    return row.otherwise(turn)


def withdrawn_language(chosen: str | None, community: Community) -> str | None:
    """The language a resident chose that their community no longer offers, if so: its
    keywords are still understood until they are told (once) that it went."""
    offered = community.languages or ("en",)
    return chosen if chosen and chosen not in offered else None
