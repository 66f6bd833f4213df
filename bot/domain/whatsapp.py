"""WhatsApp settings of a community: the templates organisers registered for the messages we
start, and the sender WhatsApp goes from when it is not the SMS number.

Outside WhatsApp's 24-hour window only a template Meta approved may go (Twilio refuses plain
text with 63016). Each kind of message we start has a template kind here, with the variables
it is sent with ({{1}}, {{2}}... in the template's body) and a suggested body in every shipped
language (the catalogue's `whatsapp_<kind>`), which organisers copy into Twilio's Content
Template Builder. A message of a kind with no template in the resident's language goes by SMS.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bot.errors import InvalidInput, NotFound
from bot.text.catalogue import filled, render, shipped_languages
from channels.phone import normalise_phone
from channels.registry import spec
from models import Community, WhatsAppTemplate

CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")  # as Twilio writes a ContentSid


@dataclass(frozen=True)
class TemplateKind:
    """A kind of message we start that may go as a WhatsApp template."""

    name: str
    title: str  # as organisers name it
    variables: tuple[str, ...]  # the catalogue placeholders {{1}}, {{2}}... hold, in order
    meaning: tuple[str, ...]  # what each holds, for organisers


KINDS: dict[str, TemplateKind] = {
    kind.name: kind
    for kind in (
        TemplateKind(
            "ballot",
            "Ballot (a vote opens)",
            ("community", "title", "closes"),
            ("the community's name", "the round's title", "when voting closes"),
        ),
        TemplateKind(
            "reminder",
            "Reminder to vote",
            ("community", "title", "closes"),
            ("the community's name", "the round's title", "when voting closes"),
        ),
        TemplateKind(
            "result",
            "Results of a vote",
            ("community", "title", "winners"),
            ("the community's name", "the round's title", "what was funded"),
        ),
        TemplateKind(
            "budget_news",
            "Budget update",
            ("community", "update"),
            ("the community's name", "the update"),
        ),
        TemplateKind(
            "announcement",
            "Announcement",
            ("community", "announcement"),
            ("the community's name", "the announcement"),
        ),
        TemplateKind(
            "project_news",
            "Project news (delivered)",
            ("community", "number", "title", "update"),
            ("the community's name", "the project's number", "its title", "the news"),
        ),
    )
}


@dataclass(frozen=True)
class Template:
    """What a message we start would be as a template: its kind, and its variables by
    placeholder name in a language (a function of the language: times are written in it)."""

    kind: str
    values: Callable[[str], Mapping[str, object]]

    def variables(self, language: str) -> dict[str, str]:
        """ContentVariables: {"1": ..., "2": ...}, each on one line as WhatsApp requires, cut as
        the catalogue cuts them."""
        values = filled(language, **self.values(language))
        names = KINDS[self.kind].variables
        return {
            str(n): " ".join(values.get(name, "").split()) or "-" for n, name in enumerate(names, start=1)
        }


def suggested_body(kind: str, language: str) -> str:
    """The body to register for `kind` in `language`, with Twilio's {{1}}, {{2}}... in it."""
    numbered = {name: f"{{{{{n}}}}}" for n, name in enumerate(KINDS[kind].variables, start=1)}
    return render(f"whatsapp_{kind}", language, **numbered)


def content_sid(session: Session, community: Community, kind: str, language: str) -> str | None:
    """The ContentSid registered for `kind` in `language`, or None."""
    return session.scalar(
        select(WhatsAppTemplate.content_sid).where(
            WhatsAppTemplate.community_id == community.id,
            WhatsAppTemplate.kind == kind,
            WhatsAppTemplate.language == language,
        )
    )


def templates_of(session: Session, community: Community) -> list[WhatsAppTemplate]:
    """The community's templates, by kind (in KINDS' order) and language."""
    order = list(KINDS)
    rows = session.scalars(select(WhatsAppTemplate).where(WhatsAppTemplate.community_id == community.id))
    return sorted(rows, key=lambda t: (order.index(t.kind) if t.kind in order else len(order), t.language))


def _checked(kind: str, language: str) -> None:
    if kind not in KINDS:
        raise InvalidInput(f"kind {kind!r} is not one of: {', '.join(KINDS)}", field="kind")
    if language not in shipped_languages():
        raise InvalidInput(
            f"language {language!r} is not one of: {', '.join(shipped_languages())}", field="language"
        )


def set_template(
    session: Session, community: Community, kind: str, language: str, sid: str, now: datetime
) -> WhatsAppTemplate:
    """Register (or replace) the ContentSid for `kind` in `language`."""
    kind, language, sid = kind.strip().lower(), language.strip().lower(), sid.strip()
    _checked(kind, language)
    if not CONTENT_SID.match(sid):
        raise InvalidInput(
            f"{sid[:40]!r} is not a ContentSid (HX followed by 32 hex digits, from Twilio's "
            "Content Template Builder)",
            field="content_sid",
        )
    row = session.scalar(
        select(WhatsAppTemplate).where(
            WhatsAppTemplate.community_id == community.id,
            WhatsAppTemplate.kind == kind,
            WhatsAppTemplate.language == language,
        )
    )
    if row is None:
        row = WhatsAppTemplate(community_id=community.id, kind=kind, language=language)
        session.add(row)
    row.content_sid, row.updated_at = sid, now
    session.flush()
    return row


def remove_template(session: Session, community: Community, kind: str, language: str) -> None:
    """Forget the template for `kind` in `language`: such messages go by SMS again."""
    kind, language = kind.strip().lower(), language.strip().lower()
    _checked(kind, language)
    removed = session.execute(
        delete(WhatsAppTemplate).where(
            WhatsAppTemplate.community_id == community.id,
            WhatsAppTemplate.kind == kind,
            WhatsAppTemplate.language == language,
        )
    )
    if not getattr(removed, "rowcount", 0):
        raise NotFound(f"no {kind} template in {language} for {community.slug}")


def set_sender(session: Session, community: Community, number: str | None) -> None:
    """Give WhatsApp a sender of its own; None or "" sends it from the SMS number again."""
    if not number or not number.strip():
        community.whatsapp_number = None
        return
    normal = normalise_phone(number.removeprefix("whatsapp:"))
    if normal is None:
        raise InvalidInput(f"WhatsApp sender {number[:40]!r} is not a phone number", field="number")
    taken = session.scalar(
        select(Community.slug).where(
            Community.id != community.id,
            or_(Community.sms_number == normal, Community.whatsapp_number == normal),
        )
    )
    if taken is not None:
        raise InvalidInput(f"{normal} is already {taken}'s number", field="number")
    community.whatsapp_number = normal


def number_for(community: Community, channel: str) -> str | None:
    """Our side of the conversation on `channel`: the community's number where the channel
    sends from one (WhatsApp's own sender when it has one), else None."""
    found = spec(channel)
    if not found.sends_from_number:
        return None
    if found.own_sender and community.whatsapp_number:
        return community.whatsapp_number
    return community.sms_number
