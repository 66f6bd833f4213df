"""The order in which a message is understood.

Opted-out residents hear nothing until they rejoin; then global commands (STOP,
HELP); then joining for those not yet in; then the resident's current step;
then keywords; then a helpful fallback.
"""

from collections.abc import Callable

from bot.dialogue import budget, erasure, ideas, joining, language, membership, projects, voting
from bot.dialogue.turn import Reply, Result, Turn
from bot.domain.ballots import parse_choices
from models.states import ResidentStatus, Step

# Every step a conversation can be in, and what answers it. A handler returns its replies
# and the next step, or None to let the message be read as a keyword instead.
STEPS: dict[Step, Callable[[Turn], Result | None]] = {
    Step.IDEA_TEXT: ideas.idea_text,
    Step.IDEA_COST: ideas.idea_cost,
    Step.CONFIRM_DELETE: erasure.confirm_delete,
    Step.POSTCODE: joining.check_postcode,
    Step.PHONE: joining.check_contact,
    Step.BALLOT: voting.ballot,
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
    "thanks": membership.acknowledge,
    "submit": voting.submit,
    "language": language.choose,
    "project": projects.project,
}


def handle(turn: Turn) -> list[Reply]:
    """Answer one message; the conversation's next step is saved on the turn."""
    withdrawn = withdrawn_language(turn.resident.language, turn.community)
    result = _route(turn)
    replies = result.replies
    if turn.resident.status != ResidentStatus.ERASED:
        turn.conversation.step = result.step
        turn.conversation.data = result.data
        turn.conversation.updated_at = turn.now
        if withdrawn and turn.resident.language == withdrawn and replies:
            replies = [language.withdrawn(turn, withdrawn), *replies]
    return replies


def withdrawn_language(chosen: str | None, community) -> str | None:
    """The language a resident chose that their community no longer offers, if so: its
    keywords are still understood until they are told (once) that it went."""
    offered = community.languages or ("en",)
    return chosen if chosen and chosen not in offered else None


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
    if keyword == "language" and resident.status != ResidentStatus.ACTIVE:
        return language.choose_before_joining(turn)
    if resident.status == ResidentStatus.PENDING:
        if keyword == "start":
            return joining.accept_consent(turn)
        if keyword == "delete":
            return erasure.erase_now(turn)
        return joining.welcome(turn)
    if resident.status == ResidentStatus.VERIFYING:
        step = (
            STEPS.get(turn.conversation.step)
            if turn.conversation.step in (Step.POSTCODE, Step.PHONE)
            else None
        )
        if keyword == "help" or step is None:
            return joining.ask_again(turn)
        return step(turn)
    if keyword == "help":
        return membership.help_menu(turn)
    step = STEPS.get(turn.conversation.step)
    if step is not None:
        result = step(turn)
        if result is not None:
            return result
    if keyword is None and (choices := parse_choices(turn.text)) is not None:
        return voting.vote_for(turn, choices)
    handler = KEYWORDS.get(keyword or "", membership.fallback)
    return handler(turn)
