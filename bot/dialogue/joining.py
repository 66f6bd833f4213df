"""First contact, consent and (where the community asks for it) the postcode check."""
from bot.dialogue.turn import Result, Turn
from bot.postcode import in_areas, parse_postcode
from bot.residents import consent
from channels.messages import Choice

YES = Choice("Yes, join", "YES")
STOP = Choice("No thanks", "STOP")


def welcome(turn: Turn) -> Result:
    """Explain what this number is for and ask for consent."""
    return Result([turn.say("welcome", YES, STOP)])


def accept_consent(turn: Turn) -> Result:
    """Record consent; go on to the postcode if the community checks it."""
    consent(turn.resident, turn.now)
    if turn.community.verification == "postcode":
        turn.resident.status = "verifying"
        return Result([turn.say("ask_postcode")], step="postcode")
    return join(turn)


def join(turn: Turn) -> Result:
    """Make the resident a member and show what they can do."""
    turn.resident.status = "active"
    return Result([turn.say("joined")])


def check_postcode(turn: Turn) -> Result:
    """Accept a postcode in the community's areas, or refuse politely."""
    postcode = parse_postcode(turn.text)
    if postcode is None:
        return Result([turn.say("postcode_invalid")], step="postcode")
    inside = in_areas(postcode, turn.community.postcode_areas)
    if inside is None:
        return Result([turn.say("postcode_full_needed")], step="postcode")
    if not inside:
        areas = ", ".join(turn.community.postcode_areas)
        return Result([turn.say("postcode_refused", areas=areas)], step="postcode")
    turn.resident.postcode_district = postcode.district
    return join(turn)
