"""CHANNEL / SIANEL / KANAŁ: a resident picks the channel the messages we start reach them on
(ballots, reminders, results, news); replies always go back the way they wrote."""

from bot.dialogue.turn import Result, Turn
from bot.domain.residents import choose_channel, route
from bot.text.clean import fold
from channels.messages import Choice
from channels.registry import CHANNELS
from models import Resident


def choose(turn: Turn) -> Result:
    """With a channel ("CHANNEL SMS") switch to it; alone, say which it is and the choices."""
    offered = choosable(turn.resident)
    names = ", ".join(CHANNELS[name].title.upper() for name in offered)
    buttons = [Choice(CHANNELS[name].title, f"CHANNEL {name}") for name in offered]
    wanted = turn.command.rest.strip()
    if not wanted:
        found = route(turn.resident, turn.now, templated=True)
        current = found[0].channel if found else turn.channel
        return Result([turn.say("channel_menu", *buttons, channel=_title(current), choices=names)])
    picked = next((name for name in offered if fold(wanted) in _words(name)), None)
    if picked is None:
        return Result([turn.say("channel_unknown", *buttons, choices=names)])
    choose_channel(turn.resident, picked)
    return Result([turn.say("channel_set", channel=_title(picked))])


def choosable(resident: Resident) -> list[str]:
    """The channels, in the registry's order, that reach one of the resident's identities and
    that people name and that carry text (SMS, WhatsApp, Telegram; not the console, nor the
    phone line, which cannot carry a ballot)."""
    kinds = {i.kind for i in resident.identities if i.unreachable is None}
    return [name for name, s in CHANNELS.items() if s.title and s.sends_text and s.identity_kind in kinds]


def _words(name: str) -> set[str]:
    """What a resident may type for channel `name`: its name or its title, as folded."""
    return {fold(name), fold(CHANNELS[name].title)}


def _title(name: str) -> str:
    return CHANNELS[name].title if name in CHANNELS and CHANNELS[name].title else "SMS"
