"""Every state a row can be in, as StrEnums; the tables hold them under CHECK constraints.

A StrEnum member equals its text ("open" == RoundStatus.OPEN), so rows read back as plain
strings compare as before, and a typo in code fails at import instead of matching nothing.
"""

from enum import StrEnum

from sqlalchemy import CheckConstraint


class ResidentStatus(StrEnum):
    PENDING = "pending"  # welcomed, no consent yet
    VERIFYING = "verifying"  # consented; the community's check (postcode, phone) asked
    ACTIVE = "active"  # a member
    ERASED = "erased"  # asked us to delete their data (the row stays, anonymous)


class ConsentChange(StrEnum):
    """What a resident did with their consent (models/consent.py)."""

    CONSENTED = "consented"  # agreed to join (YES, START, 1 on the phone line)
    STOPPED = "stopped"  # STOP by text, 9 on the phone line
    STARTED = "started"  # START again after a STOP
    CARRIER_STOPPED = "carrier_stopped"  # the carrier refused to deliver: opted out there (21610)


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a dispatcher until its lease runs out
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"  # the provider reported it delivered
    UNDELIVERED = "undelivered"  # the provider reported it could not deliver
    FAILED = "failed"  # we gave up, or the provider refused it
    CANCELLED = "cancelled"  # withdrawn before sending (STOP, erasure, a dead address)


class IdeaStatus(StrEnum):
    SUBMITTED = "submitted"
    SHORTLISTED = "shortlisted"
    REJECTED = "rejected"
    MERGED = "merged"
    IN_ROUND = "in_round"
    FUNDED = "funded"
    NOT_FUNDED = "not_funded"
    REFERRED = "referred"  # a job for a council service: passed to it instead of a vote


class ReferralAnswer(StrEnum):
    """What a council service answered about an idea referred to it (None: not yet)."""

    WILL_DO = "will_do"  # with the date it will be done by
    SCHEDULED = "scheduled"  # with the date it is scheduled for
    DONE = "done"  # already done
    DECLINED = "declined"  # not ours, or will not do: with a reason


class RoundStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class ProjectStatus(StrEnum):
    """A funded idea followed to the end: forward only, and nothing after cancelled."""

    FUNDED = "funded"  # won a vote; work not started
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class RoundMethod(StrEnum):
    """How a resident's ballot reads: one option, up to k of them, or what fits the budget."""

    CHOOSE_ONE = "choose-one"
    APPROVAL = "approval"
    BUDGET = "budget"


class CountRule(StrEnum):
    """How a closed round's ballots become winners."""

    GREEDY = "greedy"
    EQUAL_SHARES = "equal-shares"


class Verification(StrEnum):
    """What a community checks before a resident joins."""

    NONE = "none"
    POSTCODE = "postcode"
    PHONE = "phone"  # Telegram residents share their contact: one person, one resident


class IdentityKind(StrEnum):
    PHONE = "phone"
    TELEGRAM = "telegram"


class Unreachable(StrEnum):
    """Why a provider says an identity can no longer be reached."""

    OPTED_OUT = "opted_out"  # at the carrier: a START there makes it reachable again
    BLOCKED = "blocked"  # the Telegram bot was blocked: unblocking does
    INVALID = "invalid"  # no such number or chat: nothing does


class CorrectionAction(StrEnum):
    VOID = "void"  # the entry counts for nothing
    CLOSE = "close"  # the allocation commits what was spent against it


class AllocationStatus(StrEnum):
    """An allocation as its correction leaves it (computed, not stored)."""

    OPEN = "open"
    CLOSED = "closed"
    VOID = "void"


class ThreadStatus(StrEnum):
    """A resident's inbox thread: waiting on the organisers, or put away."""

    OPEN = "open"
    CLOSED = "closed"


class Direction(StrEnum):
    """A message in an inbox thread: from the resident, or an organiser's reply."""

    IN = "in"
    OUT = "out"


class Step(StrEnum):
    """Where a resident's conversation is: what their next message answers."""

    IDEA_TEXT = "idea_text"  # IDEA was sent alone: the next message is the idea
    IDEA_COST = "idea_cost"  # the idea is saved: the next message is its rough cost
    CONFIRM_DELETE = "confirm_delete"  # DELETE was sent: DELETE again erases
    POSTCODE = "postcode"  # joining: the community asks for a postcode
    PHONE = "phone"  # joining: the community asks Telegram residents for their phone
    BALLOT = "ballot"  # a selection is being built with Telegram buttons


def one_of(column: str, states: type[StrEnum], *, nullable: bool = False) -> CheckConstraint:
    """CHECK that `column` holds one of `states` (or NULL, where it may)."""
    values = ", ".join(f"'{state.value}'" for state in states)
    condition = f"{column} IN ({values})"
    if nullable:
        condition = f"{column} IS NULL OR {condition}"
    return CheckConstraint(condition, name=f"{column}_state")


class CallStep(StrEnum):
    """Where a phone call is: what the caller's next keys answer."""

    LANGUAGE = "language"  # 1 English, 2 Cymraeg, 3 Polski
    CONSENT = "consent"  # a new caller (or one who stopped): 1 to join
    MENU = "menu"  # budget, options, vote, idea, stop
    VOTE = "vote"  # an option's number and #, again and again; # alone to finish
    CONFIRM = "confirm"  # the choices read back: 1 to confirm
    IDEA = "idea"  # recording a voice message
    ENDED = "ended"  # hung up, or said goodbye
