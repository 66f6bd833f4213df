"""UK postcodes, for communities that only take residents from their own area."""

import re
from dataclasses import dataclass

_FULL = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d)([A-Z]{2})$")
_OUTWARD = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?$")


@dataclass(frozen=True)
class Postcode:
    district: str  # outward code, e.g. "E1"
    sector: str | None  # e.g. "E1 6"; None when only the outward code was given


def parse_postcode(text: str) -> Postcode | None:
    """Read "e1 6an", "E16AN" or "E1"; None if it is not a UK postcode."""
    compact = re.sub(r"\s+", "", text.strip().upper()).strip(".,!")
    if match := _FULL.match(compact):
        return Postcode(match[1], f"{match[1]} {match[2]}")
    if _OUTWARD.match(compact):
        return Postcode(compact, None)
    return None


def normalise_area(text: str) -> str | None:
    """An organiser's area as stored: "E1" (district) or "E1 6" (sector); None if invalid."""
    parts = text.strip().upper().split()
    if len(parts) == 1 and _OUTWARD.match(parts[0]):
        return parts[0]
    if len(parts) == 2 and _OUTWARD.match(parts[0]) and re.fullmatch(r"\d", parts[1]):
        return f"{parts[0]} {parts[1]}"
    return None


def in_areas(postcode: Postcode, areas: list[str]) -> bool | None:
    """True or False; None when a sector must be checked but only a district was given."""
    if postcode.district in areas or (postcode.sector and postcode.sector in areas):
        return True
    if postcode.sector is None and any(a.startswith(postcode.district + " ") for a in areas):
        return None
    return False
