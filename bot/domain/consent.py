"""Consent on record (models/consent.py): when a resident agreed to join and to which words,
and when they stopped or started again, each change also written to the audit trail.

The wording's version is `key/language/hash`: the catalogue entry they were shown (welcome,
welcome_telegram, call_consent), the language they read it in, and the first 12 hex digits of
the SHA-256 of its template in that language (the words before the community's name is filled
in). Any change to the words, or to a translation, gives a new version; the template a version
names is found in the catalogue's (or the .po file's) history.

The audit entry names the resident by their row's number only ("resident 42"), never by an
address: erasure removes the events and the address, and what the tamper-evident record keeps
then points at an anonymous row."""

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.text.catalogue import entry_for
from models import AuditEntry, ConsentEvent, Resident
from models.states import ConsentChange

# The text that asked for consent, on each channel; every other channel reads the SMS words.
CONSENT_TEXT = {"telegram": "welcome_telegram", "voice": "call_consent"}
CONSENT_DEFAULT = "welcome"
# Who the audit trail says made the change.
ACTOR = {ConsentChange.CARRIER_STOPPED: "carrier"}
SAID = {
    ConsentChange.CONSENTED: "consented",
    ConsentChange.STOPPED: "stopped",
    ConsentChange.STARTED: "started again",
    ConsentChange.CARRIER_STOPPED: "opted out at the carrier",
}


def wording_version(key: str, language: str) -> str:
    """The version of catalogue entry `key` as read in `language`: welcome/cy/3f2a9c1b7d4e."""
    template = entry_for(key).template(language, {})
    return f"{key}/{language}/{hashlib.sha256(template.encode('utf-8')).hexdigest()[:12]}"


def consent_wording(channel: str, language: str) -> str:
    """The version of the words that asked for consent on `channel`, in `language`."""
    return wording_version(CONSENT_TEXT.get(channel, CONSENT_DEFAULT), language)


def record(
    session: Session,
    resident: Resident,
    change: ConsentChange,
    channel: str,
    now: datetime,
    wording: str | None = None,
) -> ConsentEvent:
    """Keep one change of the resident's consent, and say so in the audit trail."""
    if resident.id is None:
        session.flush()
    event = ConsentEvent(
        resident_id=resident.id,
        community_id=resident.community_id,
        change=change,
        channel=channel[:20],
        wording=wording,
        at=now,
    )
    action = f"consent: {SAID[change]} by {channel}" + (f" ({wording})" if wording else "")
    session.add(event)
    session.add(
        AuditEntry(
            community_id=resident.community_id,
            actor=ACTOR.get(change, "resident"),
            subject=f"resident {resident.id}",
            action=action,
            created_at=now,
        )
    )
    return event


def events_of(session: Session, resident: Resident) -> list[ConsentEvent]:
    """The resident's consent changes, oldest first."""
    return list(
        session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.resident_id == resident.id)
            .order_by(ConsentEvent.at, ConsentEvent.id)
        )
    )
