"""A closed round's results certificate: what the public page prints for the record (the rule,
the tie-break order, ballots by channel and on paper, turnout, each option's votes and cost, the
winners, and the published ballot file's hash)."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.outcome import TIE_BREAKING
from channels.registry import CHANNELS
from models import Ballot, Round
from models.round import PAPER
from models.states import CountRule

RULES: dict[str, str] = {
    CountRule.GREEDY: "Greedy: the options with most votes are funded first, skipping any that no "
    "longer fits, while money remains; an option nobody voted for is never funded.",
    CountRule.EQUAL_SHARES: "Method of Equal Shares: the budget is shared equally among voters, and "
    "each option is paid for by its supporters' shares; shares are raised a step at a time while "
    "the result still fits the budget (Add1). What it leaves stays undecided.",
}


@dataclass(frozen=True)
class OptionLine:
    number: int
    title: str
    cost_pence: int
    votes: int
    funded: bool


@dataclass(frozen=True)
class Certificate:
    rule: str
    rule_explained: str
    tie_breaking: str
    budget_pence: int
    by_channel: list[tuple[str, int]]  # ("SMS", 12), ..., ("On paper", 3): how ballots came
    ballots: int
    by_message: int
    members: int | None  # members when the round closed; None for rounds closed before it was kept
    options: list[OptionLine]
    allocated_pence: int
    ballot_file_sha256: str | None
    record_seal: str | None  # the tamper-evident record's seal at the close (None before it)

    @property
    def turnout(self) -> float | None:
        """Residents' ballots (not paper ones, whose voters are not members) per member."""
        return self.by_message / self.members if self.members else None


def certificate(session: Session, round_: Round) -> Certificate:
    """The certificate of a closed round, from its stored outcome and ballots."""
    outcome = round_.outcome or {}
    counts = dict(
        session.execute(
            select(Ballot.channel, func.count()).where(Ballot.round_id == round_.id).group_by(Ballot.channel)
        ).all()
    )
    by_channel = [
        (spec.title or spec.name, counts.pop(spec.name)) for spec in CHANNELS.values() if spec.name in counts
    ]
    paper = counts.pop(PAPER, 0)
    by_channel += sorted(counts.items())  # any other channel ballots came by (imported, a retired one)
    if paper:
        by_channel.append(("On paper", paper))
    tallies = outcome.get("tallies", {})
    winners = set(outcome.get("winners", []))
    return Certificate(
        rule=round_.rule,
        rule_explained=RULES.get(round_.rule, round_.rule),
        tie_breaking=outcome.get("tie_breaking", TIE_BREAKING),
        budget_pence=outcome.get("budget_pence", round_.budget_pence),
        by_channel=by_channel,
        ballots=sum(n for _, n in by_channel),
        by_message=sum(n for _, n in by_channel) - paper,
        members=outcome.get("members"),
        options=[
            OptionLine(
                o.number, o.title, o.cost_pence, int(tallies.get(str(o.number), 0)), o.number in winners
            )
            for o in round_.options
        ],
        allocated_pence=outcome.get("allocated_pence", 0),
        ballot_file_sha256=round_.ballot_file_sha256,
        record_seal=outcome.get("record_seal"),
    )
