"""LANGUAGE / IAITH / JĘZYK: a resident picks the language we write to them in."""

from bot.dialogue import joining
from bot.dialogue.turn import Reply, Result, Turn
from bot.domain.residents import set_language
from bot.text.catalogue import render
from bot.text.languages import language_named, names_list, own_name
from channels.messages import Choice
from models.states import ResidentStatus


def choose(turn: Turn) -> Result:
    """With a language ("IAITH CY", "Polski") switch to it; alone, show the community's."""
    offered = list(turn.community.languages or ["en"])
    if len(offered) == 1:
        return Result([turn.say("language_only", language_name=own_name(offered[0]))])
    wanted = turn.command.rest.strip()
    code = _pick(wanted, offered)
    buttons = [Choice(own_name(c), f"LANGUAGE {c}") for c in offered]
    if not wanted:
        return Result([turn.say("language_menu", *buttons, choices=names_list(offered))])
    if code is None:
        return Result([turn.say("language_unknown", *buttons, choices=names_list(offered))])
    set_language(turn.resident, code)
    return Result([turn.say("language_set")])


def choose_before_joining(turn: Turn) -> Result:
    """A newcomer may pick a language first; then the question they were asked comes again,
    in it."""
    before = turn.resident.language
    result = choose(turn)
    if turn.resident.language == before:
        return result
    again = (
        joining.welcome(turn) if turn.resident.status == ResidentStatus.PENDING else joining.ask_again(turn)
    )
    return Result(again.replies, again.step, again.data)


def _pick(wanted: str, offered: list[str]) -> str | None:
    """The offered language `wanted` names, by name or code, or by its place in the list."""
    if wanted.isdigit() and 1 <= int(wanted) <= len(offered):
        return offered[int(wanted) - 1]
    code = language_named(wanted)
    return code if code in offered else None


def withdrawn(turn: Turn, chosen: str) -> Reply:
    """Told once, in the language they chose, that their community no longer writes in it;
    from then on they read the community's default (`turn.language`) until they choose again."""
    set_language(turn.resident, None)
    return Reply(render("language_withdrawn", chosen, language_name=own_name(turn.language)))
