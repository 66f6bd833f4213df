"""Voting in an open round: numbers by text, buttons on Telegram; OPTIONS and RESULTS."""

from collections.abc import Sequence

from bot.dialogue.ideas import idea_line
from bot.dialogue.turn import Reply, Result, Turn
from bot.domain.ballots import (
    ballot_of,
    cast,
    latest_closed,
    parse_choices,
    problem,
    round_tag,
)
from bot.domain.explain import Reason, reason
from bot.domain.moderation import authors
from bot.text import round_messages
from bot.text.links import round_page
from bot.text.times import Moment
from models import Idea, Round
from models.states import IdeaStatus, Step


def vote(turn: Turn) -> Result:
    """VOTE 1 3 (or VOTE alone, which shows the options); a button's VOTE 3 @12."""
    rest, tag = round_tag(turn.command.rest)
    if (stale := _stale_button(turn, tag)) is not None:
        return stale
    choices = parse_choices(rest) if rest else None
    if choices is None:
        return options(turn)
    return vote_for(turn, choices)


def _stale_button(turn: Turn, tag: int | None) -> Result | None:
    """A button kept from an earlier round (its option 3 is another idea now): say so and show
    the round open now, or that none is."""
    if tag is None:
        return None
    round_ = _open_round(turn)
    if isinstance(round_, Result):
        return round_
    if round_.id == tag:
        return None
    shown = options(turn)
    return Result([turn.say("vote_stale_button"), *shown.replies])


def vote_for(turn: Turn, choices: list[int]) -> Result:
    """Check the choices against the open round and store them as the resident's ballot."""
    round_ = _open_round(turn)
    if isinstance(round_, Result):
        return round_
    wrong = problem(round_, choices)
    if wrong is not None:
        key, values = wrong
        return Result([turn.say(key, **values)])
    seen = turn.shared.seen_ballot(round_, turn.resident)
    receipt = cast(turn.session, round_, turn.resident, choices, turn.channel, turn.now, seen)
    closes = Moment(round_.closes_at, turn.community.timezone)
    shown = round_messages.chosen_within(
        round_, choices, turn.language, "vote_recorded", receipt=receipt, closes=closes
    )
    return Result([turn.say("vote_recorded", choices=shown, receipt=receipt, closes=closes)])


def toggle(turn: Turn) -> Result:
    """A Telegram toggle button: add or remove an option from the selection being built."""
    rest, tag = round_tag(turn.command.rest)
    if (stale := _stale_button(turn, tag)) is not None:
        return stale
    round_ = _open_round(turn)
    numbers = parse_choices(rest) or []
    if isinstance(round_, Result):
        return round_
    if turn.conversation.step == Step.BALLOT:  # a selection being built
        selected = list(turn.conversation.data.get("selected", []))
    else:  # start from the ballot already cast, if any
        ballot = ballot_of(turn.session, round_, turn.resident)
        selected = list(ballot.choices) if ballot else []
    for number in numbers:
        if number in selected:
            selected.remove(number)
        else:
            selected.append(number)
    selected.sort()
    choices = round_messages.buttons_at(
        round_, numbers[-1] if numbers else None, selected, turn.language, _rotation(turn, round_)
    )  # the page of the option tapped
    if not selected:
        return Result([turn.say("vote_selection_empty", *choices)], step=Step.BALLOT, data={"selected": []})
    text = turn.say("vote_selection", choices=round_messages.chosen(round_, selected, turn.language)).text
    return Result([Reply(text, choices)], step=Step.BALLOT, data={"selected": selected})


def ballot(turn: Turn) -> Result | None:
    """While a selection is built with buttons, toggles and Submit change it; anything else
    is handled as usual (and leaves the selection)."""
    if turn.command.keyword == "toggle":
        return toggle(turn)
    if turn.command.keyword == "submit":
        return submit(turn)
    if turn.command.keyword == "options":  # another page: the selection goes on with it
        result = options(turn, turn.conversation.data.get("selected", []))
        return Result(result.replies, step=Step.BALLOT, data=turn.conversation.data)
    return None


def submit(turn: Turn) -> Result:
    """The Submit button: cast the selection built with toggles."""
    if (stale := _stale_button(turn, round_tag(turn.command.rest)[1])) is not None:
        return stale
    selected = turn.conversation.data.get("selected", []) if turn.conversation.step == Step.BALLOT else []
    if not selected:
        return toggle(turn)
    round_ = _open_round(turn)
    if isinstance(round_, Result):
        return round_
    wrong = problem(round_, selected)
    if wrong is not None:  # over the budget, too many: say so, and keep the selection to trim
        key, values = wrong
        choices = round_messages.buttons_at(
            round_, selected[-1], selected, turn.language, _rotation(turn, round_)
        )
        return Result(
            [Reply(turn.say(key, **values).text, choices)], step=Step.BALLOT, data=turn.conversation.data
        )
    return vote_for(turn, selected)


def options(turn: Turn, selected: Sequence[int] = ()) -> Result:
    """The open round's options and how to vote (ticking the `selected` ones' buttons)."""
    round_ = _open_round(turn)
    if isinstance(round_, Result):
        return round_
    if not selected and turn.conversation.step != Step.BALLOT:  # tick the ballot already cast
        ballot = ballot_of(turn.session, round_, turn.resident)
        selected = list(ballot.choices) if ballot else []
    text, choices = round_messages.options(
        round_, turn.language, turn.page, selected, _rotation(turn, round_)
    )
    return Result([Reply(text, choices)])


def results(turn: Turn) -> Result:
    """The latest result; to the author of an option not funded, why, as MY IDEAS says it."""
    round_ = latest_closed(turn.session, turn.community)
    if round_ is None:
        return Result([turn.say("results_none_yet")])
    replies = [Reply(round_messages.result(round_, turn.language, round_page(turn.community, round_)))]
    lines = [idea_line(turn, idea, IdeaStatus.NOT_FUNDED, why) for idea, why in _own_not_funded(turn, round_)]
    if lines:
        replies.append(turn.say("my_ideas", lines="\n".join(lines)))
    return Result(replies)


def _own_not_funded(turn: Turn, round_: Round) -> list[tuple[Idea, Reason]]:
    """The resident's ideas (theirs or merged into them) the round did not fund, with why."""
    found = []
    for option in round_.options:
        why = reason(round_.outcome, option.number)
        idea = turn.session.get(Idea, option.idea_id) if option.idea_id else None
        if why is None or why.funded or idea is None:
            continue
        if any(author.id == turn.resident.id for author in authors(turn.session, idea)):
            found.append((idea, why))
    return found


def _rotation(turn: Turn, round_: Round) -> int | None:
    """The order this resident sees the round's options in, the same every time."""
    return round_messages.rotation_of(round_, turn.resident.id)


def _open_round(turn: Turn) -> Round | Result:
    """The round open to votes when the message was sent, or what to answer instead. A round
    whose close time has passed takes no more votes, though it may not be counted yet (the
    scheduler closes it, after any vote sent in time that a worker has still to answer)."""
    round_ = turn.shared.open_round(turn.session, turn.community)
    if round_ is None:
        return _no_open_round(turn)
    if round_.closes_at <= turn.now:
        return Result(
            [
                turn.say(
                    "vote_closed_counting",
                    title=round_.title,
                    closes=Moment(round_.closes_at, turn.community.timezone),
                )
            ]
        )
    return round_


def _no_open_round(turn: Turn) -> Result:
    closed = latest_closed(turn.session, turn.community)
    if closed is not None:
        return Result([turn.say("vote_closed", result=round_messages.result(closed, turn.language))])
    return Result([turn.say("vote_no_round")])
