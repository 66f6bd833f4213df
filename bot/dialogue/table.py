"""The conversation's one transition table: who is writing and the step they are in decide
which handlers read the message, in the spirit of python-telegram-bot's ConversationHandler.

Each row answers some keywords first, whatever else the resident was doing; then lets the
step's own handler read the message (it may let it pass, returning None); then answers with
`otherwise`, which always answers. A handler returns its replies and the next step."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.dialogue import erasure, ideas, joining, language, membership, privacy, voting
from bot.dialogue.menu import menu
from bot.dialogue.turn import Result, Turn
from models import Resident
from models.states import ResidentStatus, Step

Answer = Callable[[Turn], Result]  # always answers
Reader = Callable[[Turn], Result | None]  # None: the message is not for it


class Standing(StrEnum):
    """Where a resident stands with us, as far as what their messages mean goes."""

    OPTED_OUT = "opted_out"  # sent STOP (or was erased): nothing is said until START
    PENDING = ResidentStatus.PENDING.value
    VERIFYING = ResidentStatus.VERIFYING.value
    ACTIVE = ResidentStatus.ACTIVE.value


def standing(resident: Resident) -> Standing:
    """An erased resident is opted out too, so every other status is a member's."""
    if resident.opted_out:
        return Standing.OPTED_OUT
    if resident.status == ResidentStatus.PENDING:
        return Standing.PENDING
    if resident.status == ResidentStatus.VERIFYING:
        return Standing.VERIFYING
    return Standing.ACTIVE


@dataclass(frozen=True)
class Row:
    keywords: Mapping[str, Answer]  # answered first, whatever the step
    step: Reader | None  # then the step's own handler, which may let the message pass
    otherwise: Answer  # then this


# Erasure works whatever the state; a stopped resident is not asked twice, as the question
# may never reach them. After STOP, nothing else is answered.
OPTED_OUT = Row({"start": membership.restart, "delete": erasure.erase_now}, None, membership.silence)
# A newcomer may stop, or pick a language and be asked again in it, before anything else.
# MY DATA is answered to anyone not stopped, joined or not: we hold their number either way.
JOINING = {"stop": membership.stop, "language": language.choose_before_joining, "my_data": privacy.my_data}
CHECKING = {**JOINING, "help": joining.ask_again}  # HELP repeats what the check asks
MEMBER = {"stop": membership.stop, "help": membership.help_menu, "my_data": privacy.my_data}

# Who is writing, and their step (None: no step, or one that means nothing to them) -> handlers.
TABLE: dict[tuple[Standing, Step | None], Row] = {
    (Standing.OPTED_OUT, None): OPTED_OUT,
    (Standing.PENDING, None): Row(
        {**JOINING, "start": joining.accept_consent, "delete": erasure.erase_now}, None, joining.welcome
    ),
    (Standing.VERIFYING, None): Row(JOINING, None, joining.ask_again),
    (Standing.VERIFYING, Step.POSTCODE): Row(CHECKING, None, joining.check_postcode),
    (Standing.VERIFYING, Step.PHONE): Row(CHECKING, None, joining.check_contact),
    (Standing.ACTIVE, None): Row(MEMBER, None, menu),
    (Standing.ACTIVE, Step.IDEA_TEXT): Row(MEMBER, ideas.idea_text, menu),
    (Standing.ACTIVE, Step.IDEA_COST): Row(MEMBER, ideas.idea_cost, menu),
    (Standing.ACTIVE, Step.CONFIRM_DELETE): Row(MEMBER, erasure.confirm_delete, menu),
    (Standing.ACTIVE, Step.BALLOT): Row(MEMBER, voting.ballot, menu),
    # A member is not normally left in a joining step; should one be, it is answered as asked.
    (Standing.ACTIVE, Step.POSTCODE): Row(MEMBER, joining.check_postcode, menu),
    (Standing.ACTIVE, Step.PHONE): Row(MEMBER, joining.check_contact, menu),
}


def row_for(resident: Resident, step: Step | None) -> Row:
    """The row for this resident in this step, or for them with no step."""
    who = standing(resident)
    return TABLE.get((who, step)) or TABLE[(who, None)]
