"""The dialogue engine: one entry point, `handle(turn) -> replies`, channel-agnostic."""

from bot.dialogue.engine import handle
from bot.dialogue.turn import Reply, Turn

__all__ = ["Reply", "Turn", "handle"]
