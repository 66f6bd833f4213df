"""SMS segment counting: GSM-7 where every character allows it, UCS-2 otherwise.

Providers bill per segment, so this is what a message costs.
"""

import re
import unicodedata
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")  # each takes two septets (escape + char)

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    segments: int
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2


GSM7 = GSM7_BASIC | GSM7_EXTENDED


def is_gsm7(text: str) -> bool:
    """True when every character has a GSM-7 encoding."""
    return GSM7.issuperset(text)  # one pass in C: every reply is checked, some several times


_LOOKALIKES = {
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "–": "-",
    "—": "-",
    "…": "...",
    "\u00a0": " ",
    "•": "-",
    # letters with a stroke, which Unicode does not decompose into letter + accent
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ħ": "h",
    "ŧ": "t",
    "ı": "i",
}


def to_gsm7(text: str) -> str:
    """The nearest GSM-7 spelling: accents dropped where GSM-7 lacks them (ŵ -> w),
    typographic punctuation made plain, anything else (emoji) left out."""
    out, dropped = [], False
    for char in text:
        if is_gsm7(char):
            out.append(char)
        elif char in _LOOKALIKES:
            out.append(_LOOKALIKES[char])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if is_gsm7(c))
            dropped = dropped or not base
            out.append(base)
    spelt = "".join(out)
    # "ready 🏗️ soon" is "ready soon", not "ready  soon"
    return re.sub(r"(?<=\S)  +(?=\S)", " ", spelt) if dropped else spelt


def count_segments(text: str) -> SegmentCount:
    """How many SMS segments `text` takes, and in which encoding."""
    if is_gsm7(text):
        total = len(text) + sum(map(text.count, GSM7_EXTENDED))
        if total <= GSM7_SINGLE:  # most texts: one segment, no need to place each character
            return SegmentCount("GSM-7", 1, total)
        widths = [2 if c in GSM7_EXTENDED else 1 for c in text]
        return SegmentCount("GSM-7", _pack(widths, GSM7_SINGLE, GSM7_MULTI), total)
    total = len(text.encode("utf-16-le")) // 2  # a character beyond U+FFFF is a surrogate pair
    if total <= UCS2_SINGLE:
        return SegmentCount("UCS-2", 1, total)
    widths = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return SegmentCount("UCS-2", _pack(widths, UCS2_SINGLE, UCS2_MULTI), total)


def _pack(widths: list[int], single: int, multi: int) -> int:
    # A two-unit character (escape sequence, surrogate pair) is never split across segments.
    total = sum(widths)
    if total <= single:
        return 1
    segments, used = 1, 0
    for width in widths:
        if used + width > multi:
            segments, used = segments + 1, 0
        used += width
    return segments
