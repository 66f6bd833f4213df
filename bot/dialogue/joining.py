"""First contact, consent and (where the community asks for it) the postcode check."""

from bot.dialogue.privacy import privacy_link
from bot.dialogue.turn import Reply, Result, Turn
from bot.domain.postcode import in_areas, parse_postcode
from bot.domain.residents import (
    admit,
    consent,
    conversation_for,
    has_phone,
    link_phone,
    opt_in,
    start_verifying,
)
from bot.text.catalogue import render
from channels.messages import Choice
from channels.phone import normalise_phone
from models.states import Step, Verification


def _share(turn: Turn) -> Choice:
    return turn.button("button_share_phone", "CONTACT", request_contact=True)


def welcome(turn: Turn) -> Result:
    """Explain what this number is for and ask for consent, with the privacy notice's address;
    where the community offers other languages and the newcomer has not picked one, say in each
    how to switch to it."""
    welcome = "welcome_telegram" if turn.channel == "telegram" else "welcome"
    replies = [turn.say(welcome, turn.button("button_join", "YES"), turn.button("button_no_thanks", "STOP"))]
    replies += privacy_link(turn)  # what they consent to, in full, before they say YES
    others = [code for code in turn.community.languages or () if code != turn.language]
    if others and turn.resident.language is None:
        replies.append(Reply(" ".join(render("language_offer", code) for code in others)))
    return Result(replies)


def accept_consent(turn: Turn) -> Result:
    """Record consent; go on to the community's check (postcode, phone) if it has one."""
    consent(turn.session, turn.resident, turn.now, turn.channel, turn.language)
    if turn.community.verification == Verification.POSTCODE or (
        turn.community.verification == Verification.PHONE and not has_phone(turn.resident)
    ):
        start_verifying(turn.resident)
        return ask_again(turn)
    return join(turn)


def ask_again(turn: Turn) -> Result:
    """Ask for what the community checks before someone joins."""
    if turn.community.verification == Verification.PHONE:
        return Result([turn.say("ask_contact", _share(turn))], step=Step.PHONE)
    return Result([turn.say("ask_postcode")], step=Step.POSTCODE)


def check_contact(turn: Turn) -> Result:
    """A shared contact that is the resident's own links them to their phone number."""
    if turn.contact is None:
        return ask_again(turn)
    if not turn.contact.own:
        return Result([turn.say("contact_not_own", _share(turn))], step=Step.PHONE)
    phone = normalise_phone(turn.contact.phone) or turn.contact.phone
    resident = link_phone(turn.session, turn.resident, phone, turn.now)
    if resident is not turn.resident:
        turn.resident = resident
        turn.conversation = conversation_for(turn.session, resident, turn.now)
        opt_in(turn.session, resident, turn.now, turn.channel)
        # Their consent on this channel is on record already: link_phone moved it to them.
        resident.consent_at = turn.now
    return join(turn)


def join(turn: Turn, postcode_district: str | None = None) -> Result:
    """Make the resident a member and show what they can do."""
    admit(turn.resident, postcode_district)
    return Result([turn.say("joined")])


def check_postcode(turn: Turn) -> Result:
    """Accept a postcode in the community's areas, or refuse politely."""
    postcode = parse_postcode(turn.text)
    if postcode is None:
        return Result([turn.say("postcode_invalid")], step=Step.POSTCODE)
    inside = in_areas(postcode, turn.community.postcode_areas)
    if inside is None:
        return Result([turn.say("postcode_full_needed")], step=Step.POSTCODE)
    if not inside:
        areas = ", ".join(turn.community.postcode_areas)
        return Result([turn.say("postcode_refused", areas=areas)], step=Step.POSTCODE)
    return join(turn, postcode.district)
