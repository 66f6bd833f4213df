"""Money as residents and organisers write it, stored exactly in integer pence."""

import re
from dataclasses import dataclass

from babel import Locale
from babel.numbers import format_decimal

MAX_PENCE = 100_000_000_00  # £100m: more than any community budget

_AMOUNT = re.compile(
    r"^(?:about|around|approx\.?|roughly|~)?£?(?P<number>\d+(?:\.\d{1,2})?)"
    r"(?P<unit>k|m|thousand|million|p|pence|pounds?|gbp)?£?$"
)
_MULTIPLIER = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000}


def parse_amount(text: str) -> int | None:
    """Read "500", "£2k", "2,500", "£1.5m" or "120.50" as pence; None if it is no amount, or
    none we take (nothing, or over MAX_PENCE)."""
    pence = read_amount(text)
    if pence is None or pence <= 0 or pence > MAX_PENCE:
        return None
    return pence


def read_amount(text: str) -> int | None:
    """The pence `text` writes, however large or small; None if it is no amount at all."""
    cleaned = text.strip().lower().rstrip(".!")
    cleaned = re.sub(r"(?<=\d),(?=\d{3}\b)", "", cleaned)  # thousands separators
    cleaned = re.sub(r"\s*([£~])\s*", r"\1", cleaned)  # "£ 2000", "about £300"
    cleaned = re.sub(r"(?<=\d)\s+(?=[a-z£])", "", cleaned)  # "3 thousand", "300 pounds"
    cleaned = re.sub(r"^(about|around|approx\.?|roughly)\s*", r"\1", cleaned)
    if re.search(r"\s", cleaned):
        return None
    match = _AMOUNT.match(cleaned)
    if not match:
        return None
    number, unit = match["number"], match["unit"]
    whole, _, fraction = number.partition(".")
    pence = int(whole) * 100 + int(fraction.ljust(2, "0")) if fraction else int(whole) * 100
    if unit in ("p", "pence"):
        if fraction:
            return None
        pence = int(whole)
    elif unit in _MULTIPLIER:
        pence = pence * _MULTIPLIER[unit]
    return pence


def format_pence(pence: int) -> str:
    """£1,150,000 for whole pounds, £12.50 otherwise; a minus sign before the £."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    if rest:
        return f"{sign}£{pounds:,}.{rest:02d}"
    return f"{sign}£{pounds:,}"


@dataclass(frozen=True)
class Money:
    """An amount for a resident's message, written the way their language writes money."""

    pence: int

    def in_language(self, language: str) -> str:
        return money_in(self.pence, language)

    def __str__(self) -> str:
        return format_pence(self.pence)


def money_in(pence: int, language: str) -> str:
    """ "£1,150,000" in English and Welsh, "1 150 000 £" in Polish: the locale's digits, grouping
    and sign position, with the £ sign (and plain spaces, which an SMS can carry cheaply)."""
    if language == "en":
        return format_pence(pence)
    pounds = abs(pence) / 100
    number = format_decimal(pounds, format="#,##0.00" if pence % 100 else "#,##0", locale=language)
    number = number.replace("\xa0", " ").replace("\u202f", " ")
    sign = "-" if pence < 0 else ""
    pattern = Locale.parse(language).currency_formats["standard"].pattern
    return f"{sign}£{number}" if pattern.lstrip("-").startswith("¤") else f"{sign}{number} £"


# A cost written inside a sentence: "a mural about £15,000", "benches (£2k)". Only with a £,
# so "2 benches" or "open till 6pm" are never taken for money.
_COST_IN_TEXT = re.compile(
    r"[\s,(-]*(?:\b(?:about|around|roughly|approx\.?|approximately|costing|for|at|cost)\s+)?"
    r"(£\s?\d[\d,]*(?:\.\d{1,2})?\s?(?:k|m|thousand|million)?)\b\)?",
    re.IGNORECASE,
)


def cost_in_text(text: str) -> tuple[int, str] | None:
    """The one amount written in `text` with a £, and the text without it; None if none (or
    several: then which is the cost is not ours to guess)."""
    found = [(m, pence) for m in _COST_IN_TEXT.finditer(text) if (pence := parse_amount(m[1])) is not None]
    if len(found) != 1:
        return None
    match, pence = found[0]
    rest = (text[: match.start()] + text[match.end() :]).strip(" ,;-")
    return (pence, " ".join(rest.split())) if rest else None
