"""Who wins a round: the outcome rules, computed by pabutools from the stored ballots.

Ballots of every method are approval sets; the rule spends the round's budget:
- greedy: most votes first, skipping what no longer fits, while money remains;
- equal-shares: the Method of Equal Shares with cost satisfaction, each voter's share raised
  £1 at a time for as long as the result still fits the budget (the "Add1" completion used in
  Wieliczka's 2023 Green Million), then greedy to spend what is left. pabutools stops raising
  shares at the first exhaustive result; Wieliczka kept going while the result fitted, so
  `_AddOneInstance` never calls a result exhaustive (a test checks we match Wieliczka).
Ties are broken, always the same way, by more votes, then the lower cost, then the lower
option number. Money is given to pabutools in whole pounds (costs rounded up, budget down).
"""
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project
from pabutools.rules import (completion_by_rule_combination, greedy_utilitarian_welfare,
                             method_of_equal_shares)
from pabutools.tiebreaking import TieBreakingRule

TIE_BREAKING = "more votes, then lower cost, then lower option number"


class _AddOneInstance(Instance):
    """Keeps MES raising voters' shares until the result no longer fits (see above)."""

    def is_exhaustive(self, *args, **kwargs) -> bool:
        return False


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
            [{"sat_class": Cost_Sat, "voter_budget_increment": 1, "tie_breaking": tie},
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
