"""The order in which a message is understood.

Opted-out residents hear nothing until they rejoin; then global commands (STOP,
HELP); then joining for those not yet in; then the resident's current step;
then keywords; then a helpful fallback.
"""
from collections.abc import Callable

from bot.dialogue import budget, erasure, ideas, joining, membership, voting
from bot.dialogue.turn import Reply, Result, Turn
from bot.domain.ballots import parse_choices

STEPS: dict[str, Callable[[Turn], Result | None]] = {
    "idea_text": ideas.idea_text,
    "idea_cost": ideas.idea_cost,
    "confirm_delete": erasure.confirm_delete,
}
KEYWORDS: dict[str, Callable[[Turn], Result]] = {
    "idea": ideas.start_idea,
    "my_ideas": ideas.my_ideas,
    "budget": budget.budget,
    "delete": erasure.ask_delete,
    "start": membership.already_member,
    "vote": voting.vote,
    "options": voting.options,
    "results": voting.results,
    "toggle": voting.toggle,
    "submit": voting.submit,
}


def handle(turn: Turn) -> list[Reply]:
    """Answer one message; the conversation's next step is saved on the turn."""
    result = _route(turn)
    if turn.resident.status != "erased":
        turn.conversation.step = result.step
        turn.conversation.data = result.data
        turn.conversation.updated_at = turn.now
    return result.replies


def _route(turn: Turn) -> Result:
    keyword = turn.command.keyword
    resident = turn.resident
    if resident.opted_out:
        if keyword == "start":
            return membership.restart(turn)
        if keyword == "delete":
            # Erasure works whatever the state; a stopped resident is not asked twice,
            # as the question may never reach them.
            return erasure.erase_now(turn)
        return Result()  # after STOP, nothing but the confirmation
    if keyword == "stop":
        return membership.stop(turn)
    if resident.status == "pending":
        if keyword == "start":
            return joining.accept_consent(turn)
        if keyword == "delete":
            return erasure.erase_now(turn)
        return joining.welcome(turn)
    if resident.status == "verifying":
        if keyword == "help":
            return joining.ask_again(turn)
        return joining.verify(turn)
    if keyword == "help":
        return membership.help_menu(turn)
    step = STEPS.get(turn.conversation.step or "")
    if step is not None:
        result = step(turn)
        if result is not None:
            return result
    if keyword is None and (choices := parse_choices(turn.text)) is not None:
        return voting.vote_for(turn, choices)
    handler = KEYWORDS.get(keyword or "", membership.fallback)
    return handler(turn)
