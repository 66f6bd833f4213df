"""Why an option was or was not funded, read from the rule's own run (pabutools' analytics).

Stored with the outcome as "explanations", keyed by option number: its votes, whether it was
funded, the money there was when it came up (`left_pence`) against its cost (`cost_pence`, as
the rule counted it: in whole pounds, rounded up), and whose money that was (`by`):
- "greedy": what was left of the round's budget after the options taken before it;
- "shares": what its supporters still had between them, in the equal-shares run that chose the
  published winners (the last one the Add1 completion kept, not the first or the one that
  overspent). With Add1, voters' shares are raised past the round's money, so this can be more
  than the round had left: `round_left_pence` is what the round itself had left when the option
  came up (its budget less the options bought before it), and when that was short of the cost,
  that is the reason given.
Nothing here imports pabutools: it reads the details objects the rules return.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.text.money import Money
from models import Idea, Round, RoundOption
from models.states import RoundStatus

if TYPE_CHECKING:  # only named in annotations: nothing here imports pabutools (and it ships no types)
    from pabutools.election import Project
    from pabutools.rules.greedywelfare.greedywelfare_details import GreedyWelfareAllocationDetails
    from pabutools.rules.mes.mes_details import MESAllocationDetails
    from pabutools.utils import Numeric


class Weighing(StrEnum):
    """Whose money `left` is in a Reason (and the catalogue keys' ending)."""

    GREEDY = "greedy"  # the round's, after the options taken before
    SHARES = "shares"  # the option's supporters' between them, in the equal-shares run


@dataclass(frozen=True)
class Reason:
    votes: int
    funded: bool
    by: str  # a Weighing, as read back from the stored outcome
    left_pence: int
    cost_pence: int
    round_left_pence: int | None = None  # equal shares: the round's own money then (see above)

    @property
    def round_was_short(self) -> bool:
        """Under equal shares, whether the round itself no longer had the option's cost."""
        return (
            self.by == Weighing.SHARES
            and self.round_left_pence is not None
            and self.round_left_pence < self.cost_pence
        )

    @property
    def message(self) -> str:
        """The catalogue key of the news sent to the author of an option not funded."""
        if not self.votes:
            return "idea_not_funded_no_votes"
        return "idea_not_funded_round" if self.round_was_short else f"idea_not_funded_{self.by}"

    @property
    def short(self) -> str:
        """The catalogue key of the short form, for MY IDEAS and RESULTS."""
        if not self.votes:
            return "why_no_votes"
        return "why_greedy" if self.round_was_short else f"why_{self.by}"

    def values(self) -> dict[str, Any]:
        left = self.left_pence
        if self.round_was_short and self.round_left_pence is not None:
            left = self.round_left_pence
        return {"votes": self.votes, "left": Money(left), "cost": Money(self.cost_pence)}


def reason(outcome: dict[str, Any] | None, option: int) -> Reason | None:
    """The stored reason for option `option`; None for rounds counted before reasons were kept.
    (Under equal shares the supporters' money is in the rule's own terms; the round's own money
    is given instead when that was short of the cost.)"""
    outcome = outcome or {}
    explanations = outcome.get("explanations")
    if explanations is None:
        return None
    found = explanations.get(str(option))
    if found is None:  # an option nobody voted for, which no rule weighs
        votes = (outcome.get("tallies") or {}).get(str(option), 0)
        return Reason(votes, False, Weighing.GREEDY, 0, 0) if not votes else None
    return Reason(**found)


def latest_reason(session: Session, idea: Idea) -> Reason | None:
    """Why `idea` was not funded, in the last closed round it was an option in."""
    row = session.execute(
        select(Round.outcome, RoundOption.number)
        .join(RoundOption, RoundOption.round_id == Round.id)
        .where(RoundOption.idea_id == idea.id, Round.status == RoundStatus.CLOSED)
        .order_by(Round.closed_at.desc(), Round.id.desc())
        .limit(1)
    ).first()
    return reason(row.outcome, row.number) if row else None


def from_greedy(
    details: GreedyWelfareAllocationDetails, start: int, votes: dict[int, int]
) -> dict[str, dict[str, Any]]:
    """Greedy's analytics list every option it weighed with its score (votes per pound of
    satisfaction, so votes under cost satisfaction) and, if taken, the budget left after it.
    Walking them in greedy's own order gives the money left when each came up."""
    order = sorted(enumerate(details.projects), key=lambda item: (-item[1].score, item[0]))
    reasons: dict[str, dict[str, Any]] = {}
    left: Numeric = start
    for _, weighed in order:
        project = weighed.project
        reasons[str(project.name)] = _entry(votes, project, not weighed.discarded, Weighing.GREEDY, left)
        if not weighed.discarded:
            left = weighed.remaining_budget
    return _by_number(reasons)


def from_shares(
    details: MESAllocationDetails, votes: dict[int, int], costs: dict[int, int], funded: set[int], budget: int
) -> dict[str, dict[str, Any]]:
    """From the equal-shares run that was kept: each option's supporters' money at the step it
    was bought or dropped (a voter's budget times how many cast that ballot), and the round's
    own money then (`budget` less the options bought at earlier steps). An option nobody voted
    for was never weighed: its supporters had nothing."""
    reasons: dict[str, dict[str, Any]] = {}
    multiplicity = details.voter_multiplicity
    spent = 0
    for step in details.iterations:
        for weighed in step:
            project = weighed.project
            if str(project.name) in reasons:
                continue
            taken = step.selected_project is not None and step.selected_project.name == project.name
            if taken or weighed.discarded:
                money = sum(step.voters_budget[i] * multiplicity[i] for i in project.supporter_indices)
                reasons[str(project.name)] = dict(
                    _entry(votes, project, taken, Weighing.SHARES, money),
                    round_left_pence=int(budget - spent) * 100,
                )
        if step.selected_project is not None:
            spent += int(step.selected_project.cost)
    return _by_number(_unweighed(reasons, votes, costs, funded, int(budget - spent)))


def from_figures(
    came_up: dict[int, tuple[bool, int]],
    votes: dict[int, int],
    costs: dict[int, int],
    funded: set[int],
    budget: int,
) -> dict[str, dict[str, Any]]:
    """The same reasons from equal_shares.py's figures: for each option that came up, in the
    order it did, whether it was bought and its supporters' money then, in pence (floored);
    costs and `budget` in whole pounds."""
    reasons, spent = {}, 0
    for number, (taken, left) in came_up.items():
        reasons[str(number)] = {
            "votes": votes.get(number, 0),
            "funded": taken,
            "by": Weighing.SHARES,
            "left_pence": left,
            "cost_pence": costs[number] * 100,
            "round_left_pence": (budget - spent) * 100,
        }
        if taken:
            spent += costs[number]
    return _by_number(_unweighed(reasons, votes, costs, funded, budget - spent))


def _unweighed(
    reasons: dict[str, dict[str, Any]],
    votes: dict[int, int],
    costs: dict[int, int],
    funded: set[int],
    left: int,
) -> dict[str, dict[str, Any]]:
    """`reasons` with every option the equal-shares run never weighed (nobody voted for it):
    its supporters had nothing; the round had `left` whole pounds at the end."""
    for number, cost in costs.items():
        reasons.setdefault(
            str(number),
            {
                "votes": votes.get(number, 0),
                "funded": number in funded,
                "by": Weighing.SHARES,
                "left_pence": 0,
                "cost_pence": cost * 100,
                "round_left_pence": left * 100,
            },
        )
    return reasons


def from_greedy_figures(
    came_up: dict[int, tuple[bool, int]], votes: dict[int, int], costs: dict[int, int]
) -> dict[str, dict[str, Any]]:
    """The same reasons as from_greedy, from greedy.py's run: for each option weighed, whether it
    was taken and the budget left when it came up; money and costs in whole pounds."""
    return _by_number(
        {
            str(number): {
                "votes": votes.get(number, 0),
                "funded": taken,
                "by": Weighing.GREEDY,
                "left_pence": left * 100,
                "cost_pence": costs[number] * 100,
            }
            for number, (taken, left) in came_up.items()
        }
    )


def _entry(votes: dict[int, int], project: Project, funded: bool, by: str, money: Numeric) -> dict[str, Any]:
    return {
        "votes": votes.get(int(project.name), 0),
        "funded": funded,
        "by": by,
        "left_pence": _pence(money),
        "cost_pence": int(project.cost) * 100,
    }


def _by_number(reasons: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return dict(sorted(reasons.items(), key=lambda item: int(item[0])))


def _pence(pounds: Numeric) -> int:
    """Down to the penny, so money short of a cost never reads as enough."""
    return int(math.floor(pounds * 100))
