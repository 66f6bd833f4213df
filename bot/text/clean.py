"""Text from outside, made safe to store and show: no NUL, no control characters; shortened
where space is tight.

PostgreSQL text cannot hold NUL; terminal escape sequences (ESC [ ...) and other control
characters in a resident's message must never reach an organiser's terminal or a page.
"""

import re
import unicodedata
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, and lone surrogates (not valid UTF-8).
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_JOINERS = "\u200c\u200d"


def clean_text(text: str | None) -> str | None:
    """`text` without control characters; a carriage return becomes a newline."""
    if text is None:
        return None
    return _UNSAFE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def visible(text: str) -> str:
    """`text` without bidirectional controls (U+202E shows the rest of a line reversed) and
    other invisible format characters (zero-width spaces, soft hyphens, BOMs, tags): what goes
    on a ballot, a page or a broadcast. The zero-width joiner and non-joiner stay: they join
    emoji and shape letters in some scripts, and never reorder or hide text."""
    if text.isascii():
        return text
    return "".join(c for c in text if c in _JOINERS or unicodedata.category(c) != "Cf")


def clean_raw(value: Any) -> Any:
    """A provider's payload with every string in it cleaned, keys included."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_raw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_raw(v) for v in value]
    return value


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending "..." when it was longer."""
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def fold(text: str) -> str:
    """Upper case without accents, for comparing words: "Usuń" -> "USUN", "siŵr" -> "SIWR"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper().replace("’", "'")
