"""DELETE: erase a resident's data after they confirm."""

from dataclasses import replace

from bot.dialogue.turn import Result, Turn
from bot.domain.ballots import takes_as_vote
from bot.domain.erasure import erase_resident
from models.states import Step


def ask_delete(turn: Turn) -> Result:
    """Ask before erasing anything."""
    return Result(
        [
            turn.say(
                "delete_confirm", turn.button("button_delete", "DELETE"), turn.button("button_keep", "NO")
            )
        ],
        step=Step.CONFIRM_DELETE,
    )


def confirm_delete(turn: Turn) -> Result | None:
    """DELETE again erases; NO or a plain message keeps the data; another command (BUDGET)
    drops the question and is answered as usual."""
    if turn.command.keyword == "delete":
        return erase_now(turn)
    if turn.command.keyword not in (None, "no"):
        return None
    if turn.command.keyword is None and takes_as_vote(turn.session, turn.community, turn.text):
        return None  # a vote: the question is dropped and the vote counted, as for BUDGET
    return Result([turn.say("delete_cancelled")])


def erase_now(turn: Turn) -> Result:
    """Erase, and send one last message that is itself erased once sent."""
    erase_resident(turn.session, turn.resident, turn.now)
    return Result([replace(turn.say("delete_done"), final=True)])
