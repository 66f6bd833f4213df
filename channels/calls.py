"""The types a phone call speaks, free of Flask and Twilio: what the caller did (a CallEvent)
and what we answer (a CallPage, which the voice adapter writes as TwiML).

A call is a conversation of pages: each keypress comes back as a new request, so every page
carries its number and the next request says which page it answers."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class CallAction(StrEnum):
    """What a request from the provider is about."""

    ANSWER = "answer"  # a call came in
    KEYS = "keys"  # the caller pressed keys on a page (or pressed none before the timeout)
    RECORDED = "recorded"  # a voice message was recorded on a page
    ENDED = "ended"  # the call's status changed (hung up, completed, failed)


@dataclass(frozen=True)
class CallEvent:
    """One request about a call, normalised by an adapter."""

    action: CallAction
    channel: str  # the adapter's channel name ("voice")
    call_sid: str
    caller: str  # the caller's number (From), as the provider wrote it
    called: str  # the number called (To): it decides the community
    received_at: datetime
    page: int | None = None  # the page the request answers; None when the call came in
    digits: str = ""  # the keys pressed, without the finishing `#`
    status: str = ""  # the provider's call status ("in-progress", "completed", ...)
    recording_url: str | None = None
    recording_sid: str | None = None
    recording_seconds: int | None = None


@dataclass(frozen=True)
class Spoken:
    """A sentence to say, and the language it is in ("en", "cy", "pl")."""

    text: str
    language: str


@dataclass(frozen=True)
class CallPage:
    """What to play the caller, then what to listen for.

    `keys`: wait for keys (`finish` ends a group of digits, `digits` takes that many without a
    finishing key; `empty` asks for a request even when nothing was pressed); `record`: record
    a voice message of up to that many seconds; neither: hang up after speaking."""

    number: int
    say: tuple[Spoken, ...]
    keys: bool = False
    digits: int | None = None
    finish: str | None = None
    empty: bool = False
    record: int | None = None
    goodbye: tuple[Spoken, ...] = ()  # said when the caller pressed nothing, before hanging up

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "say": [[s.text, s.language] for s in self.say],
            "keys": self.keys,
            "digits": self.digits,
            "finish": self.finish,
            "empty": self.empty,
            "record": self.record,
            "goodbye": [[s.text, s.language] for s in self.goodbye],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CallPage":
        return cls(
            number=data["number"],
            say=tuple(Spoken(t, lang) for t, lang in data["say"]),
            keys=data["keys"],
            digits=data["digits"],
            finish=data["finish"],
            empty=data["empty"],
            record=data["record"],
            goodbye=tuple(Spoken(t, lang) for t, lang in data.get("goodbye", ())),
        )


@dataclass(frozen=True)
class Recording:
    """A recording fetched from the provider: its bytes and their media type."""

    content: bytes
    media_type: str = field(default="audio/mpeg")
