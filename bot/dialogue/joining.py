"""First contact, consent and (where the community asks for it) the postcode check."""
from bot.dialogue.turn import Result, Turn
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
from channels.messages import Choice
from channels.phone import normalise_phone
from models.states import Step

YES = Choice("Yes, join", "YES")
STOP = Choice("No thanks", "STOP")
SHARE = Choice("Share my phone number", "CONTACT", request_contact=True)


def welcome(turn: Turn) -> Result:
    """Explain what this number is for and ask for consent."""
    return Result([turn.say("welcome", YES, STOP)])


def accept_consent(turn: Turn) -> Result:
    """Record consent; go on to the community's check (postcode, phone) if it has one."""
    consent(turn.resident, turn.now)
    if turn.community.verification == "postcode" or (
            turn.community.verification == "phone" and not has_phone(turn.resident)):
        start_verifying(turn.resident)
        return ask_again(turn)
    return join(turn)


def ask_again(turn: Turn) -> Result:
    """Ask for what the community checks before someone joins."""
    if turn.community.verification == "phone":
        return Result([turn.say("ask_contact", SHARE)], step=Step.PHONE)
    return Result([turn.say("ask_postcode")], step=Step.POSTCODE)


def check_contact(turn: Turn) -> Result:
    """A shared contact that is the resident's own links them to their phone number."""
    if turn.contact is None:
        return ask_again(turn)
    if not turn.contact.own:
        return Result([turn.say("contact_not_own", SHARE)], step=Step.PHONE)
    phone = normalise_phone(turn.contact.phone) or turn.contact.phone
    resident = link_phone(turn.session, turn.resident, phone, turn.now)
    if resident is not turn.resident:
        turn.resident = resident
        turn.conversation = conversation_for(turn.session, resident, turn.now)
        consent(resident, turn.now)
        opt_in(resident)
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
