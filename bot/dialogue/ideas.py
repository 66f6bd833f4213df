"""Giving an idea (in one message or in steps), its rough cost, and MY IDEAS."""

from bot.dialogue.turn import Result, Turn
from bot.domain.ballots import takes_as_vote
from bot.domain.explain import Reason, latest_reason
from bot.domain.ideas import MAX_IDEA_LENGTH, count_ideas_by, estimate_cost, ideas_by, submit_idea
from bot.text.clean import shorten, visible
from bot.text.money import MAX_PENCE, Money, cost_in_text, parse_amount, read_amount
from models import Idea
from models.states import IdeaStatus, Step

SKIP = "skip"


def start_idea(turn: Turn) -> Result:
    """IDEA with text saves it and asks the cost; IDEA alone asks for the text."""
    if not turn.command.rest:
        return Result([turn.say("idea_ask_text", limit=MAX_IDEA_LENGTH)], step=Step.IDEA_TEXT)
    return save_text(turn, turn.command.rest)


def idea_text(turn: Turn) -> Result | None:
    """The message after a bare IDEA is the idea, unless it is a command or a vote ("2" once
    a ballot came is no idea)."""
    if turn.command.keyword is not None or takes_as_vote(turn.session, turn.community, turn.text):
        return None
    if not turn.text.strip():
        return Result([turn.say("idea_ask_text", limit=MAX_IDEA_LENGTH)], step=Step.IDEA_TEXT)
    return save_text(turn, turn.text)


def save_text(turn: Turn, text: str) -> Result:
    """Store the idea now, so nothing is lost if the cost never comes."""
    length = len(" ".join(text.split())) + turn.cut  # the real length, not what we read of it
    if length > MAX_IDEA_LENGTH:
        reply = turn.say("idea_too_long", length=length, limit=MAX_IDEA_LENGTH)
        return Result([reply], step=Step.IDEA_TEXT)
    written = cost_in_text(text)
    if written is not None:  # "a mural about £15,000": that is the estimate; say so
        pence, text = written
        idea = submit_idea(turn.session, turn.community, turn.resident, text, turn.now, cost_pence=pence)
        return Result([turn.say("idea_saved", number=idea.number, cost=Money(pence))])
    idea = submit_idea(turn.session, turn.community, turn.resident, text, turn.now)
    return Result([turn.say("idea_ask_cost")], step=Step.IDEA_COST, data={"idea_id": idea.id})


def idea_cost(turn: Turn) -> Result | None:
    """A rough cost or SKIP; another command, or a ballot, leaves the idea without a cost."""
    idea = turn.session.get(Idea, turn.conversation.data.get("idea_id"))
    if idea is None:
        return None
    if turn.command.keyword == SKIP:
        return Result([turn.say("idea_saved_no_cost", number=idea.number)])
    pence = parse_amount(turn.text)
    if _a_ballot(turn, pence):
        return None  # read as a vote: the idea stays, without a cost
    if pence is None:
        if turn.command.keyword is not None:
            return None
        written = read_amount(turn.text)
        if written is not None and written > MAX_PENCE:  # an amount, just not one we take
            return Result(
                [turn.say("idea_cost_too_large", most=Money(MAX_PENCE))],
                step=Step.IDEA_COST,
                data=turn.conversation.data,
            )
        return Result([turn.say("idea_cost_invalid")], step=Step.IDEA_COST, data=turn.conversation.data)
    estimate_cost(idea, pence)
    return Result([turn.say("idea_saved", number=idea.number, cost=Money(pence))])


def _a_ballot(turn: Turn, pence: int | None) -> bool:
    """Whether a reply to "how much would it cost?" is a ballot instead: numbers alone ("2",
    "1 3") that make a valid vote in the open round, and either no amount or a round that
    opened (its ballot sent) after the question was asked. Without this, a vote for option 2
    became a cost of £2."""
    round_ = takes_as_vote(turn.session, turn.community, turn.text)
    if round_ is None:
        return False  # not a vote this round takes ("500" of 2 options): a cost, as before
    asked = turn.conversation.updated_at
    return pence is None or (round_.opened_at is not None and asked is not None and asked <= round_.opened_at)


MY_IDEAS_PAGE = 5  # ideas a MY IDEAS message lists


def my_ideas(turn: Turn) -> Result:
    """The resident's own ideas with their status, newest first, five at a time: MY IDEAS 2
    for the next five (the first line says how many more there are)."""
    total = count_ideas_by(turn.session, turn.resident)
    if not total:
        return Result([turn.say("my_ideas_none")])
    page = min(max(turn.page, 1), -(-total // MY_IDEAS_PAGE))
    ideas = ideas_by(turn.session, turn.resident, MY_IDEAS_PAGE, (page - 1) * MY_IDEAS_PAGE)
    lines = [
        idea_line(
            turn,
            idea,
            idea.status,
            latest_reason(turn.session, idea) if idea.status == IdeaStatus.NOT_FUNDED else None,
        )
        for idea in ideas
    ]
    older = total - page * MY_IDEAS_PAGE
    if older > 0:  # first, so a message cut short never loses it
        lines.insert(0, turn.say("my_ideas_more", count=older, next=page + 1).text)
    return Result([turn.say("my_ideas", lines="\n".join(lines))])


def idea_line(turn: Turn, idea: Idea, status: str, why: Reason | None = None) -> str:
    """One idea in a list: "#3 lights on the canal path: not funded this time (1 vote, £0 left,
    needed £6,000)", the reason in brackets where the count kept one."""
    said = turn.say("status_" + status).text
    if why is not None and not why.funded:
        said += f" ({turn.say(why.short, **why.values()).text})"
    return f"#{idea.number} {shorten(visible(idea.text), 40)}: {said}"
