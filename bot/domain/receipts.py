"""Receipts: a short random code for every ballot. The voter keeps it; the ballot file published
when the round closes lists every counted ballot under its code, so anyone can find their own.

A code is 8 symbols of Crockford's base32 (digits and letters without I, L, O and U, which are
misread or misheard): 40 bits from `secrets`, read aloud in two groups, K7QM-2XPD. It is never
derived from the resident or their number (a hash of a phone number could be recomputed by
anyone with a phone book) and is stored only on the ballot, so nothing published leads back to
a person. A changed ballot gets a new code; the old one is kept as replaced.
"""

import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Ballot, ReplacedReceipt, Round

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SYMBOLS = 8  # 8 x 5 bits = 40 bits
# What people type for what they read: Crockford's decoding of look-alikes.
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_TYPED = re.compile(rf"[{ALPHABET}]{{{SYMBOLS}}}")


def new_receipt() -> str:
    """A fresh code, as residents read it: K7QM-2XPD."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(SYMBOLS))
    return f"{code[:4]}-{code[4:]}"


def read_receipt(text: str) -> str | None:
    """A typed code as stored ("k7qm 2xpd", "K7QM2XPD", "k7qm-2xpd" -> "K7QM-2XPD"); None when it
    cannot be one (wrong length, a letter no code has)."""
    code = re.sub(r"[\s\-.]+", "", text.strip().upper()).translate(_LOOK_ALIKES)
    if not _TYPED.fullmatch(code):
        return None
    return f"{code[:4]}-{code[4:]}"


class Found(StrEnum):
    COUNTED = "counted"  # the ballot under this code, as it was counted
    REPLACED = "replaced"  # its voter changed that ballot: a newer code holds their choices
    UNKNOWN = "unknown"  # no ballot of this round ever had it


@dataclass(frozen=True)
class Lookup:
    found: Found
    receipt: str | None
    choices: tuple[int, ...] = ()


def look_up(session: Session, round_: Round, typed: str) -> Lookup:
    """What the round holds under a receipt someone typed."""
    receipt = read_receipt(typed)
    if receipt is None:
        return Lookup(Found.UNKNOWN, None)
    choices = session.scalar(
        select(Ballot.choices).where(Ballot.round_id == round_.id, Ballot.receipt == receipt)
    )
    if choices is not None:
        return Lookup(Found.COUNTED, receipt, tuple(sorted(choices)))
    replaced = session.scalar(
        select(ReplacedReceipt.id).where(
            ReplacedReceipt.round_id == round_.id, ReplacedReceipt.receipt == receipt
        )
    )
    return Lookup(Found.REPLACED if replaced is not None else Found.UNKNOWN, receipt)
