"""What a handler gets (a Turn) and gives back (a Result of replies and the next step)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.dialogue.keywords import Command
from bot.dialogue.shared import Shared
from bot.domain.residents import language_of
from bot.text.catalogue import render
from channels.messages import Choice, SharedContact
from models import Community, Conversation, Resident
from models.states import Step


@dataclass(frozen=True)
class Reply:
    """Plain text that stands alone, with optional choices a channel may show as buttons."""

    text: str
    choices: tuple[Choice, ...] = ()
    final: bool = False  # the last message to this address: erase it once sent


@dataclass
class Turn:
    session: Session
    community: Community
    resident: Resident
    conversation: Conversation
    text: str
    command: Command
    now: datetime
    contact: SharedContact | None = None
    channel: str = "console"
    cut: int = 0  # characters past the most we read, cut from the end of the message
    shared: Shared = field(default_factory=Shared)  # read once for every turn of the transaction

    @property
    def language(self) -> str:
        return language_of(self.resident, self.community)

    @property
    def page(self) -> int:
        """The page asked for after a keyword ("OPTIONS 2", "MY IDEAS 2"); 1 if none ("²" is a
        digit to Python, not to int())."""
        rest = self.command.rest.strip()
        return int(rest) if rest.isascii() and rest.isdigit() and len(rest) <= 3 else 1

    def button(self, key: str, payload: str, request_contact: bool = False) -> Choice:
        """A button labelled from the catalogue in the resident's language."""
        return Choice(render(key, self.language), payload, request_contact)

    def say(self, key: str, *choices: Choice, **values: object) -> Reply:
        """A reply from the catalogue in the resident's language."""
        values.setdefault("community", self.community.name)
        return Reply(render(key, self.language, **values), tuple(choices))


@dataclass
class Result:
    """A handler's answer: what to say, and which step the conversation is in next."""

    replies: list[Reply] = field(default_factory=list)
    step: Step | None = None  # None: the conversation is in no step
    data: dict[str, Any] = field(default_factory=dict)  # small JSON the next step reads
