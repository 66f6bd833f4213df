"""Texts organisers write for residents (budget news, a reason for turning an idea down, a
round's title): spelt so SMS carries them cheaply, and what they will cost, known before sending.

The community pays per SMS segment: 160 characters in GSM-7, but only 70 once a single
character needs UCS-2, and a curly quote pasted from a word processor is such a character.
"""

import re
import unicodedata
from dataclasses import dataclass

from bot.errors import InvalidInput
from bot.text.catalogue import render
from bot.text.clean import visible
from channels.segments import count_segments, is_gsm7, to_gsm7

# C0 and C1 controls (tab and newline aside) and bidirectional overrides and marks.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
# Typographic punctuation that has a plain GSM-7 spelling (’ -> ', – -> -, … -> ...).
TYPOGRAPHIC = "‘’“”–—…\u00a0"
# More segments than this per resident, and the organiser is asked before anything is sent.
ASK_ABOVE_SEGMENTS = 2


def plain(text: str) -> str:
    """`text` with typographic quotes, dashes, ellipses and no-break spaces spelt in GSM-7,
    and its whitespace collapsed as the services store it; every other character is kept."""
    return " ".join("".join(to_gsm7(c) if c in TYPOGRAPHIC else c for c in text).split())


def without_pictographs(text: str) -> str:
    """`text` as `plain` gives it, without emoji and other pictographs (with their skin tones,
    variation selectors and joiners): one 🌳 in a ballot makes every member's copy UCS-2,
    70 characters a segment instead of 160. Letters of every alphabet are kept; bidirectional
    controls and invisible format characters are not (one U+202E shows the option reversed)."""
    kept = "".join(
        c
        for c in visible(text)
        if unicodedata.category(c) not in ("So", "Sk") and c not in "\ufe0e\ufe0f\u200c\u200d"
    )
    return plain(kept)


def refuse_controls(text: str, what: str) -> str:
    """`text`, or InvalidInput if it holds a control character (an ESC garbles an SMS: it is
    GSM-7's escape), a bidirectional override (it turns text round on a phone) or another
    invisible format character (a zero-width space or a soft hyphen pasted from a word
    processor is never seen, but makes every member's copy UCS-2)."""
    found = _CONTROL.search(text) or next((c for c in text if visible(c) != c), None)
    if found:
        raise InvalidInput(f"{what} has a control character ({found[0]!r}): take it out")
    return text


@dataclass(frozen=True)
class SmsCost:
    """One message to `recipients` residents, as each of them would get it."""

    message: str
    encoding: str  # "GSM-7" or "UCS-2"
    segments: int
    recipients: int
    shortened: bool  # the organiser's words were cut (or respelt) to fit the message's budget
    not_gsm7: str  # the characters that make it UCS-2, once each
    # Members it reaches on WhatsApp instead (not counted in `recipients`): as a message inside
    # the 24-hour window, or as a template outside it. WhatsApp charges per conversation (a
    # template opens one), not per segment.
    whatsapp: int = 0
    whatsapp_templates: int = 0
    # Members it reaches on each channel, as (channel, count) pairs ("whatsapp_template":
    # outside the window), when they were counted: how long it takes to deliver depends on it.
    by_channel: tuple[tuple[str, int], ...] = ()

    @property
    def total(self) -> int:
        return self.recipients * self.segments

    @property
    def worth_asking(self) -> bool:
        """Whether to ask before sending: it costs more than two segments a resident, or the
        residents would not read what the organiser wrote."""
        return self.recipients > 0 and (self.segments > ASK_ABOVE_SEGMENTS or self.shortened)


def sms_cost(key: str, recipients: int, language: str, own: str, **values: object) -> SmsCost:
    """The cost of catalogue message `key` filled with `values`, of which `values[own]` is
    the organiser's own text (rendered as the services render it for residents)."""
    return cost_of(render(key, language, **values), recipients, str(values[own]))


def cost_of(message: str, recipients: int, own: str) -> SmsCost:
    """The cost of `message`, as rendered for residents, holding the organiser's text `own`."""
    count = count_segments(message)
    odd = "".join(dict.fromkeys(c for c in message if not is_gsm7(c)))
    return SmsCost(
        message=message,
        encoding=count.encoding,
        segments=count.segments,
        recipients=recipients,
        shortened=own not in message,
        not_gsm7=odd,
    )
