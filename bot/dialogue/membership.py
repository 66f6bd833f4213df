"""STOP, START and HELP: they work whatever else the resident was doing."""

from bot.dialogue import joining
from bot.dialogue.turn import Result, Turn
from bot.domain import inbox
from bot.domain.residents import opt_in, opt_out
from models.states import ResidentStatus


def stop(turn: Turn) -> Result:
    """Opt out; the confirmation is the last message they get until they rejoin."""
    opt_out(turn.session, turn.resident, turn.now, turn.channel)
    return Result([turn.say("stopped")])


def restart(turn: Turn) -> Result:
    """Opt back in after a STOP; someone who stopped before joining joins now."""
    opt_in(turn.session, turn.resident, turn.now, turn.channel)
    if turn.resident.status == ResidentStatus.PENDING:
        return joining.accept_consent(turn)
    if turn.resident.status == ResidentStatus.VERIFYING:
        return joining.ask_again(turn)
    return Result([turn.say("rejoined")])


def silence(turn: Turn) -> Result:
    """After STOP, nothing but the confirmation until they rejoin."""
    return Result()


def already_member(turn: Turn) -> Result:
    """START or YES from someone who is already in."""
    return Result([turn.say("already_member")])


def help_menu(turn: Turn) -> Result:
    """The menu of everything a member can send."""
    return Result([turn.say("help")])


def acknowledge(turn: Turn) -> Result:
    """Thanks, OK, a thumbs-up: heard, and not answered (an answer would cost an SMS)."""
    return Result()


def fallback(turn: Turn) -> Result:
    """Anything we did not understand goes to the organisers' inbox ("when is the next
    meeting?"), and gets a short, helpful answer: how to vote, while a round is open."""
    if not turn.text.strip():  # nothing to pass on
        return Result([turn.say("not_understood")])
    inbox.receive(turn.session, turn.community, turn.resident, turn.text, turn.channel, turn.now)
    round_ = turn.shared.open_round(turn.session, turn.community)
    if round_ is not None:
        return Result([turn.say("fallback_voting", title=round_.title)])
    return Result([turn.say("fallback")])
