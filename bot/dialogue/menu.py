"""What a member's message means when no step claims it: a vote by numbers, a keyword, or else
a helpful fallback."""

from collections.abc import Callable

from bot.dialogue import budget, channel, erasure, ideas, language, membership, projects, voting
from bot.dialogue.turn import Result, Turn
from bot.domain.ballots import parse_choices

# Every keyword a member may send, and what answers it.
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
    "channel": channel.choose,
}


def menu(turn: Turn) -> Result:
    """Numbers alone ("2", "1 3") are a vote; a keyword is answered; anything else gets the
    fallback."""
    keyword = turn.command.keyword
    if keyword is None and (choices := parse_choices(turn.text)) is not None:
        return voting.vote_for(turn, choices)
    return KEYWORDS.get(keyword or "", membership.fallback)(turn)
