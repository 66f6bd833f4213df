"""Poll rounds from creation to result; the CLI, API and scheduler all call these."""

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import ScalarResult, exists, func, or_, select, update
from sqlalchemy.orm import Session

from bot.domain import chain, ledger
from bot.domain.communities import by_number, lock_community
from bot.domain.explain import reason
from bot.domain.ideas import idea_by_number
from bot.domain.moderation import authors
from bot.domain.notify import broadcast, member_count, notify
from bot.domain.outcome import Option, compute
from bot.domain.pabulib import publish_pb
from bot.domain.quiet_hours import send_at
from bot.domain.whatsapp import Template
from bot.errors import InvalidInput
from bot.text import round_messages
from bot.text.catalogue import PLACEHOLDER_MAX
from bot.text.clean import visible
from bot.text.links import round_page
from bot.text.money import Money, format_pence
from bot.text.numbers import out_of_range
from bot.text.organiser_text import plain, without_pictographs
from bot.text.times import Moment
from channels.segments import is_gsm7
from models import (
    ROUND_METHODS,
    ROUND_RULES,
    Ballot,
    Community,
    Idea,
    OutboxMessage,
    PendingAnswer,
    Resident,
    Round,
    RoundOption,
)
from models.states import CountRule, IdeaStatus, OutboxStatus, RoundMethod, RoundStatus

MAX_OPTIONS = 2**31 - 1  # what the column holds; a ballot never has as many
# How options are listed to each member: their own rotation of a random order (position effects
# are real in long ballots), or number order.
BALLOT_ORDERS = ("shuffled", "numbered")


def create_round(
    session: Session,
    community: Community,
    *,
    title: str,
    method: str,
    idea_numbers: list[int],
    opens_at: datetime,
    closes_at: datetime,
    now: datetime,
    rule: str = CountRule.GREEDY,
    remind_at: datetime | None = None,
    budget_pence: int | None = None,
    max_choices: int | None = None,
    order: str = "shuffled",
) -> Round:
    """Schedule a round of shortlisted ideas, numbered 1..n in the order given. The round is
    numbered next in its community when it is stored. `order` "shuffled": each member sees the
    options in their own order (a rotation of a random order); "numbered": in number order."""
    title = plain(title)  # typographic quotes and dashes would make every SMS about it UCS-2
    if len(title) < 3:
        raise InvalidInput("a round's title must be at least 3 characters", field="title")
    if method not in ROUND_METHODS:
        raise InvalidInput(f"method must be one of: {', '.join(ROUND_METHODS)}", field="method")
    if rule not in ROUND_RULES:
        raise InvalidInput(f"rule must be one of: {', '.join(ROUND_RULES)}", field="rule")
    if order not in BALLOT_ORDERS:
        raise InvalidInput(f"order must be one of: {', '.join(BALLOT_ORDERS)}", field="order")
    if len(set(idea_numbers)) != len(idea_numbers) or len(idea_numbers) < 2:
        raise InvalidInput("a round needs at least two different ideas", field="idea_numbers")
    ideas = [idea_by_number(session, community, n) for n in idea_numbers]
    for idea in ideas:
        if idea.status == IdeaStatus.IN_ROUND:
            raise InvalidInput(f"idea #{idea.number} is already in a round", field="idea_numbers")
        if idea.status != IdeaStatus.SHORTLISTED:
            state = idea.status.replace("_", " ")  # "not funded", as organisers say it
            raise InvalidInput(
                f"idea #{idea.number} is {state}: only shortlisted ideas go into a round "
                "(shortlist it first)",
                field="idea_numbers",
            )
    _check_title(title, len(ideas), community)
    _check_times(opens_at, closes_at, remind_at, now)
    if max_choices is not None and method != RoundMethod.APPROVAL:
        raise InvalidInput(
            "the most choices a ballot may have is for approval rounds only: leave it empty",
            field="max_choices",
        )
    refused = None if max_choices is None else out_of_range(str(max_choices), max_choices, MAX_OPTIONS)
    if refused:
        raise InvalidInput(f"most choices per ballot: {refused}", field="max_choices")
    if max_choices is not None and max_choices > len(ideas):  # "up to 5" of 2: a ballot that misleads
        raise InvalidInput(
            f"the most choices a ballot may have is at most the number of options ({len(ideas)})",
            field="max_choices",
        )
    lock_community(session, community)  # one number each; the money still to decide holds
    remaining = ledger.summary(session, community).remaining
    if budget_pence is None:
        if method == RoundMethod.BUDGET:
            raise InvalidInput(
                "a budget round needs the amount to allocate: give its budget", field="budget_pence"
            )
        budget_pence = remaining
    if not 0 < budget_pence <= remaining:
        raise InvalidInput(
            f"the round's budget must be more than £0 and at most the "
            f"{format_pence(remaining)} still to decide",
            field="budget_pence",
        )
    cheapest = min(idea.cost_pence or 0 for idea in ideas)  # shortlisting gave each a cost
    if cheapest > budget_pence:  # nothing could be funded (a budget round refuses every vote)
        raise InvalidInput(
            f"no option fits the round's budget of {format_pence(budget_pence)}: "
            f"the cheapest costs {format_pence(cheapest)}",
            field="budget_pence",
        )
    round_ = Round(
        community_id=community.id,
        title=title,
        method=method,
        rule=rule,
        max_choices=max_choices,
        budget_pence=budget_pence,
        status=RoundStatus.SCHEDULED,
        opens_at=opens_at,
        closes_at=closes_at,
        remind_at=remind_at,
        ballot_order_seed=secrets.token_hex(16) if order == "shuffled" else None,
        created_at=now,
    )
    for number, idea in enumerate(ideas, start=1):
        # The ballot goes to every member: no pictograph of one idea makes it UCS-2 for all.
        round_.options.append(
            RoundOption(
                number=number,
                idea_id=idea.id,
                title=without_pictographs(idea.text) or visible(idea.text),
                cost_pence=idea.cost_pence,
            )
        )
        idea.status = IdeaStatus.IN_ROUND
    session.add(round_)
    session.flush()
    return round_


def reschedule_round(
    session: Session,
    round_: Round,
    now: datetime,
    *,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    remind_at: datetime | None = None,
) -> Round:
    """Move a round's times; the scheduler picks the new times up within minutes."""
    if round_.status not in (RoundStatus.SCHEDULED, RoundStatus.OPEN):
        raise InvalidInput(f"round {round_.number} is {round_.status}: it cannot be rescheduled")
    if opens_at is not None and round_.status == RoundStatus.OPEN:
        raise InvalidInput(f"round {round_.number} is already open: only its close and reminder can move")
    if closes_at is not None and closes_at <= now:  # said first: it is what is wrong
        raise InvalidInput("the closing time has already passed", field="closes_at")
    opens, closes = opens_at or round_.opens_at, closes_at or round_.closes_at
    remind = remind_at or round_.remind_at
    # An open round is measured from when it opened, which may be before its planned time.
    opened = round_.opened_at if round_.status == RoundStatus.OPEN and round_.opened_at else opens
    _check_times(min(opens, opened), closes, remind, now, remind_given=remind_at is not None)
    round_.opens_at, round_.closes_at, round_.remind_at = opens, closes, remind
    if remind_at is not None:
        round_.reminded_at = None
    return round_


def get_round(session: Session, community: Community, number: int) -> Round:
    """The community's round `number` (1, 2, 3... in each community); NotFound if none."""
    return by_number(session, Round, community, number, "round")


def rounds_of(session: Session, community: Community) -> list[Round]:
    """The community's rounds, newest first."""
    return list(
        session.scalars(select(Round).where(Round.community_id == community.id).order_by(Round.number.desc()))
    )


def open_round(session: Session, round_: Round, now: datetime) -> bool:
    """Open voting and send every member the ballot, once. False if it was already open."""
    if round_.status == RoundStatus.OPEN:
        return False
    if round_.status != RoundStatus.SCHEDULED:
        raise InvalidInput(f"round {round_.number} is {round_.status}: only a scheduled round opens")
    other = session.scalar(
        select(Round.number).where(
            Round.community_id == round_.community_id, Round.status == RoundStatus.OPEN
        )
    )
    if other is not None:
        raise InvalidInput(f"round {other} is open: close it before opening another")
    round_.status, round_.opened_at = RoundStatus.OPEN, now
    community = session.get_one(Community, round_.community_id)
    # Each member gets the ballot with the options in their own order (one rotation each).
    rotation = round_messages.rotation_expression(round_, Resident.id)
    broadcast(
        session,
        community,
        lambda language, turn=None: round_messages.ballot(round_, community, language, turn),
        now,
        key=f"round-open:{round_.id}",
        template=_voting_template("ballot", round_, community),
        versions=(rotation, len(round_.options)) if rotation is not None else None,
        held=_in_time(community, round_, now),
    )
    return True


def remind(session: Session, round_: Round, now: datetime) -> int | None:
    """Remind members who have not voted, once each. Returns how many were reminded, or None
    if this round's reminders were already sent (nothing is sent again)."""
    if round_.status != RoundStatus.OPEN:
        raise InvalidInput(f"round {round_.number} is {round_.status}: only an open round has reminders")
    if round_.reminded_at is not None:
        return None
    community = session.get_one(Community, round_.community_id)
    sent = broadcast(
        session,
        community,
        "reminder",
        now,
        key=f"round-remind:{round_.id}",
        unless=exists().where(Ballot.round_id == round_.id, Ballot.resident_id == Resident.id),
        template=_voting_template("reminder", round_, community),
        held=_in_time(community, round_, now),
        title=round_.title,
        closes=Moment(round_.closes_at, community.timezone),
    )
    round_.reminded_at = now
    return sent


def _in_time(community: Community, round_: Round, now: datetime) -> bool:
    """Whether a ballot or reminder held for quiet hours would still arrive before voting
    closes; if not it goes at once, as one that comes too late to vote is no use."""
    return send_at(community, now) < round_.closes_at


def answers_waiting(session: Session, round_: Round, before: datetime) -> int:
    """Messages to the round's community received by `before` that a worker has still to answer
    (INBOUND_ANSWER=worker): a vote sent in time is counted, so the round waits for them."""
    return session.execute(
        select(func.count())
        .select_from(PendingAnswer)
        .where(PendingAnswer.community_id == round_.community_id, PendingAnswer.received_at <= before)
    ).scalar_one()


def close_round(session: Session, round_: Round, now: datetime) -> bool:
    """Count the ballots, fund the winners, and tell everyone. False if already closed."""
    # Under the community's lock, as paper ballots are added: they are counted or refused.
    lock_community(session, round_.community_id)
    session.refresh(round_, ["status"])
    if round_.status == RoundStatus.CLOSED:
        return False
    if round_.status != RoundStatus.OPEN:
        raise InvalidInput(f"round {round_.number} is {round_.status}: only an open round closes")
    waiting = answers_waiting(session, round_, min(round_.closes_at, now))
    if waiting:
        many = waiting > 1
        raise InvalidInput(
            f"{waiting} message{'s' if many else ''} sent before the close still "
            f"wait{'' if many else 's'} for a worker to answer "
            f"{'them' if many else 'it'} (a vote, perhaps): try again in a few seconds"
        )
    community = session.get_one(Community, round_.community_id)
    # Members then, for turnout on the certificate (membership moves on after the close).
    round_.outcome = dict(
        count(session, round_), computed_at=now.isoformat(), members=member_count(session, community)
    )
    round_.status, round_.closed_at = RoundStatus.CLOSED, now
    _withdraw_held(session, round_, now)
    publish(session, round_, community)  # before the result goes out: it links to the file
    winners = set(round_.outcome["winners"])
    told_funded = set()  # authors whose own news already says their idea won: one message each
    for option in round_.options:
        idea = session.get(Idea, option.idea_id) if option.idea_id else None
        if option.number in winners:
            ledger.allocate(
                session,
                community,
                title=option.title[:200],
                amount_pence=option.cost_pence,
                now=now,
                idea_number=idea.number if idea else None,
            )
        if idea is None:
            continue
        idea.status = IdeaStatus.FUNDED if option.number in winners else IdeaStatus.NOT_FUNDED
        key, why = "idea_funded", dict[str, Any]()
        if option.number not in winners:  # told why, in the rule's own figures, where kept
            because = reason(round_.outcome, option.number)
            key, why = (because.message, because.values()) if because else ("idea_not_funded", {})
        for author in authors(session, idea):
            sent = notify(
                session,
                community,
                author,
                key,
                now,
                number=idea.number,
                option=option.number,
                amount=Money(option.cost_pence),
                **why,
                key=f"idea-outcome:{round_.id}:{idea.id}:{author.id}",
            )
            if sent is not None and option.number in winners:
                told_funded.add(author.id)
    broadcast(
        session,
        community,
        lambda language: round_messages.result(round_, language, round_page(community, round_)),
        now,
        key=f"round-result:{round_.id}",
        unless=Resident.id.in_(told_funded),
        template=_result_template(round_, community),
    )
    # The record's seal with the winners' allocations in it, for the round's certificate: last,
    # since linking them holds the record until the close commits (the results are queued).
    round_.outcome = dict(round_.outcome, record_seal=chain.head(session, community)[1])
    return True


def publish(session: Session, round_: Round, community: Community) -> None:
    """Keep the closed round's anonymous ballot file, as its public page will offer it, and its
    SHA-256, which the page, the result message's link and the digest repeat."""
    text = publish_pb(session, round_, community)
    round_.ballot_file = text
    round_.ballot_file_sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()


def count(session: Session, round_: Round) -> dict[str, Any]:
    """The outcome from the stored ballots, with the money still available to this round."""
    community = session.get_one(Community, round_.community_id)
    budget = round_.budget_pence
    if round_.status != RoundStatus.CLOSED:  # at close, never allocate more than is left
        budget = min(budget, ledger.summary(session, community).remaining)
    options = [Option(o.number, o.cost_pence) for o in round_.options]
    return dict(compute(options, _choices(session, round_), budget, round_.rule), budget_pence=budget)


def recount(session: Session, round_: Round, keep_reasons: bool = True) -> tuple[bool, dict[str, Any]]:
    """Recompute a closed round from its ballots: (same winners as published?, the recount).
    When they are the same and `keep_reasons`, the recount's reasons are stored with the
    outcome; otherwise nothing is written."""
    if round_.status != RoundStatus.CLOSED or not round_.outcome:
        raise InvalidInput(f"round {round_.number} is {round_.status}: only a closed round is recounted")
    options = [Option(o.number, o.cost_pence) for o in round_.options]
    budget = round_.outcome.get("budget_pence", round_.budget_pence)
    again = compute(options, _choices(session, round_), budget, round_.rule)
    published = round_.outcome
    same = again["winners"] == published["winners"] and again["tallies"] == published["tallies"]
    if keep_reasons and same and published.get("explanations") != again["explanations"]:
        # Reasons come only from a count that gives the published winners; this keeps them for
        # a round closed before reasons were stored.
        round_.outcome = dict(published, explanations=again["explanations"])
    return same, again


def _choices(session: Session, round_: Round) -> ScalarResult[list[int]]:
    """The round's ballots' choices as a stream of plain rows, a batch at a time: no ORM objects,
    and compute() keeps only the distinct ballots (100,000 ballots over 50 options fit in a few
    MB). Streamed in the session's own transaction, so close_round's locks still hold."""
    query = select(Ballot.choices).where(Ballot.round_id == round_.id).execution_options(yield_per=5_000)
    return session.scalars(query)


def _withdraw_held(session: Session, round_: Round, now: datetime) -> None:
    """A round that ended takes back its ballot and reminder where they still wait (quiet
    hours held them): at 08:00 they would invite members to a vote already over."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.community_id == round_.community_id,
            OutboxMessage.status == OutboxStatus.QUEUED,
            or_(
                OutboxMessage.idempotency_key.startswith(f"round-open:{round_.id}:", autoescape=True),
                OutboxMessage.idempotency_key.startswith(f"round-remind:{round_.id}:", autoescape=True),
            ),
        )
        .values(status=OutboxStatus.CANCELLED, error_code="round-ended", next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )


def cancel_round(session: Session, round_: Round, now: datetime) -> bool:
    """Call a round off before it closes; its ideas go back to the shortlist. True: it was
    (a round already cancelled or closed is refused, never cancelled twice)."""
    if round_.status not in (RoundStatus.DRAFT, RoundStatus.SCHEDULED, RoundStatus.OPEN):
        raise InvalidInput(f"round {round_.number} is {round_.status}: it cannot be cancelled")
    was_open = round_.status == RoundStatus.OPEN
    round_.status, round_.closed_at = RoundStatus.CANCELLED, now
    _withdraw_held(session, round_, now)
    for option in round_.options:
        idea = session.get(Idea, option.idea_id) if option.idea_id else None
        if idea is not None and idea.status == IdeaStatus.IN_ROUND:
            idea.status = IdeaStatus.SHORTLISTED
    if was_open:
        community = session.get_one(Community, round_.community_id)
        broadcast(
            session, community, "round_cancelled", now, key=f"round-cancel:{round_.id}", title=round_.title
        )
    return True


def _check_title(title: str, options: int, community: Community) -> None:
    """The title goes whole into the SMS that opens the round, in its short form (sent when the
    whole ballot does not fit), within that message's segments, in every language it is sent in."""
    if all(round_messages.opening_fits(title, options, language) for language in community.languages):
        return
    limit = (
        f"at most {round_messages.TITLE_MAX} characters, in the GSM-7 alphabet, to fit the "
        f"{round_messages.opening_segments()}-segment SMS that opens the vote"
    )
    odd = "".join(dict.fromkeys(c for c in title if not is_gsm7(c)))
    if odd:
        raise InvalidInput(
            f"a round's title may have {limit}: {odd!r} would make that SMS UCS-2 "
            "(70 characters a segment, not 160)",
            field="title",
        )
    raise InvalidInput(f"a round's title may have {limit} (this one has {len(title)})", field="title")


def _check_times(
    opens: datetime, closes: datetime, remind: datetime | None, now: datetime, remind_given: bool = True
) -> None:
    """`remind_given`: the reminder time is being set now (not one kept from before, which
    may have passed and been sent)."""
    if not opens < closes:
        raise InvalidInput("the round must open before it closes", field="closes_at")
    if closes <= now:
        raise InvalidInput("the closing time has already passed", field="closes_at")
    if remind is not None and not opens < remind < closes:
        raise InvalidInput("the reminder must fall between opening and closing", field="remind_at")
    if remind is not None and remind_given and remind <= now:
        # It would go out with the ballot, or at once: twice the texts for nothing.
        raise InvalidInput("the reminder time has already passed", field="remind_at")


def _voting_template(kind: str, round_: Round, community: Community) -> Template:
    """A ballot or a reminder as a WhatsApp template: the community, the title, the close."""
    return Template(
        kind,
        lambda language: dict(
            community=community.name, title=round_.title, closes=Moment(round_.closes_at, community.timezone)
        ),
    )


def _result_template(round_: Round, community: Community) -> Template:
    """The results as a WhatsApp template: the community, the title, what was funded."""

    def values(language: str) -> dict[str, object]:
        winners = (round_.outcome or {}).get("winners") or []
        most = PLACEHOLDER_MAX["winners"]
        funded = round_messages.chosen(round_, winners, language, most) if winners else "-"
        return dict(community=community.name, title=round_.title, winners=funded)

    return Template("result", values)
