"""Who wins a round: the outcome rules, computed by pabutools from the stored ballots.

Ballots of every method are approval sets; the rule spends the round's budget:
- greedy: most votes first, skipping what no longer fits, while money remains;
- equal-shares: the Method of Equal Shares with cost satisfaction, each voter's share raised
  a step at a time for as long as the result still fits the budget (the "Add1" completion used in
  Wieliczka's 2023 Green Million), then greedy to spend what is left. pabutools stops raising
  shares at the first exhaustive result; Wieliczka kept going while the result fitted, so
  `_AddOneInstance` only calls a result exhaustive when everything voted for is funded (a test
  checks we match Wieliczka). The step is £1, or 0.1% of a voter's first share when that is more
  (a £500,000 round among 50 voters steps by £10, not 10,000 times by £1).
Ties are broken, always the same way, by more votes, then the lower cost, then the lower
option number. Money is given to pabutools in whole pounds (costs rounded up, budget down).
"""
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pabutools.election import (
    ApprovalBallot,
    ApprovalProfile,
    Cost_Sat,
    Instance,
    Project,
)
from pabutools.rules import (
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)
from pabutools.tiebreaking import TieBreakingRule

TIE_BREAKING = "more votes, then lower cost, then lower option number"


class _AddOneInstance(Instance):
    """Keeps MES raising voters' shares until the result no longer fits (see above), or until
    every option anyone voted for is funded (more money could change nothing)."""

    def is_exhaustive(self, budget_allocation, available_projects=None) -> bool:
        return all(p in budget_allocation for p in available_projects or ())


@dataclass(frozen=True)
class Option:
    number: int
    cost_pence: int


def compute(options: Sequence[Option], ballots: Iterable[Iterable[int]], budget_pence: int,
            rule: str) -> dict:
    """The outcome as stored on the round: rule, winners, tallies, money allocated."""
    ballots = [sorted(set(b)) for b in ballots if b]
    tallies = Counter(number for ballot in ballots for number in ballot)
    projects = {o.number: Project(str(o.number), -(-o.cost_pence // 100)) for o in options}
    instance_class = _AddOneInstance if rule == "equal-shares" else Instance
    instance = instance_class(projects.values(), budget_limit=budget_pence // 100)
    profile = ApprovalProfile([ApprovalBallot(projects[n] for n in b if n in projects) for b in ballots])
    tie = TieBreakingRule(lambda inst, prof, p: (-tallies[int(p.name)], p.cost, int(p.name)))
    if not ballots:
        chosen = []
    elif rule == "greedy":
        chosen = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat, tie_breaking=tie)
    elif rule == "equal-shares":
        chosen = completion_by_rule_combination(
            instance, profile, [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": Cost_Sat, "voter_budget_increment": _step(instance, ballots),
              "tie_breaking": tie},
             {"sat_class": Cost_Sat, "tie_breaking": tie}])
    else:
        raise ValueError(f"unknown rule {rule!r}")
    winners = sorted(int(p.name) for p in chosen)
    costs = {o.number: o.cost_pence for o in options}
    return {
        "rule": rule, "tie_breaking": TIE_BREAKING, "winners": winners,
        "tallies": {str(o.number): tallies[o.number] for o in options},
        "allocated_pence": sum(costs[n] for n in winners), "ballots": len(ballots),
    }


def _step(instance: Instance, ballots: list) -> int:
    return max(1, int(instance.budget_limit) // (len(ballots) * 1000))
